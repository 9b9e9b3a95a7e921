import { sql } from 'kysely';
import { afterAll, beforeAll } from 'vitest';
import type { DbOrTx } from '../../src/db/index.ts';
import { hourlyRate } from '../../src/domain/metering/rates.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { seedServerCatalogue, type SeededCatalogue } from '../helpers/servers.ts';

/**
 * The metering tests' world: an app context on its own database and a seeded catalogue. Servers
 * are written straight into the tables (the domain's create uses the database clock and cannot
 * place a server in the past); each test names the hours it bills.
 */
export interface MeteringWorld {
  ctx: TestContext;
  catalogue: SeededCatalogue;
}

export function useMeteringWorld(): MeteringWorld {
  const w = {} as MeteringWorld;
  beforeAll(async () => {
    w.ctx = await createTestContext();
    w.catalogue = await seedServerCatalogue(w.ctx.db);
  });
  afterAll(async () => {
    await w.ctx?.close();
  });
  return w;
}

export const HOUR = 3_600_000;
export const at = (iso: string) => new Date(iso);
export const plusHours = (d: Date, n: number) => new Date(d.getTime() + n * HOUR);
export const hourOf = (d: Date) => new Date(Math.floor(d.getTime() / HOUR) * HOUR);

export async function dbHour(db: DbOrTx): Promise<Date> {
  return (await sql<{ h: Date }>`select date_trunc('hour', now()) as h`.execute(db)).rows[0]!.h;
}

/** A new organization with a wallet (balance 0). */
export async function newOrganization(db: DbOrTx, name = 'Org'): Promise<string> {
  const org = await db
    .insertInto('organizations')
    .values({ name: `${name} ${Math.random().toString(36).slice(2, 8)}`, personal: false })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db.insertInto('wallets').values({ organization_id: org.id, currency: 'USD', balance: 0n }).execute();
  return org.id;
}

let serial = 0;
/** A server created at `createdAt` on `planId`, billed as that plan from its creation hour. */
export async function insertServer(
  w: MeteringWorld,
  o: { organizationId: string; planId: string; createdAt: Date; backups?: boolean },
): Promise<string> {
  const tag = `m-${process.pid}-${++serial}-${Math.random().toString(36).slice(2, 6)}`;
  const row = await w.ctx.db
    .insertInto('servers')
    .values({
      organization_id: o.organizationId,
      provider_id: w.catalogue.providerId,
      plan_id: o.planId,
      create_tag: tag,
      label: tag,
      region: 'us-east',
      image: 'debian12',
      status: 'running',
      backups_enabled: o.backups ?? false,
      created_at: o.createdAt,
      updated_at: o.createdAt,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await setPeriod(w.ctx.db, row.id, hourOf(o.createdAt), o.planId, o.backups ?? false);
  return row.id;
}

/** What a server is billed as from `from` on (a resize or a backups toggle takes effect from a clock hour). */
export async function setPeriod(db: DbOrTx, serverId: string, from: Date, planId: string, backups: boolean) {
  await db
    .insertInto('server_billing_periods')
    .values({ server_id: serverId, effective_from: from, plan_id: planId, backups })
    .onConflict((oc) => oc.columns(['server_id', 'effective_from']).doUpdateSet({ plan_id: planId, backups }))
    .execute();
}

/** A new price of `planId` from `from` on (monthly amounts). */
export async function setPrice(
  db: DbOrTx,
  planId: string,
  from: Date,
  p: { base: bigint; markup: bigint; backups: bigint },
): Promise<void> {
  await db
    .insertInto('server_plan_prices')
    .values({
      plan_id: planId,
      base_monthly: p.base,
      markup_monthly: p.markup,
      backups_monthly: p.backups,
      currency: 'USD',
      effective_from: from,
    })
    .execute();
}

export async function deleteServer(db: DbOrTx, serverId: string, at: Date) {
  await db.updateTable('servers').set({ status: 'deleted', deleted_at: at }).where('id', '=', serverId).execute();
}

/** A plan of its own (prices set by the test), on the seeded provider. */
export async function newPlan(w: MeteringWorld, price: { base: bigint; markup: bigint; backups: bigint }) {
  const row = await w.ctx.db
    .insertInto('server_plans')
    .values({
      provider_id: w.catalogue.providerId,
      provider_type: 'g6-standard-1',
      name: `Plan ${Math.random().toString(36).slice(2, 10)}`,
      category: 'Shared CPU',
      vcpus: 1,
      memory_mb: 2048,
      disk_gb: 50,
      transfer_gb: 2000,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await setPrice(w.ctx.db, row.id, new Date('2020-01-01T00:00:00Z'), price);
  return row.id;
}

export const rateOf = (p: { base: bigint; markup: bigint; backups: bigint }, backups: boolean) =>
  hourlyRate(p.base + p.markup + (backups ? p.backups : 0n));
export const monthlyOf = (p: { base: bigint; markup: bigint; backups: bigint }, backups: boolean) =>
  p.base + p.markup + (backups ? p.backups : 0n);

export async function chargesOf(db: DbOrTx, serverId: string) {
  return db.selectFrom('server_charges').selectAll().where('server_id', '=', serverId).orderBy('hour_start').execute();
}

export async function walletBalance(db: DbOrTx, organizationId: string): Promise<bigint> {
  return (
    await db
      .selectFrom('wallets')
      .select('balance')
      .where('organization_id', '=', organizationId)
      .executeTakeFirstOrThrow()
  ).balance;
}

/**
 * The engine's own promises, checked on the whole database: no charge row of a run unposted
 * (amount > 0 without a posting), each vps_charge posting of the engine equal to the sum of its charge rows,
 * and no server charged more than its month's cap allows (the sum in a month ≤ the greatest
 * monthly price it had in that month).
 */
export async function engineProblems(db: DbOrTx): Promise<string[]> {
  const rows = await sql<{ problem: string }>`
    select 'charge ' || server_id || ' ' || hour_start || ' has no posting' as problem
      from server_charges where amount > 0 and ledger_transaction_id is null and billing_run_id is not null
    union all
    select 'posting ' || t.id || ' credits ' || coalesce(e.total, 0) || ' but its charges sum to ' || coalesce(c.total, 0)
      from ledger_transactions t
      left join (select transaction_id, sum(amount) as total from ledger_entries where platform_account = 'vps_revenue' group by 1) e
        on e.transaction_id = t.id
      left join (select ledger_transaction_id, sum(amount) as total from server_charges group by 1) c
        on c.ledger_transaction_id = t.id
     where t.kind = 'vps_charge' and coalesce(e.total, 0) <> coalesce(c.total, 0)
    union all
    select 'month total of ' || coalesce(m.server_id, c.server_id) || ' ' || coalesce(m.month, c.month) || ' is '
           || coalesce(m.charged, 0) || ' but its charges sum to ' || coalesce(c.total, 0)
      from server_month_charges m
      full join (select server_id, date_trunc('month', hour_start at time zone 'UTC')::date as month, sum(amount) as total
                   from server_charges group by 1, 2) c on c.server_id = m.server_id and c.month = m.month
     where coalesce(m.charged, -1) <> coalesce(c.total, -1)
    union all
    select 'refund of ' || r.server_id || ' ' || r.hour_start || ' exceeds its charge'
      from server_charge_refunds r join server_charges c using (server_id, hour_start) where r.amount > c.amount`.execute(
    db,
  );
  return rows.rows.map((r) => r.problem);
}
