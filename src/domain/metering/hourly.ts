import { hostname } from 'node:os';
import { sql } from 'kysely';
import type { Db, DbOrTx } from '../../db/index.ts';
import type { BillingRunTrigger } from '../../db/types.ts';
import { ConflictError, ValidationError } from '../../lib/errors.ts';
import type { Deps } from '../deps.ts';
import { failAbandonedRuns, hourLockKey, readRun, RUN_LOCK_CLASS, runView, type BillingRunView } from './runs.ts';

/**
 * The hourly billing engine (BILLING.md "VPS hourly charges"). One run bills one clock hour H
 * for every server that existed during it and has no charge for it yet, in batches of
 * organizations (about `BATCH_SERVERS` servers each). Each batch is one transaction of a few
 * set-based statements, never a loop over servers:
 *
 *   1. the month's advisory lock (runs of hours in one month take turns per batch, so the
 *      monthly cap is computed from committed charges), and the batch's wallets locked in id order;
 *   2. INSERT … SELECT … ON CONFLICT DO NOTHING of the charge rows: the rate in force at H (the
 *      server's billing period at H: plan and backups; the plan's newest price with
 *      effective_from <= H; monthly / 730 rounded half up once), capped at that monthly price
 *      less what the server was charged in H's UTC calendar month (`server_month_charges`, which
 *      a trigger keeps as charge rows are written; zero charges recorded too);
 *   3. one statement posting the batch: per organization one ledger transaction (kind
 *      vps_charge, allow_negative: usage always posts) wallet → vps_revenue, the wallet's
 *      balance and running balance, and the charge rows' ledger_transaction_id.
 *
 * `server_charges`' primary key (server, hour) makes a charge exactly-once under any number of
 * runners; the ledger key `vps:hour:<org>:<hour ISO>:<first server id>` names the posting of a
 * set of charge rows, which can only be written once. Hours come from the database clock.
 */

/** Servers per batch (a batch is whole organizations, so it may be larger by one organization). */
export const BATCH_SERVERS = 5_000;
/** How far back a catch-up looks for hours never billed. */
export const MAX_BACKFILL_HOURS = 24 * 7;

const MONTH_LOCK_CLASS = 1_200_013;
const monthLockKey = (hour: Date) => hour.getUTCFullYear() * 12 + hour.getUTCMonth();

export const workerName = () => `${hostname()}:${process.pid}`;

type EngineDeps = Pick<Deps, 'db' | 'config' | 'log'>;

export interface HourlyOptions {
  /** The clock hour to bill; default the database clock's current hour. Never a future hour. */
  hour?: Date;
  trigger: BillingRunTrigger;
  requestedBy?: string | null;
  /** A queued run (startBillingRun) to carry out. */
  runId?: string;
  /** Servers per batch (default BATCH_SERVERS). */
  batchServers?: number;
}

interface Totals {
  instances: number;
  amount: bigint;
  zero: number;
}

async function currentHour(db: DbOrTx): Promise<Date> {
  return (await sql<{ h: Date }>`select date_trunc('hour', now()) as h`.execute(db)).rows[0]!.h;
}

function checkHour(hour: Date, current: Date): void {
  if (Number.isNaN(hour.getTime()) || hour.getTime() % 3_600_000 !== 0)
    throw new ValidationError({ hour: 'Give the start of a clock hour (minutes and seconds zero).' });
  if (hour.getTime() > current.getTime())
    throw new ValidationError({
      hour: 'That hour has not started yet: only the current or a past hour can be billed.',
    });
}

/**
 * Bills one clock hour and records the run. Refused with ConflictError while another worker
 * bills the same hour (it holds the hour's advisory lock); a `running` row of the hour whose
 * worker died is marked failed first (when it is the run `runId` names, a new run carries the
 * hour out). Returns the finished run (succeeded or failed; a failed run's error is rethrown
 * after it is recorded).
 */
