import { hostname } from 'node:os';
import { sql } from 'kysely';
import type { Db, DbOrTx, Tx } from '../../db/index.ts';
import type { TransferRunKind, TransferRunTrigger } from '../../db/types.ts';
import { ConflictError, ValidationError } from '../../lib/errors.ts';
import type { Deps } from '../deps.ts';
import { post } from '../ledger/post.ts';
import { drawCredits } from './credits.ts';
import {
  DEFAULT_PRICE_PER_GB,
  includedSql,
  monthKey,
  monthStartOf,
  nextMonthStart as nextMonth,
  priceBytes,
  usedSql,
} from './units.ts';

/**
 * Network transfer (egress) billing (BILLING.md "Egress"; the rules are in README text and
 * units.ts). Two runs:
 *
 * **Hourly** (`runTransferHour`, queue `transfer.hourly`): reads every live server's
 * month-to-date counter from its provider and stores it as the reading of the clock hour H
 * (`transfer_readings`, one per server and hour: a second run of the hour stores nothing
 * new). A reading belongs to the UTC month it was taken in; usage of a month is, per server,
 * its greatest reading of that month, so the provider's reset at the month's start never
 * loses or recounts anything (the new month's readings start again at its own counter).
 * Then, set-based, every region pool (organization, provider, region) whose overage this
 * month up to H (used − included, never below zero) exceeds what was already accrued accrues
 * the difference for hour H: one `transfer_accruals` row per (organization, pool, hour),
 * paid first from transfer credits (oldest first), the rest from the wallet at the region's
 * price per GB (usage: posts even below zero), ledger kind `egress_charge` to
 * `egress_revenue`, key `egress:hour:<org>:<provider>:<region>:<hour>`.
 *
 * **Month close** (`closeTransferMonths`, queue `transfer.close-month`): each pool of a
 * finished month is closed once (`transfer_month_closes` unique per pool and month) from the
 * readings stored during that month: the final overage less what the hours accrued. More is
 * charged (credits first, then the wallet at the region's current price, key
 * `egress:close:…`); less — the pool grew after overage was charged, e.g. a server added late
 * in the month — comes back as transfer credit of those bytes. A closed month is never billed
 * again (hourly accruals of a closed pool-month are refused).
 *
 * Each posting is its own short transaction holding the month's advisory lock and the
 * wallet's row lock; runs of one hour (or one month's close) exclude each other with a
 * session advisory lock. Every run is recorded in `transfer_runs`.
 */

const HOUR_LOCK_CLASS = 1_200_020;
const CLOSE_LOCK_CLASS = 1_200_021;
const MONTH_LOCK_CLASS = 1_200_022;
const hourLockKey = (h: Date) => Math.floor(h.getTime() / 3_600_000);
const monthLockKey = (d: Date) => d.getUTCFullYear() * 12 + d.getUTCMonth();
/** Provider reads in flight at once. */
const READ_CONCURRENCY = 8;

const workerName = () => `${hostname()}:${process.pid}`;

type EngineDeps = Pick<Deps, 'db' | 'config' | 'log' | 'clouds'>;

export interface TransferRunResult {
  id: string;
  kind: TransferRunKind;
  periodStart: Date;
  serversRead: number;
  readErrors: number;
  poolsCharged: number;
  bytesCharged: bigint;
  creditBytes: bigint;
  amount: bigint;
  errors: string[];
}

async function dbHour(db: DbOrTx): Promise<Date> {
  return (await sql<{ h: Date }>`select date_trunc('hour', now()) as h`.execute(db)).rows[0]!.h;
}

