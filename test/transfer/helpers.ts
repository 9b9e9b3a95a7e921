import { afterAll, beforeAll } from 'vitest';
import type { DbOrTx } from '../../src/db/index.ts';
import { BYTES_PER_GB } from '../../src/domain/transfer/units.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { seedServerCatalogue, startTestCloud, type SeededCatalogue, type TestCloud } from '../helpers/servers.ts';

/**
 * The transfer tests' world: a Linode emulator on a stepped clock whose traffic only grows
 * when a test says so (transferBytesPerSecond 0, growTransfer), the app on its own database
 * with the real Linode client aimed at it, and a seeded catalogue. Servers are written
 * straight into the tables with a real emulated instance each; tests name the hours they read.
 */
export interface TransferWorld {
  ctx: TestContext;
  cloud: TestCloud;
  catalogue: SeededCatalogue;
}

export function useTransferWorld(env: Record<string, string> = {}): TransferWorld {
  const w = {} as TransferWorld;
  beforeAll(async () => {
    w.cloud = await startTestCloud({ transferBytesPerSecond: 0 });
    w.ctx = await createTestContext(env, { cloud: w.cloud.provider });
    w.catalogue = await seedServerCatalogue(w.ctx.db);
  });
  afterAll(async () => {
    await w.ctx?.close();
    await w.cloud?.close();
  });
  return w;
}

export const GB = BYTES_PER_GB;
export const at = (iso: string) => new Date(iso);

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

/** A plan including `transferGb` GB a month. */
export async function transferPlan(w: TransferWorld, transferGb: number): Promise<string> {
  const row = await w.ctx.db
    .insertInto('server_plans')
    .values({
      provider_id: w.catalogue.providerId,
      provider_type: 'g6-standard-1',
      name: `T${transferGb} ${Math.random().toString(36).slice(2, 10)}`,
      category: 'Shared CPU',
      vcpus: 1,
      memory_mb: 2048,
      disk_gb: 50,
      transfer_gb: transferGb,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** Moves the emulator's clock to `d` (never backwards). */
export function emulatorAt(w: TransferWorld, d: Date) {
  const now = w.cloud.clock.now().getTime();
  if (d.getTime() > now) w.cloud.emu.advance(d.getTime() - now);
}

/** A server of `organizationId` with a running emulated instance, created at `createdAt` (the emulator's clock moves there first). */
export async function insertServer(
  w: TransferWorld,
  o: { organizationId: string; planId: string; region?: string; createdAt: Date },
): Promise<{ id: string; instanceId: string }> {
  emulatorAt(w, o.createdAt);
  const tag = `t-${Math.random().toString(36).slice(2, 10)}`;
  const region = o.region ?? 'us-east';
  const inst = await w.cloud.provider.create({
    label: tag,
    region,
    type: 'g6-standard-1',
    image: 'debian12',
    rootPassword: 'Correct-Horse-Battery-9',
    authorizedKeys: [],
    backups: false,
    privateIp: false,
    tag,
  });
  const row = await w.ctx.db
    .insertInto('servers')
    .values({
      organization_id: o.organizationId,
      provider_id: w.catalogue.providerId,
      plan_id: o.planId,
      provider_instance_id: inst.id,
      create_tag: tag,
      label: tag,
      region,
      image: 'debian12',
      status: 'running',
      created_at: o.createdAt,
      updated_at: o.createdAt,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: row.id, instanceId: inst.id };
}

export function grow(w: TransferWorld, instanceId: string, bytes: bigint) {
  w.cloud.emu.growTransfer(instanceId, Number(bytes));
}

export async function setPrice(w: TransferWorld, region: string, pricePerGb: bigint) {
  await w.ctx.db
    .insertInto('transfer_region_prices')
    .values({ provider_id: w.catalogue.providerId, region_id: region, price_per_gb: pricePerGb, currency: 'USD' })
    .onConflict((oc) => oc.columns(['provider_id', 'region_id']).doUpdateSet({ price_per_gb: pricePerGb }))
    .execute();
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

export async function accrualsOf(db: DbOrTx, organizationId: string) {
  return db
    .selectFrom('transfer_accruals')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .orderBy('hour_start')
    .orderBy('region')
    .execute();
}

export async function readingsOf(db: DbOrTx, serverId: string) {
  return db
    .selectFrom('transfer_readings')
    .select(['hour_start', 'used_bytes', 'region'])
    .where('server_id', '=', serverId)
    .orderBy('hour_start')
    .execute();
}

export async function egressPosted(db: DbOrTx, organizationId: string): Promise<bigint> {
  const r = await db
    .selectFrom('ledger_entries as e')
    .innerJoin('ledger_transactions as t', 't.id', 'e.transaction_id')
    .select((eb) => eb.fn.sum<string>('e.amount').as('total'))
    .where('t.organization_id', '=', organizationId)
    .where('t.kind', '=', 'egress_charge')
    .where('e.platform_account', '=', 'egress_revenue')
    .executeTakeFirst();
  return BigInt(r?.total ?? 0);
}

export async function grantBytes(db: DbOrTx, organizationId: string, bytes: bigint, createdAt?: Date) {
  const row = await db
    .insertInto('transfer_credits')
    .values({
      organization_id: organizationId,
      source: 'close_return',
      reason: 'test credit',
      total_bytes: bytes,
      remaining_bytes: bytes,
      idempotency_key: `test:${Math.random()}`,
      ...(createdAt ? { created_at: createdAt } : {}),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}