export async function runHourlyBilling(deps: EngineDeps, opts: HourlyOptions): Promise<BillingRunView> {
  const current = await currentHour(deps.db);
  const hour = opts.hour ?? current;
  checkHour(hour, current);
  return deps.db.connection().execute(async (conn) => {
    const locked = (
      await sql<{
        ok: boolean;
      }>`select pg_try_advisory_lock(${RUN_LOCK_CLASS}::int, ${hourLockKey(hour)}::int) as ok`.execute(conn)
    ).rows[0]!.ok;
    if (!locked) throw new ConflictError('A billing run for that hour is already running.');
    try {
      const abandoned = (await failAbandonedRuns(conn, hour)).find((r) => r.id === opts.runId);
      // The run we were asked for was started by a worker that died (its job offered again,
      // src/queue/reaper.ts): the hour is carried out now, as a new run for the same person.
      const claimed = await claimRun(
        conn,
        deps,
        hour,
        abandoned ? { ...opts, runId: undefined, requestedBy: abandoned.requested_by } : opts,
      );
      if (!claimed) return (await readRun(conn, opts.runId!))!;
      const started = Date.now();
      try {
        const totals = await chargeHour(conn, { hour, runId: claimed, batchServers: opts.batchServers });
        const skipped = await skippedServers(conn, hour);
        const row = await conn
          .updateTable('billing_runs')
          .set({
            status: 'succeeded',
            instances_charged: totals.instances,
            amount: totals.amount,
            zero_charges: totals.zero,
            skipped: Object.values(skipped).reduce((a, b) => a + b, 0),
            skipped_reasons: JSON.stringify(skipped),
            duration_ms: Date.now() - started,
            finished_at: sql`now()`,
          })
          .where('id', '=', claimed)
          .returningAll()
          .executeTakeFirstOrThrow();
        deps.log.info(
          { hour: hour.toISOString(), instances: totals.instances, amount: totals.amount.toString() },
          'hourly billing run finished',
        );
        return runView(row);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        await conn
          .updateTable('billing_runs')
          .set({
            status: 'failed',
            errors: sql`errors || ${JSON.stringify([message.slice(0, 2000)])}::jsonb`,
            duration_ms: Date.now() - started,
            finished_at: sql`now()`,
          })
          .where('id', '=', claimed)
          .execute();
        throw err;
      }
    } finally {
      await sql`select pg_advisory_unlock(${RUN_LOCK_CLASS}::int, ${hourLockKey(hour)}::int)`.execute(conn);
    }
  });
}