/** Records a run around `fn` (running → succeeded/failed), holding a session advisory lock. */
async function withRun(
  deps: EngineDeps,
  lock: [number, number],
  row: { kind: TransferRunKind; periodStart: Date; trigger: TransferRunTrigger },
  fn: (conn: Db, runId: string, result: TransferRunResult) => Promise<void>,
): Promise<TransferRunResult> {
  return deps.db.connection().execute(async (conn) => {
    const ok = (
      await sql<{ ok: boolean }>`select pg_try_advisory_lock(${lock[0]}::int, ${lock[1]}::int) as ok`.execute(conn)
    ).rows[0]!.ok;
    if (!ok) throw new ConflictError('A transfer run for that period is already running.');
    const started = Date.now();
    try {
      const run = await conn
        .insertInto('transfer_runs')
        .values({ kind: row.kind, period_start: row.periodStart, trigger: row.trigger, worker: workerName() })
        .returning('id')
        .executeTakeFirstOrThrow();
      const result: TransferRunResult = {
        id: run.id,
        kind: row.kind,
        periodStart: row.periodStart,
        serversRead: 0,
        readErrors: 0,
        poolsCharged: 0,
        bytesCharged: 0n,
        creditBytes: 0n,
        amount: 0n,
        errors: [],
      };
      const finish = (status: 'succeeded' | 'failed') =>
        conn
          .updateTable('transfer_runs')
          .set({
            status,
            servers_read: result.serversRead,
            read_errors: result.readErrors,
            pools_charged: result.poolsCharged,
            bytes_charged: result.bytesCharged,
            credit_bytes: result.creditBytes,
            amount: result.amount,
            errors: JSON.stringify(result.errors.slice(0, 50).map((e) => e.slice(0, 500))),
            duration_ms: Date.now() - started,
            finished_at: sql`now()`,
          })
          .where('id', '=', run.id)
          .execute();
      try {
        await fn(conn, run.id, result);
      } catch (err) {
        result.errors.push(err instanceof Error ? err.message : String(err));
        await finish('failed');
        throw err;
      }
      await finish('succeeded');
      return result;
    } finally {
      await sql`select pg_advisory_unlock(${lock[0]}::int, ${lock[1]}::int)`.execute(conn);
    }
  });
}

/**
 * Reads and accrues clock hour `hour` (default: the database clock's current hour; never a
 * future hour). ConflictError while another worker runs the same hour.
 */
export async function runTransferHour(
  deps: EngineDeps,
  opts: { hour?: Date; trigger: TransferRunTrigger } = { trigger: 'schedule' },
): Promise<TransferRunResult> {
  const current = await dbHour(deps.db);
  const hour = opts.hour ?? current;
  if (Number.isNaN(hour.getTime()) || hour.getTime() % 3_600_000 !== 0)
    throw new ValidationError({ hour: 'Give the start of a clock hour.' });
  // The provider answers its counter as of now: it is the reading of the current hour only.
  // Tests (trigger 'test') name past hours and move the emulator's clock there first.
  if (hour.getTime() !== current.getTime() && opts.trigger !== 'test')
    throw new ValidationError({
      hour: 'Only the current hour can be read: a reading belongs to the hour it is taken in.',
    });
  return withRun(
    deps,
    [HOUR_LOCK_CLASS, hourLockKey(hour)],
    { kind: 'hourly', periodStart: hour, trigger: opts.trigger },
    async (conn, runId, result) => {
      await readHour(deps, conn, hour, runId, result);
      await accrueHour(deps, conn, hour, runId, result);
      deps.log.info(
        { hour: hour.toISOString(), servers: result.serversRead, amount: result.amount.toString() },
        'transfer hour read',
      );
    },
  );
}

