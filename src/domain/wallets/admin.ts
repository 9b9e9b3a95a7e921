import { sql } from 'kysely';
import { z } from 'zod';
import type { PaymentStatus } from '../../db/types.ts';
import { NotFoundError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import type { Actor } from '../access/actor.ts';
import { requirePlatformAdmin } from '../access/guard.ts';
import { likePattern } from '../../db/like.ts';
import type { Deps } from '../deps.ts';

/**
 * Staff reads of billing (issue 4 item 12): every organization's wallet, one organization's
 * ledger with running balances, every payment with its PayPal ids, and the reconciliation
 * report. Each starts with `requirePlatformAdmin`.
 */
export const PER_PAGE = 50;
export const PAYMENT_STATUSES = ['held', 'created', 'pending', 'completed', 'cancelled', 'denied', 'failed', 'refunded', 'reversed'] as const satisfies readonly PaymentStatus[];

const pageField = z.coerce.number().int().min(1).max(100_000).catch(1);
const walletListInput = z.object({ q: z.string().trim().max(200).catch(''), page: pageField });
const paymentListInput = z.object({ status: z.enum(PAYMENT_STATUSES).or(z.literal('')).catch(''), page: pageField });
const pages = (total: number) => Math.max(1, Math.ceil(total / PER_PAGE));

export async function listWallets(deps: Pick<Deps, 'db'>, actor: Actor, raw: unknown) {
  requirePlatformAdmin(actor);
  const filters = walletListInput.parse(raw ?? {});
  let q = deps.db.selectFrom('wallets as w').innerJoin('organizations as o', 'o.id', 'w.organization_id');
  if (filters.q) q = q.where('o.name', 'ilike', likePattern(filters.q));
  const [rows, count] = await Promise.all([
    q.select(['o.id', 'o.name', 'o.personal', 'w.balance', 'w.currency']).orderBy('o.name').orderBy('o.id').limit(PER_PAGE).offset((filters.page - 1) * PER_PAGE).execute(),
    q.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
  ]);
  const total = Number(count.n);
  return { wallets: rows, filters, total, pages: pages(total) };
}

/** One organization's wallet and a page of its ledger lines, newest first, with who made each. */
export async function organizationLedger(deps: Pick<Deps, 'db'>, actor: Actor, organizationId: string, raw: unknown) {
  requirePlatformAdmin(actor);
  const page = pageField.parse((raw as { page?: unknown } | undefined)?.page);
  const organization = isUuid(organizationId)
    ? await deps.db
        .selectFrom('organizations as o')
        .innerJoin('wallets as w', 'w.organization_id', 'o.id')
        .select(['o.id', 'o.name', 'w.id as wallet_id', 'w.balance', 'w.currency'])
        .where('o.id', '=', organizationId)
        .executeTakeFirst()
    : undefined;
  if (!organization) throw new NotFoundError('No such organization.');
  const base = deps.db.selectFrom('ledger_entries as e').where('e.wallet_id', '=', organization.wallet_id);
  const [lines, count] = await Promise.all([
    base
      .innerJoin('ledger_transactions as t', 't.id', 'e.transaction_id')
      .leftJoin('users as u', 'u.id', 't.created_by')
      .select(['t.id as transaction_id', 'e.id as entry_id', 't.kind', 't.description', 'e.amount', 'e.balance_after', 't.created_at', 'u.name as created_by_name', 'u.email as created_by_email', 't.details'])
      .orderBy('e.seq', 'desc')
      .limit(PER_PAGE)
      .offset((page - 1) * PER_PAGE)
      .execute(),
    base.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
  ]);
  const total = Number(count.n);
  return { organization, lines, page, total, pages: pages(total) };
}

export async function listPayments(deps: Pick<Deps, 'db'>, actor: Actor, raw: unknown) {
  requirePlatformAdmin(actor);
  const filters = paymentListInput.parse(raw ?? {});
  let q = deps.db.selectFrom('payments as p').innerJoin('organizations as o', 'o.id', 'p.organization_id');
  if (filters.status) q = q.where('p.status', '=', filters.status);
  const [rows, count] = await Promise.all([
    q
      .select(['p.id', 'p.status', 'p.amount', 'p.currency', 'p.refunded_amount', 'p.provider_order_id', 'p.capture_id', 'p.failure_reason', 'p.created_at', 'p.completed_at', 'o.id as organization_id', 'o.name as organization_name'])
      .orderBy('p.created_at', 'desc')
      .orderBy('p.id')
      .limit(PER_PAGE)
      .offset((filters.page - 1) * PER_PAGE)
      .execute(),
    q.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
  ]);
  const total = Number(count.n);
  return { payments: rows, filters, statuses: PAYMENT_STATUSES, total, pages: pages(total) };
}

/** The findings of the latest run dates (newest first) and the latest recorded runs of the job. */
export async function reconciliationReport(deps: Pick<Deps, 'db'>, actor: Actor, opts: { runDates?: number } = {}) {
  requirePlatformAdmin(actor);
  const dates = await deps.db.selectFrom('reconciliation_findings').select(sql<string>`run_date::text`.as('run_date')).distinct().orderBy('run_date', 'desc').limit(opts.runDates ?? 7).execute();
  const findings = dates.length
    ? await deps.db
        .selectFrom('reconciliation_findings as f')
        .leftJoin('payments as p', 'p.id', 'f.payment_id')
        .leftJoin('organizations as o', 'o.id', 'p.organization_id')
        .select(['f.id', sql<string>`f.run_date::text`.as('run_date'), 'f.capture_id', 'f.payment_id', 'f.problem', 'f.details', 'f.created_at', 'o.id as organization_id', 'o.name as organization_name'])
        .where(sql<boolean>`f.run_date::text in (${sql.join(dates.map((d) => d.run_date))})`)
        .orderBy('f.run_date', 'desc')
        .orderBy('f.created_at')
        .execute()
    : [];
  const runs = await deps.db
    .selectFrom('job_runs')
    .select(['id', 'status', 'summary', 'error', 'started_at', 'finished_at'])
    .where('queue', '=', 'billing.reconcile-payments')
    .orderBy('started_at', 'desc')
    .limit(10)
    .execute();
  return { findings, runs };
}