/** The run row this worker carries out (set running), or null when `runId` is no longer queued. */
async function claimRun(conn: DbOrTx, deps: EngineDeps, hour: Date, opts: HourlyOptions): Promise<string | null> {
  const running = { status: 'running' as const, started_at: sql<Date>`now()`, worker: workerName() };
  if (opts.runId) {
    const row = await conn
      .updateTable('billing_runs')
      .set(running)
      .where('id', '=', opts.runId)
      .where('status', '=', 'queued')
      .returning('id')
      .executeTakeFirst();
    return row?.id ?? null;
  }
  // A run staff queued for this hour is carried out now rather than twice.
  const adopted = await conn
    .updateTable('billing_runs')
    .set(running)
    .where('hour_start', '=', hour)
    .where('status', '=', 'queued')
    .returning('id')
    .executeTakeFirst();
  if (adopted) return adopted.id;
  const row = await conn
    .insertInto('billing_runs')
    .values({
      hour_start: hour,
      trigger: opts.trigger,
      requested_by: opts.requestedBy ?? null,
      currency: deps.config.BILLING_CURRENCY,
      ...running,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** The servers that existed during `hour` (created before its end, not deleted before its start, not a failed create). */
const existedDuring = (hour: Date) => sql`
  s.created_at < ${hour}::timestamptz + interval '1 hour'
  and (s.deleted_at is null or s.deleted_at >= ${hour}::timestamptz)
  and s.status <> 'failed'`;

/**
 * Charges `hour` for every server of it without a charge, batch by batch; what this call
 * charged. Safe to call concurrently and again (each batch skips servers already charged).
 * `runId` is written on the charge rows and ledger details.
 */
export async function chargeHour(
  db: Db | DbOrTx,
  opts: { hour: Date; runId: string; batchServers?: number | undefined },
): Promise<Totals> {
  const { hour, runId } = opts;
  const orgs = await sql<{ organization_id: string; n: string }>`
    select s.organization_id, count(*) as n
      from servers s
     where ${existedDuring(hour)}
       and not exists (select 1 from server_charges c where c.server_id = s.id and c.hour_start = ${hour}::timestamptz)
     group by s.organization_id
     order by s.organization_id`.execute(db);
  const batches: string[][] = [];
  let batch: string[] = [];
  let size = 0;
  for (const o of orgs.rows) {
    batch.push(o.organization_id);
    size += Number(o.n);
    if (size >= (opts.batchServers ?? BATCH_SERVERS)) {
      batches.push(batch);
      batch = [];
      size = 0;
    }
  }
  if (batch.length) batches.push(batch);
  const totals: Totals = { instances: 0, amount: 0n, zero: 0 };
  for (const b of batches) {
    const t = await withRetry(() => db.transaction().execute((trx) => chargeBatch(trx, hour, runId, b)));
    totals.instances += t.instances;
    totals.amount += t.amount;
    totals.zero += t.zero;
  }
  return totals;
}

/** Deadlocks and serialization failures are retried: the batch is all or nothing. */
async function withRetry<T>(fn: () => Promise<T>, attempts = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (i >= attempts || (code !== '40P01' && code !== '40001')) throw err;
    }
  }
}

async function chargeBatch(trx: DbOrTx, hour: Date, runId: string, orgs: string[]): Promise<Totals> {
  await sql`select pg_advisory_xact_lock(${MONTH_LOCK_CLASS}::int, ${monthLockKey(hour)}::int)`.execute(trx);
  await sql`select id from wallets where organization_id = any(${orgs}::uuid[]) order by id for update`.execute(trx);
  const monthStart = sql`date_trunc('month', ${hour}::timestamptz at time zone 'UTC')`;
  const hourIso = hour.toISOString();
  // One statement: the charge rows are written already pointing at their organization's posting
  // (its id drawn up front), and the postings are made from the rows actually inserted, so a
  // charge another runner wrote first is neither charged nor posted twice. Every sub-statement
  // runs whether or not the final select reads it; foreign keys are checked at the end of the
  // statement, after the postings exist.
  const result = await sql<{ instances: string; amount: string | null; zero: string }>`
    with candidates as (
      select s.id, s.organization_id, p.plan_id, p.backups
        from servers s
        join lateral (
          select bp.plan_id, bp.backups from server_billing_periods bp
           where bp.server_id = s.id and bp.effective_from <= ${hour}::timestamptz
           order by bp.effective_from desc limit 1) p on true
       where s.organization_id = any(${orgs}::uuid[])
         and ${existedDuring(hour)}
         and not exists (select 1 from server_charges c where c.server_id = s.id and c.hour_start = ${hour}::timestamptz)
    ), prices as (
      -- Each plan's price in force at H, looked up once per plan rather than once per server.
      select pl.plan_id, pr.base_monthly, pr.markup_monthly, pr.backups_monthly, pr.currency
        from (select distinct plan_id from candidates) pl
        join lateral (
          select pp.base_monthly, pp.markup_monthly, pp.backups_monthly, pp.currency from server_plan_prices pp
           where pp.plan_id = pl.plan_id and pp.effective_from <= ${hour}::timestamptz
           order by pp.effective_from desc limit 1) pr on true
    ), priced as (
      select c.id, c.organization_id, pr.currency,
             pr.base_monthly + pr.markup_monthly + case when c.backups then pr.backups_monthly else 0 end as monthly
        from candidates c
        join prices pr on pr.plan_id = c.plan_id
        join wallets w on w.organization_id = c.organization_id and w.currency = pr.currency
    ), postings as (
      select organization_id, gen_random_uuid() as id from (select distinct organization_id from priced) o
    ), rated as (
      select p.*, (p.monthly * 2 + 730) / 1460 as rate, coalesce(m.charged, 0) as used
        from priced p
        left join server_month_charges m on m.server_id = p.id and m.month = ${monthStart}::date
    ), ins as (
      insert into server_charges (server_id, hour_start, organization_id, amount, rate, currency, billing_run_id,
                                  ledger_transaction_id)
      select r.id, ${hour}::timestamptz, r.organization_id, a.amount, r.rate, r.currency, ${runId}::uuid,
             case when a.amount > 0 then po.id end
        from rated r
        cross join lateral (select least(r.rate, greatest(r.monthly - r.used, 0)) as amount) a
        join postings po on po.organization_id = r.organization_id
      on conflict (server_id, hour_start) do nothing
      returning server_id, organization_id, currency, amount, ledger_transaction_id
    ), g as (
      select ledger_transaction_id as id, organization_id, currency, sum(amount)::bigint as total, count(*) as n,
             min(server_id::text) as first_server
        from ins where ledger_transaction_id is not null
       group by ledger_transaction_id, organization_id, currency
    ), tx as (
      insert into ledger_transactions (id, idempotency_key, kind, organization_id, currency, description,
                                       allow_negative, details)
      select g.id, 'vps:hour:' || g.organization_id || ':' || ${hourIso}::text || ':' || g.first_server, 'vps_charge',
             g.organization_id, g.currency,
             'Servers: ' || g.n || case when g.n = 1 then ' server-hour, ' else ' server-hours, ' end
               || to_char(${hour}::timestamptz at time zone 'UTC', 'YYYY-MM-DD HH24:00') || ' UTC',
             true, jsonb_build_object('hour_start', ${hourIso}::text, 'billing_run_id', ${runId}::text, 'servers', g.n)
        from g
      returning id
    ), w as (
      update wallets set balance = wallets.balance - g.total
        from g where wallets.organization_id = g.organization_id and wallets.currency = g.currency
      returning wallets.id, wallets.organization_id, wallets.balance
    ), e as (
      insert into ledger_entries (transaction_id, wallet_id, platform_account, amount, balance_after)
      select g.id, w.id, null, -g.total, w.balance from g join w using (organization_id)
      union all
      select g.id, null, 'vps_revenue', g.total, null from g
      returning 1
    )
    select count(*) as instances, sum(amount) as amount, count(*) filter (where amount = 0) as zero
      from ins`.execute(trx);
  const r = result.rows[0]!;
  return { instances: Number(r.instances), amount: BigInt(r.amount ?? 0), zero: Number(r.zero) };
}

/** Servers of `hour` still without a charge after a run, counted by why. */
async function skippedServers(db: DbOrTx, hour: Date): Promise<Record<string, number>> {
  const rows = await sql<{ reason: string; n: string }>`
    select case
             when p.plan_id is null then 'no_billing_period'
             when pr.currency is null then 'no_price'
             when w.id is null then 'no_wallet'
             when w.currency <> pr.currency then 'currency_mismatch'
             else 'not_charged'
           end as reason, count(*) as n
      from servers s
      left join lateral (
        select bp.plan_id from server_billing_periods bp
         where bp.server_id = s.id and bp.effective_from <= ${hour}::timestamptz
         order by bp.effective_from desc limit 1) p on true
      left join lateral (
        select pp.currency from server_plan_prices pp
         where pp.plan_id = p.plan_id and pp.effective_from <= ${hour}::timestamptz
         order by pp.effective_from desc limit 1) pr on true
      left join wallets w on w.organization_id = s.organization_id
     where ${existedDuring(hour)}
       and not exists (select 1 from server_charges c where c.server_id = s.id and c.hour_start = ${hour}::timestamptz)
     group by 1`.execute(db);
  return Object.fromEntries(rows.rows.map((r) => [r.reason, Number(r.n)]));
}

/**
 * The schedule's and the catch-up's work: every hour of the last `MAX_BACKFILL_HOURS` up to
 * the current one that no run billed to the end (and in which a server existed), oldest
 * first, each at its own rate. An hour another worker is billing is left to it.
 */
export async function billMissedHours(
  deps: EngineDeps,
  opts: { trigger: 'schedule' | 'catch_up'; maxHours?: number },
): Promise<BillingRunView[]> {
  const max = opts.maxHours ?? MAX_BACKFILL_HOURS;
  const hours = await sql<{ h: Date }>`
    with bounds as (
      select date_trunc('hour', now()) as current,
             greatest(date_trunc('hour', now()) - make_interval(hours => ${max - 1}::int),
                      coalesce(date_trunc('hour', (select min(created_at) from servers)), date_trunc('hour', now()))) as first
    )
    select h from bounds, generate_series(bounds.first, bounds.current, interval '1 hour') h
     where not exists (select 1 from billing_runs r where r.hour_start = h and r.status = 'succeeded')
     order by h`.execute(deps.db);
  const runs: BillingRunView[] = [];
  for (const { h } of hours.rows) {
    try {
      runs.push(await runHourlyBilling(deps, { hour: h, trigger: opts.trigger }));
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      deps.log.info({ hour: h.toISOString() }, 'hour already being billed by another worker');
    }
  }
  return runs;
}