/** Stores the reading of `hour` of every live server that has none yet. Provider failures are counted, not fatal. */
async function readHour(deps: EngineDeps, db: Db, hour: Date, runId: string, result: TransferRunResult) {
  const servers = await db
    .selectFrom('servers as s')
    .innerJoin('cloud_providers as p', 'p.id', 's.provider_id')
    .select([
      's.id',
      's.organization_id',
      's.provider_id',
      's.region',
      's.provider_instance_id',
      'p.kind',
      'p.emulated',
      'p.base_url',
      'p.token_ciphertext',
      'p.updated_at',
    ])
    .where('s.status', 'not in', ['deleted', 'failed'])
    .where('s.provider_instance_id', 'is not', null)
    .where('s.created_at', '<', new Date(hour.getTime() + 3_600_000))
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('transfer_readings as r')
            .select('r.server_id')
            .whereRef('r.server_id', '=', 's.id')
            .where('r.hour_start', '=', hour),
        ),
      ),
    )
    .orderBy('s.id')
    .execute();
  const clients = new Map<string, ReturnType<EngineDeps['clouds']['forProvider']> | Error>();
  const clientOf = (s: (typeof servers)[number]) => {
    if (!clients.has(s.provider_id)) {
      try {
        clients.set(
          s.provider_id,
          deps.clouds.forProvider({
            id: s.provider_id,
            kind: s.kind,
            emulated: s.emulated,
            base_url: s.base_url,
            token_ciphertext: s.token_ciphertext,
            updated_at: s.updated_at,
          }),
        );
      } catch (err) {
        clients.set(s.provider_id, err instanceof Error ? err : new Error(String(err)));
      }
    }
    const c = clients.get(s.provider_id)!;
    if (c instanceof Error) throw c;
    return c;
  };
  const month = monthKey(hour);
  const readings: Array<{
    server_id: string;
    organization_id: string;
    provider_id: string;
    region: string;
    used: bigint;
  }> = [];
  let next = 0;
  const worker = async () => {
    while (next < servers.length) {
      const s = servers[next++]!;
      try {
        const t = await clientOf(s).transfer(s.provider_instance_id!);
        readings.push({
          server_id: s.id,
          organization_id: s.organization_id,
          provider_id: s.provider_id,
          region: s.region,
          used: t.usedBytes < 0n ? 0n : t.usedBytes,
        });
      } catch (err) {
        result.readErrors++;
        if (result.errors.length < 50)
          result.errors.push(`server ${s.id}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, servers.length) }, worker));
  for (let i = 0; i < readings.length; i += 1000) {
    const chunk = readings.slice(i, i + 1000);
    const stored = await sql<{ n: string }>`
      with ins as (
        insert into transfer_readings (server_id, hour_start, month, organization_id, provider_id, region, used_bytes, run_id)
        select r.server_id, ${hour.toISOString()}::timestamptz, ${month}::date, r.organization_id, r.provider_id, r.region, r.used, ${runId}::uuid
          from unnest(${chunk.map((r) => r.server_id)}::uuid[], ${chunk.map((r) => r.organization_id)}::uuid[],
                      ${chunk.map((r) => r.provider_id)}::uuid[], ${chunk.map((r) => r.region)}::text[],
                      ${chunk.map((r) => r.used.toString())}::bigint[])
               as r(server_id, organization_id, provider_id, region, used)
         -- Early in a month, a counter not below the server's whole last month has not been
         -- reset by the provider yet (clocks differ): not this month's, so not stored (read again next hour).
         where not (${hour.toISOString()}::timestamptz < (${month}::date::timestamp at time zone 'UTC') + interval '2 hours'
                    and exists (select 1 from transfer_server_months p
                                 where p.server_id = r.server_id and p.month = (${month}::date - interval '1 month')::date
                                   and p.used_bytes > 0 and p.used_bytes <= r.used))
        on conflict (server_id, hour_start) do nothing
        returning 1)
      select count(*)::text as n from ins`.execute(db);
    const n = Number(stored.rows[0]!.n);
    result.serversRead += n;
    if (n < chunk.length)
      result.errors.push(
        `${chunk.length - n} reading(s) not stored: the provider's counter had not started the new month yet.`,
      );
  }
}

interface Pool {
  organization_id: string;
  provider_id: string;
  region: string;
}

interface PriceInfo {
  pricePerGb: bigint;
  currency: string | null;
}

/** The overage price per GB of a region (staff's row, or the default in the platform currency). */
export async function regionPrice(db: DbOrTx, providerId: string, region: string): Promise<PriceInfo> {
  const row = await db
    .selectFrom('transfer_region_prices')
    .select(['price_per_gb', 'currency'])
    .where('provider_id', '=', providerId)
    .where('region_id', '=', region)
    .executeTakeFirst();
  return row
    ? { pricePerGb: row.price_per_gb, currency: row.currency }
    : { pricePerGb: DEFAULT_PRICE_PER_GB, currency: null };
}

/** Pools whose overage up to `hour` exceeds what they accrued this month (and that are not closed, nor accrued at `hour`). */
async function accrueHour(deps: EngineDeps, db: Db, hour: Date, runId: string, result: TransferRunResult) {
  const ms = monthStartOf(hour);
  const month = monthKey(hour);
  const candidates = await sql<Pool & { used: string; included: string; overage: string; billed: string }>`
    with used as (${usedSql(month)}),
         inc as (${includedSql(ms, { before: new Date(hour.getTime() + 3_600_000) })}),
         acc as (select organization_id, provider_id, region, sum(billed_bytes)::bigint as billed
                   from transfer_accruals where month = ${month}::date group by 1, 2, 3)
    select u.organization_id, u.provider_id, u.region, u.used,
           coalesce(i.included, '0') as included,
           greatest(u.used::bigint - coalesce(i.included, '0')::bigint, 0)::text as overage,
           coalesce(a.billed, 0)::text as billed
      from used u
      left join inc i using (organization_id, provider_id, region)
      left join acc a using (organization_id, provider_id, region)
     where greatest(u.used::bigint - coalesce(i.included, '0')::bigint, 0) > coalesce(a.billed, 0)
       and not exists (select 1 from transfer_month_closes c
                        where c.organization_id = u.organization_id and c.provider_id = u.provider_id
                          and c.region = u.region and c.month = ${month}::date)
       and not exists (select 1 from transfer_accruals x
                        where x.organization_id = u.organization_id and x.provider_id = u.provider_id
                          and x.region = u.region and x.hour_start = ${hour.toISOString()}::timestamptz)
     order by u.organization_id, u.provider_id, u.region`.execute(db);
  for (const c of candidates.rows) {
    try {
      await db.transaction().execute(async (trx) => {
        await sql`select pg_advisory_xact_lock(${MONTH_LOCK_CLASS}::int, ${monthLockKey(ms)}::int)`.execute(trx);
        const wallet = await lockWallet(trx, c.organization_id);
        // Again under the locks: a close or another run may have written since the selection.
        const closed = await trx
          .selectFrom('transfer_month_closes')
          .select('id')
          .where('organization_id', '=', c.organization_id)
          .where('provider_id', '=', c.provider_id)
          .where('region', '=', c.region)
          .where(sql<boolean>`month = ${month}::date`)
          .executeTakeFirst();
        if (closed) return;
        const billedRow = await trx
          .selectFrom('transfer_accruals')
          .select(sql<string>`coalesce(sum(billed_bytes), 0)::text`.as('billed'))
          .where('organization_id', '=', c.organization_id)
          .where('provider_id', '=', c.provider_id)
          .where('region', '=', c.region)
          .where(sql<boolean>`month = ${month}::date`)
          .executeTakeFirstOrThrow();
        const overage = BigInt(c.overage);
        const delta = overage - BigInt(billedRow.billed);
        if (delta <= 0n) return;
        const price = await regionPrice(trx, c.provider_id, c.region);
        if (price.currency && price.currency !== wallet.currency)
          throw new Error(`region ${c.region} is priced in ${price.currency}, the wallet is in ${wallet.currency}`);
        const inserted = await trx
          .insertInto('transfer_accruals')
          .values({
            organization_id: c.organization_id,
            provider_id: c.provider_id,
            region: c.region,
            hour_start: hour,
            month,
            used_bytes: BigInt(c.used),
            included_bytes: BigInt(c.included),
            overage_bytes: overage,
            billed_bytes: delta,
            credit_bytes: 0n,
            wallet_bytes: delta,
            price_per_gb: price.pricePerGb,
            amount: 0n,
            currency: wallet.currency,
            run_id: runId,
          })
          .onConflict((oc) => oc.columns(['organization_id', 'provider_id', 'region', 'hour_start']).doNothing())
          .returning('id')
          .executeTakeFirst();
        if (!inserted) return;
        const paid = await pay(trx, {
          wallet,
          organizationId: c.organization_id,
          bytes: delta,
          pricePerGb: price.pricePerGb,
          key: `egress:hour:${c.organization_id}:${c.provider_id}:${c.region}:${hour.toISOString()}`,
          description: `Network transfer over the included ${c.region} pool: ${hourLabel(hour)} UTC`,
          details: { hour_start: hour.toISOString(), region: c.region, transfer_run_id: runId },
          draw: { accrual_id: inserted.id },
        });
        await trx
          .updateTable('transfer_accruals')
          .set({
            credit_bytes: paid.creditBytes,
            wallet_bytes: delta - paid.creditBytes,
            amount: paid.amount,
            ledger_transaction_id: paid.transactionId,
          })
          .where('id', '=', inserted.id)
          .execute();
        result.poolsCharged++;
        result.bytesCharged += delta;
        result.creditBytes += paid.creditBytes;
        result.amount += paid.amount;
      });
    } catch (err) {
      result.errors.push(
        `pool ${c.organization_id}/${c.region}: ${err instanceof Error ? err.message : String(err)}`.slice(0, 500),
      );
      deps.log.error({ err, organization: c.organization_id, region: c.region }, 'transfer accrual failed');
    }
  }
}

const hourLabel = (h: Date) => h.toISOString().slice(0, 13).replace('T', ' ') + ':00';

async function lockWallet(trx: Tx, organizationId: string) {
  return trx
    .selectFrom('wallets')
    .select(['id', 'currency'])
    .where('organization_id', '=', organizationId)
    .forUpdate()
    .executeTakeFirstOrThrow();
}

/** Pays `bytes` of overage: credits first (oldest first), the rest from the wallet (allowed below zero). */
async function pay(
  trx: Tx,
  p: {
    wallet: { id: string; currency: string };
    organizationId: string;
    bytes: bigint;
    pricePerGb: bigint;
    key: string;
    description: string;
    details: Record<string, string>;
    draw: { accrual_id: string } | { close_id: string };
  },
): Promise<{ creditBytes: bigint; amount: bigint; transactionId: string | null }> {
  const drawn = await drawCredits(trx, p.organizationId, p.bytes);
  if (drawn.draws.length)
    await trx
      .insertInto('transfer_credit_draws')
      .values(drawn.draws.map((d) => ({ credit_id: d.creditId, bytes: d.bytes, ...p.draw })))
      .execute();
  const amount = priceBytes(p.bytes - drawn.taken, p.pricePerGb);
  let transactionId: string | null = null;
  if (amount > 0n) {
    const posted = await post(trx, {
      idempotencyKey: p.key,
      kind: 'egress_charge',
      organizationId: p.organizationId,
      currency: p.wallet.currency,
      description: p.description,
      allowNegative: true,
      details: { ...p.details, bytes: (p.bytes - drawn.taken).toString(), price_per_gb: p.pricePerGb.toString() },
      lines: [
        { walletId: p.wallet.id, amount: -amount },
        { account: 'egress_revenue', amount },
      ],
    });
    transactionId = posted.transactionId;
  }
  return { creditBytes: drawn.taken, amount, transactionId };
}

/**
 * Closes every finished month with unclosed pools (or only `month`, which must have ended),
 * oldest first. Safe to run again: a pool-month is closed once.
 */
export async function closeTransferMonths(
  deps: EngineDeps,
  opts: { month?: Date; trigger: TransferRunTrigger },
): Promise<TransferRunResult[]> {
  const current = monthStartOf(await dbHour(deps.db));
  let months: Date[];
  if (opts.month) {
    const m = monthStartOf(opts.month);
    if (Number.isNaN(m.getTime()) || m.getTime() >= current.getTime())
      throw new ValidationError({ month: 'Only a month that has ended can be closed.' });
    months = [m];
  } else {
    const rows = await sql<{ m: string }>`
      select distinct r.month::text as m from transfer_server_months r
       where r.month < ${monthKey(current)}::date
         and not exists (select 1 from transfer_month_closes c
                          where c.organization_id = r.organization_id and c.provider_id = r.provider_id
                            and c.region = r.region and c.month = r.month)
       order by 1`.execute(deps.db);
    months = rows.rows.map((r) => new Date(`${r.m}T00:00:00Z`));
  }
  const results: TransferRunResult[] = [];
  for (const m of months) {
    try {
      results.push(
        await withRun(
          deps,
          [CLOSE_LOCK_CLASS, monthLockKey(m)],
          { kind: 'close', periodStart: m, trigger: opts.trigger },
          (conn, runId, result) => closeMonth(deps, conn, m, runId, result),
        ),
      );
    } catch (err) {
      if (!(err instanceof ConflictError) || opts.month) throw err;
      deps.log.info({ month: monthKey(m) }, 'transfer month already being closed by another worker');
    }
  }
  return results;
}

async function closeMonth(deps: EngineDeps, db: Db, ms: Date, runId: string, result: TransferRunResult) {
  const month = monthKey(ms);
  // A run still reading the month's last hour finishes first (its readings belong to the month).
  const lastHour = hourLockKey(new Date(nextMonth(ms).getTime() - 3_600_000));
  await sql`select pg_advisory_lock(${HOUR_LOCK_CLASS}::int, ${lastHour}::int)`.execute(db);
  await sql`select pg_advisory_unlock(${HOUR_LOCK_CLASS}::int, ${lastHour}::int)`.execute(db);
  const pools = await sql<Pool & { used: string; included: string; accrued: string }>`
    with pools as (
           select organization_id, provider_id, region from transfer_server_months where month = ${month}::date
           union
           select organization_id, provider_id, region from transfer_accruals where month = ${month}::date),
         used as (${usedSql(month)}),
         inc as (${includedSql(ms)}),
         acc as (select organization_id, provider_id, region, sum(billed_bytes)::bigint as accrued
                   from transfer_accruals where month = ${month}::date group by 1, 2, 3)
    select p.organization_id, p.provider_id, p.region,
           coalesce(u.used, '0') as used, coalesce(i.included, '0') as included, coalesce(a.accrued, 0)::text as accrued
      from pools p
      left join used u using (organization_id, provider_id, region)
      left join inc i using (organization_id, provider_id, region)
      left join acc a using (organization_id, provider_id, region)
     where not exists (select 1 from transfer_month_closes c
                        where c.organization_id = p.organization_id and c.provider_id = p.provider_id
                          and c.region = p.region and c.month = ${month}::date)
     order by p.organization_id, p.provider_id, p.region`.execute(db);
  for (const p of pools.rows) {
    try {
      await db.transaction().execute(async (trx) => {
        await sql`select pg_advisory_xact_lock(${MONTH_LOCK_CLASS}::int, ${monthLockKey(ms)}::int)`.execute(trx);
        const wallet = await lockWallet(trx, p.organization_id);
        // What the hours accrued, again under the lock.
        const acc = await trx
          .selectFrom('transfer_accruals')
          .select(sql<string>`coalesce(sum(billed_bytes), 0)::text`.as('accrued'))
          .where('organization_id', '=', p.organization_id)
          .where('provider_id', '=', p.provider_id)
          .where('region', '=', p.region)
          .where(sql<boolean>`month = ${month}::date`)
          .executeTakeFirstOrThrow();
        const used = BigInt(p.used);
        const included = BigInt(p.included);
        const overage = used > included ? used - included : 0n;
        const accrued = BigInt(acc.accrued);
        const delta = overage - accrued;
        const price = await regionPrice(trx, p.provider_id, p.region);
        if (price.currency && price.currency !== wallet.currency)
          throw new Error(`region ${p.region} is priced in ${price.currency}, the wallet is in ${wallet.currency}`);
        const poolKey = `${p.organization_id}:${p.provider_id}:${p.region}:${month}`;
        let returned: string | null = null;
        if (delta < 0n) {
          const credit = await trx
            .insertInto('transfer_credits')
            .values({
              organization_id: p.organization_id,
              source: 'close_return',
              reason: `Returned at the close of ${month.slice(0, 7)}: the ${p.region} pool's overage was smaller than charged during the month.`,
              total_bytes: -delta,
              remaining_bytes: -delta,
              idempotency_key: `transfer:close-return:${poolKey}`,
            })
            .onConflict((oc) => oc.column('idempotency_key').doNothing())
            .returning('id')
            .executeTakeFirst();
          if (!credit) return;
          returned = credit.id;
        }
        const close = await trx
          .insertInto('transfer_month_closes')
          .values({
            organization_id: p.organization_id,
            provider_id: p.provider_id,
            region: p.region,
            month,
            used_bytes: used,
            included_bytes: included,
            overage_bytes: overage,
            accrued_bytes: accrued,
            delta_bytes: delta,
            wallet_bytes: delta > 0n ? delta : 0n,
            price_per_gb: price.pricePerGb,
            currency: wallet.currency,
            returned_credit_id: returned,
            run_id: runId,
          })
          .onConflict((oc) => oc.columns(['organization_id', 'provider_id', 'region', 'month']).doNothing())
          .returning('id')
          .executeTakeFirst();
        if (!close) {
          // Closed by someone else meanwhile: undo the credit written above.
          if (returned) throw new ConflictError('closed meanwhile');
          return;
        }
        if (delta > 0n) {
          const paid = await pay(trx, {
            wallet,
            organizationId: p.organization_id,
            bytes: delta,
            pricePerGb: price.pricePerGb,
            key: `egress:close:${poolKey}`,
            description: `Network transfer over the included ${p.region} pool: close of ${month.slice(0, 7)}`,
            details: { month, region: p.region, transfer_run_id: runId },
            draw: { close_id: close.id },
          });
          await trx
            .updateTable('transfer_month_closes')
            .set({
              credit_bytes: paid.creditBytes,
              wallet_bytes: delta - paid.creditBytes,
              amount: paid.amount,
              ledger_transaction_id: paid.transactionId,
            })
            .where('id', '=', close.id)
            .execute();
          result.bytesCharged += delta;
          result.creditBytes += paid.creditBytes;
          result.amount += paid.amount;
          result.poolsCharged++;
        }
      });
    } catch (err) {
      if (err instanceof ConflictError) continue;
      result.errors.push(
        `pool ${p.organization_id}/${p.region}: ${err instanceof Error ? err.message : String(err)}`.slice(0, 500),
      );
      deps.log.error({ err, organization: p.organization_id, region: p.region }, 'transfer month close failed');
    }
  }
  if (result.errors.length)
    throw new Error(`${result.errors.length} pool(s) could not be closed; see the run's errors`);
}
