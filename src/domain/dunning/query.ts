import type { DataCache } from '../../lib/data-cache.ts';
import { sql } from 'kysely';
import type { Config } from '../../config.ts';
import type { DbOrTx } from '../../db/index.ts';
import type { DunningStep } from '../../db/types.ts';
import { NotFoundError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import { can, type Actor } from '../access/actor.ts';
import { requirePlatformAdmin } from '../access/guard.ts';
import { deadlinesOf, nextStepOf, type NextStep } from './policy.ts';

/**
 * Dunning as people read it: staff's list of organizations in arrears and one case with its
 * history (admin pages and the JSON API), and the banner every portal page shows a member of an
 * organization whose balance is below zero.
 */

type DunningConfig = Pick<Config, 'DUNNING_SUSPEND_AFTER_HOURS' | 'DUNNING_TERMINATE_AFTER_DAYS'>;

/** Where a case stands: `clear` (no case, not below zero), `pending` (below zero, the job has not opened it yet), then the case's own states. */
export type ArrearsStatus = 'clear' | 'pending' | 'notified' | 'suspended' | 'terminated' | 'exempt';

export interface ArrearsView {
  organizationId: string;
  name: string;
  balance: bigint;
  currency: string;
  caseId: string | null;
  since: Date | null;
  status: ArrearsStatus;
  nextStep: NextStep;
  nextAt: Date | null;
  suspendAt: Date | null;
  terminateAt: Date | null;
  notices: number;
  suspendedAt: Date | null;
  finalNoticeAt: Date | null;
  terminatedAt: Date | null;
  exemptReason: string | null;
  exemptedAt: Date | null;
  extendedUntil: Date | null;
  extendReason: string | null;
}

const caseColumns = [
  'c.id as case_id',
  'c.arrears_since',
  'c.notices',
  'c.suspended_at',
  'c.final_notice_at',
  'c.final_notice_deadline',
  'c.terminated_at',
  'c.exempt_reason',
  'c.exempted_at',
  'c.extended_until',
  'c.extend_reason',
] as const;

function baseQuery(db: DbOrTx) {
  return db
    .selectFrom('wallets as w')
    .innerJoin('organizations as o', 'o.id', 'w.organization_id')
    .leftJoin('dunning_cases as c', (j) =>
      j.onRef('c.organization_id', '=', 'w.organization_id').on('c.lifted_at', 'is', null),
    )
    .select(['o.id', 'o.name', 'w.balance', 'w.currency', ...caseColumns]);
}
type Row = Awaited<ReturnType<ReturnType<typeof baseQuery>['executeTakeFirstOrThrow']>>;

function toView(r: Row, config: DunningConfig, now: Date): ArrearsView {
  const c = r.case_id
    ? {
        arrears_since: r.arrears_since!,
        extended_until: r.extended_until,
        exempt_reason: r.exempt_reason,
        suspended_at: r.suspended_at,
        final_notice_at: r.final_notice_at,
        final_notice_deadline: r.final_notice_deadline,
        terminated_at: r.terminated_at,
      }
    : null;
  const d = c ? deadlinesOf(c, config) : null;
  const next = c ? nextStepOf(c, config, now) : { step: 'none' as const, at: null };
  const status: ArrearsStatus = !c
    ? r.balance < 0n
      ? 'pending'
      : 'clear'
    : c.exempt_reason
      ? 'exempt'
      : c.terminated_at
        ? 'terminated'
        : c.suspended_at
          ? 'suspended'
          : 'notified';
  return {
    organizationId: r.id,
    name: r.name,
    balance: r.balance,
    currency: r.currency,
    caseId: r.case_id,
    since: r.arrears_since,
    status,
    nextStep: next.step,
    nextAt: next.at,
    suspendAt: d?.suspendAt ?? null,
    terminateAt: d?.terminateAt ?? null,
    notices: r.notices ?? 0,
    suspendedAt: r.suspended_at,
    finalNoticeAt: r.final_notice_at,
    terminatedAt: r.terminated_at,
    exemptReason: r.exempt_reason,
    exemptedAt: r.exempted_at,
    extendedUntil: r.extended_until,
    extendReason: r.extend_reason,
  };
}

/** Organizations below zero or with an open case, longest in arrears first (staff). */
export async function listArrears(
  db: DbOrTx,
  actor: Actor,
  opts: { now: Date; config: DunningConfig },
): Promise<ArrearsView[]> {
  requirePlatformAdmin(actor);
  const rows = await baseQuery(db)
    .where((eb) => eb.or([eb('w.balance', '<', 0n), eb('c.id', 'is not', null)]))
    .orderBy(sql`c.arrears_since asc nulls last`)
    .orderBy('o.name')
    .limit(500)
    .execute();
  return rows.map((r) => toView(r, opts.config, opts.now));
}

export interface StepView {
  step: DunningStep;
  outcome: 'done' | 'failed';
  serverId: string | null;
  serverLabel: string | null;
  error: string | null;
  actorName: string | null;
  details: Record<string, unknown>;
  at: Date;
}

/** One organization's dunning: where it stands and its open case's history, newest first (staff). */
export async function arrearsOf(
  db: DbOrTx,
  actor: Actor,
  organizationId: string,
  opts: { now: Date; config: DunningConfig },
): Promise<{ arrears: ArrearsView; steps: StepView[] }> {
  requirePlatformAdmin(actor);
  if (!isUuid(organizationId)) throw new NotFoundError('No such organization.');
  const row = await baseQuery(db).where('o.id', '=', organizationId).executeTakeFirst();
  if (!row) throw new NotFoundError('No such organization.');
  const steps = row.case_id
    ? await db
        .selectFrom('dunning_steps as s')
        .leftJoin('servers as sv', 'sv.id', 's.server_id')
        .leftJoin('users as u', 'u.id', 's.actor_user_id')
        .select(['s.step', 's.outcome', 's.server_id', 'sv.label', 's.error', 'u.name', 's.details', 's.created_at'])
        .where('s.case_id', '=', row.case_id)
        .orderBy('s.seq', 'desc')
        .limit(200)
        .execute()
    : [];
  return {
    arrears: toView(row, opts.config, opts.now),
    steps: steps.map((s) => ({
      step: s.step,
      outcome: s.outcome,
      serverId: s.server_id,
      serverLabel: s.label,
      error: s.error,
      actorName: s.name,
      details: s.details,
      at: s.created_at,
    })),
  };
}

export interface ArrearsBanner {
  /** Shown to members who may see the wallet (billing_view); null otherwise. */
  balance: bigint | null;
  currency: string;
  suspended: boolean;
  suspendAt: Date | null;
  terminateAt: Date | null;
  terminated: boolean;
  exempt: boolean;
  /** May add funds (billing_manage): the banner links to them. */
  canPay: boolean;
}

/**
 * The banner of the actor's organization, or null when its balance is not below zero: one
 * indexed read (the wallet by organization, its open case beside it). Before the job opens the
 * case, the times count from now.
 */
export async function arrearsBanner(
  db: DbOrTx,
  actor: Actor | null,
  /** `config`: the dunning periods, or how to read them (only when the balance is below zero). */
  opts: { now: Date; config: DunningConfig | (() => Promise<DunningConfig>); cache?: DataCache },
): Promise<ArrearsBanner | null> {
  const organizationId = actor?.organizationId;
  if (!actor || !organizationId) return null;
  // The wallet's balance and open case are read on every portal page: kept per organization
  // (forgotten when either changes, src/lib/data-cache.ts); what the actor may see of them is
  // decided below, per request.
  const load = () =>
    db
      .selectFrom('wallets as w')
      .leftJoin('dunning_cases as c', (j) =>
        j.onRef('c.organization_id', '=', 'w.organization_id').on('c.lifted_at', 'is', null),
      )
      .select([
        'w.balance',
        'w.currency',
        'c.arrears_since',
        'c.extended_until',
        'c.exempt_reason',
        'c.suspended_at',
        'c.terminated_at',
      ])
      .where('w.organization_id', '=', organizationId)
      .executeTakeFirst();
  const row = opts.cache ? await opts.cache.read(`arrears:${organizationId}`, [organizationId], load) : await load();
  if (!row || row.balance >= 0n) return null;
  const config = typeof opts.config === 'function' ? await opts.config() : opts.config;
  const d = deadlinesOf(
    {
      arrears_since: row.arrears_since ?? opts.now,
      extended_until: row.extended_until,
      exempt_reason: row.exempt_reason,
    },
    config,
  );
  const exempt = row.exempt_reason !== null;
  return {
    balance: can(actor, 'billing_view') ? row.balance : null,
    currency: row.currency,
    suspended: row.suspended_at !== null,
    suspendAt: exempt ? null : d.suspendAt,
    terminateAt: exempt ? null : d.terminateAt,
    terminated: row.terminated_at !== null,
    exempt,
    canPay: can(actor, 'billing_manage'),
  };
}
