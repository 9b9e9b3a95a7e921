import { sql } from 'kysely';
import type { Db, DbOrTx } from '../../db/index.ts';
import type { BillingRunStatus, BillingRunTrigger } from '../../db/types.ts';
import { ConflictError, NotFoundError, ValidationError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import { invalidCursor } from '../../db/paging.ts';
import type { Actor } from '../access/actor.ts';
import { requirePlatformAdmin } from '../access/guard.ts';
import type { Deps } from '../deps.ts';

/**
 * Runs of the hourly billing engine (hourly.ts) as staff see and start them. One row per
 * attempt at one clock hour; at most one run of an hour is queued or running at a time
 * (`billing_runs_one_active`), and a run holds the hour's advisory lock while it works, so a
 * `running` row whose lock nobody holds belongs to a worker that died: it is marked failed.
 */
export type { BillingRunStatus };

export interface BillingRunView {
  id: string;
  hourStart: Date;
  status: BillingRunStatus;
  trigger: BillingRunTrigger;
  requestedBy: string | null;
  worker: string | null;
  instancesCharged: number;
  amount: bigint;
  currency: string;
  zeroCharges: number;
  skipped: number;
  skippedReasons: Record<string, number>;
  errors: string[];
  durationMs: number | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export interface BillingRunDetail extends BillingRunView {
  organizations: Array<{ organizationId: string; name: string; instances: number; amount: bigint }>;
}

/** The advisory lock of one clock hour's billing: (class, hours since the epoch). */
export const RUN_LOCK_CLASS = 1_200_012;
export const hourLockKey = (hour: Date) => Math.floor(hour.getTime() / 3_600_000);

/** The error text of a run whose worker stopped before finishing it. */
export const ABANDONED = 'The worker stopped before the run finished (no worker holds the hour).';

const runColumns = [
  'id',
  'hour_start',
  'status',
  'trigger',
  'requested_by',
  'worker',
  'instances_charged',
  'amount',
  'currency',
  'zero_charges',
  'skipped',
  'skipped_reasons',
  'errors',
  'duration_ms',
  'created_at',
  'started_at',
  'finished_at',
] as const;

type RunRow = {
  id: string;
  hour_start: Date;
  status: BillingRunStatus;
  trigger: BillingRunTrigger;
  requested_by: string | null;
  worker: string | null;
  instances_charged: number;
  amount: bigint;
  currency: string;
  zero_charges: number;
  skipped: number;
  skipped_reasons: Record<string, number>;
  errors: string[];
  duration_ms: number | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
};

export function runView(r: RunRow): BillingRunView {
  return {
    id: r.id,
    hourStart: r.hour_start,
    status: r.status,
    trigger: r.trigger,
    requestedBy: r.requested_by,
    worker: r.worker,
    instancesCharged: r.instances_charged,
    amount: r.amount,
    currency: r.currency.trim(),
    zeroCharges: r.zero_charges,
    skipped: r.skipped,
    skippedReasons: r.skipped_reasons ?? {},
    errors: r.errors ?? [],
    durationMs: r.duration_ms,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  };
}

/** One run by id (no access check: the engine's own read). */
export async function readRun(db: DbOrTx, id: string): Promise<BillingRunView | null> {
  const row = await db.selectFrom('billing_runs').select(runColumns).where('id', '=', id).executeTakeFirst();
  return row ? runView(row) : null;
}

/**
 * Marks the `running` rows of `hour` failed when no worker holds the hour's lock (returned). Call
 * it holding that lock yourself (then any `running` row is a dead worker's).
 */
export async function failAbandonedRuns(
  db: DbOrTx,
  hour: Date,
): Promise<Array<{ id: string; requested_by: string | null }>> {
  return db
    .updateTable('billing_runs')
    .set({
      status: 'failed',
      errors: sql`errors || ${JSON.stringify([ABANDONED])}::jsonb`,
      finished_at: sql`now()`,
    })
    .where('hour_start', '=', hour)
    .where('status', '=', 'running')
    .returning(['id', 'requested_by'])
    .execute();
}

/**
 * Staff start a run of one clock hour (default: the database clock's current hour). A future
 * hour is refused (422 on `hour`); while a run of that hour is queued or running, 409. The run
 * is queued here and billed by the `billing.hourly` job.
 */
export async function startBillingRun(
  deps: Pick<Deps, 'db' | 'queue' | 'config'>,
  actor: Actor,
  opts: { hour?: Date },
): Promise<BillingRunView> {
  requirePlatformAdmin(actor);
  if (opts.hour && Number.isNaN(opts.hour.getTime())) throw new ValidationError({ hour: 'Give a valid hour.' });
  return deps.db.transaction().execute(async (trx) => {
    const { current } = await sql<{ current: Date }>`select date_trunc('hour', now()) as current`
      .execute(trx)
      .then((r) => r.rows[0]!);
    const hour = opts.hour ?? current;
    if (hour.getTime() % 3_600_000 !== 0)
      throw new ValidationError({ hour: 'Give the start of a clock hour (minutes and seconds zero).' });
    if (hour.getTime() > current.getTime())
      throw new ValidationError({
        hour: 'That hour has not started yet: only the current or a past hour can be billed.',
      });
    const busy = () => new ConflictError('A billing run for that hour is already queued or running.');
    const locked = await sql<{
      ok: boolean;
    }>`select pg_try_advisory_xact_lock(${RUN_LOCK_CLASS}::int, ${hourLockKey(hour)}::int) as ok`
      .execute(trx)
      .then((r) => r.rows[0]!.ok);
    if (!locked) throw busy();
    await failAbandonedRuns(trx, hour);
    const row = await trx
      .insertInto('billing_runs')
      .values({
        hour_start: hour,
        status: 'queued',
        trigger: 'admin',
        requested_by: actor.userId,
        currency: deps.config.BILLING_CURRENCY,
      })
      // The arbiter is the partial index billing_runs_one_active: its predicate written out, not as
      // bound parameters, which a generic plan (from the sixth execution on a connection) cannot
      // match to the index: "no unique or exclusion constraint matching the ON CONFLICT
      // specification", a 500 the fuzz found (test/fuzz/found.test.ts).
      .onConflict((oc) =>
        oc
          .column('hour_start')
          .where(sql<boolean>`status in ('queued', 'running')`)
          .doNothing(),
      )
      .returning(runColumns)
      .executeTakeFirst();
    if (!row) throw busy();
    await deps.queue.enqueue(trx, 'billing.hourly', { hour: hour.toISOString(), runId: row.id, trigger: 'admin' });
    return runView(row);
  });
}

/** Runs newest first, by keyset (`cursor`: the last run id of the previous page). */
export async function listBillingRuns(
  db: DbOrTx,
  actor: Actor,
  page: { limit?: number; cursor?: string | null },
): Promise<{ items: BillingRunView[]; nextCursor: string | null }> {
  requirePlatformAdmin(actor);
  const limit = Math.min(Math.max(page.limit ?? 50, 1), 200);
  let q = db.selectFrom('billing_runs').select(runColumns);
  if (page.cursor) {
    if (!isUuid(page.cursor)) throw invalidCursor();
    const exists = await db.selectFrom('billing_runs').select('id').where('id', '=', page.cursor).executeTakeFirst();
    if (!exists) throw invalidCursor();
    q = q.where(({ eb, refTuple, selectFrom }) =>
      eb(
        refTuple('created_at', 'id'),
        '<',
        selectFrom('billing_runs as c').select(['c.created_at', 'c.id']).where('c.id', '=', page.cursor!) as never,
      ),
    );
  }
  const rows = await q
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit + 1)
    .execute();
  const kept = rows.slice(0, limit);
  return {
    items: kept.map(runView),
    nextCursor: rows.length > limit && kept.length ? kept[kept.length - 1]!.id : null,
  };
}

/** One run with what it charged per organization (largest amount first). */
export async function getBillingRun(db: DbOrTx, actor: Actor, id: string): Promise<BillingRunDetail> {
  requirePlatformAdmin(actor);
  if (!isUuid(id)) throw new NotFoundError('No such billing run.');
  const run = await readRun(db, id);
  if (!run) throw new NotFoundError('No such billing run.');
  const orgs = await db
    .selectFrom('server_charges as c')
    .innerJoin('organizations as o', 'o.id', 'c.organization_id')
    .select(({ fn }) => [
      'c.organization_id',
      'o.name',
      fn.countAll<string>().as('instances'),
      sql<bigint>`coalesce(sum(c.amount), 0)::bigint`.as('amount'),
    ])
    .where('c.billing_run_id', '=', id)
    .groupBy(['c.organization_id', 'o.name'])
    .orderBy('amount', 'desc')
    .orderBy('o.name')
    .execute();
  return {
    ...run,
    organizations: orgs.map((o) => ({
      organizationId: o.organization_id,
      name: o.name,
      instances: Number(o.instances),
      amount: BigInt(o.amount),
    })),
  };
}

/**
 * The last clock hour billed to the end by a run that succeeded, and how far billing is behind:
 * now (database clock) − (that hour + 1 h), never below zero; 0 when nothing was ever billed.
 */
export async function billingLag(db: Db | DbOrTx): Promise<{ lastBilledHour: Date | null; lagSeconds: number }> {
  const row = await sql<{ last: Date | null; lag: string | null }>`
    select max(hour_start) as last,
           greatest(0, floor(extract(epoch from (now() - (max(hour_start) + interval '1 hour')))))::bigint as lag
      from billing_runs where status = 'succeeded'`
    .execute(db)
    .then((r) => r.rows[0]!);
  return { lastBilledHour: row.last, lagSeconds: row.last ? Number(row.lag ?? 0) : 0 };
}
