import { sql } from 'kysely';
import { z } from 'zod';
import { inTransaction, type DbOrTx } from '../../db/index.ts';
import { offsetOf, pageCount, pageNumber } from '../../db/paging.ts';
import { NotFoundError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import type { Actor } from '../access/actor.ts';
import { requirePlatformAdmin } from '../access/guard.ts';
import { RECONCILE_QUEUE } from './reconciliation.ts';
import { refundable } from './refunds.ts';
import { PAYMENT_STATUSES } from './status.ts';

/**
 * Staff reads of payments (issue 4 item 12): every payment with its PayPal ids, one payment
 * with its refunds, and the reconciliation report. Each starts with `requirePlatformAdmin`.
 * Staff refunds are issued in refunds.ts.
 */
export const PAYMENTS_PER_PAGE = 50;

const paymentListInput = z.object({ status: z.enum(PAYMENT_STATUSES).or(z.literal('')).catch(''), page: pageNumber });

export async function listPayments(db: DbOrTx, actor: Actor, raw: unknown) {
  requirePlatformAdmin(actor);
  const filters = paymentListInput.parse(raw ?? {});
  const { limit, offset } = offsetOf(filters.page, PAYMENTS_PER_PAGE);
  let q = db.selectFrom('payments as p').innerJoin('organizations as o', 'o.id', 'p.organization_id');
  if (filters.status) q = q.where('p.status', '=', filters.status);
  const [rows, count] = await Promise.all([
    q
      .select([
        'p.id',
        'p.status',
        'p.amount',
        'p.currency',
        'p.refunded_amount',
        'p.provider_order_id',
        'p.capture_id',
        'p.failure_reason',
        'p.created_at',
        'p.completed_at',
        'o.id as organization_id',
        'o.name as organization_name',
      ])
      .orderBy('p.created_at', 'desc')
      .orderBy('p.id')
      .limit(limit)
      .offset(offset)
      .execute(),
    q.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
  ]);
  const total = Number(count.n);
  return { payments: rows, filters, statuses: PAYMENT_STATUSES, total, pages: pageCount(total, PAYMENTS_PER_PAGE) };
}

/** The admin payment page: the payment, its organization and its refunds (newest first). */
export async function paymentDetail(db: DbOrTx, actor: Actor, paymentId: string) {
  requirePlatformAdmin(actor);
  if (!isUuid(paymentId)) throw new NotFoundError('No such payment.');
  const payment = await db
    .selectFrom('payments')
    .innerJoin('organizations', 'organizations.id', 'payments.organization_id')
    .selectAll('payments')
    .select('organizations.name as organization_name')
    .where('payments.id', '=', paymentId)
    .executeTakeFirst();
  if (!payment) throw new NotFoundError('No such payment.');
  const refunds = await db
    .selectFrom('refunds')
    .leftJoin('users', 'users.id', 'refunds.created_by')
    .selectAll('refunds')
    .select('users.name as created_by_name')
    .where('payment_id', '=', paymentId)
    .orderBy('refunds.created_at', 'desc')
    .execute();
  const available = await inTransaction(db, (trx) => refundable(trx, payment));
  return { payment, refunds, available: payment.status === 'completed' && available > 0n ? available : 0n };
}

/** The findings of the latest run dates (newest first) and the latest recorded runs of the job. */
export async function reconciliationReport(db: DbOrTx, actor: Actor, opts: { runDates?: number } = {}) {
  requirePlatformAdmin(actor);
  const dates = await db
    .selectFrom('reconciliation_findings')
    .select(sql<string>`run_date::text`.as('run_date'))
    .distinct()
    .orderBy('run_date', 'desc')
    .limit(opts.runDates ?? 7)
    .execute();
  const findings = dates.length
    ? await db
        .selectFrom('reconciliation_findings as f')
        .leftJoin('payments as p', 'p.id', 'f.payment_id')
        .leftJoin('organizations as o', 'o.id', 'p.organization_id')
        .select([
          'f.id',
          sql<string>`f.run_date::text`.as('run_date'),
          'f.capture_id',
          'f.payment_id',
          'f.problem',
          'f.details',
          'f.created_at',
          'o.id as organization_id',
          'o.name as organization_name',
        ])
        .where(sql<boolean>`f.run_date::text in (${sql.join(dates.map((d) => d.run_date))})`)
        .orderBy('f.run_date', 'desc')
        .orderBy('f.created_at')
        .execute()
    : [];
  const runs = await db
    .selectFrom('job_runs')
    .select(['id', 'status', 'summary', 'error', 'started_at', 'finished_at'])
    .where('queue', '=', RECONCILE_QUEUE)
    .orderBy('started_at', 'desc')
    .limit(10)
    .execute();
  return { findings, runs };
}
