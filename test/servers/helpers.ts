import { sql } from 'kysely';
import { afterAll, beforeAll } from 'vitest';
import type { Actor } from '../../src/domain/access/actor.ts';
import { PREDEFINED_ROLES, type Permission } from '../../src/domain/access/permissions.ts';
import type { LinodeEmulatorOptions } from '../../src/providers/linode/emulator/index.ts';
import { putSetting } from '../../src/domain/settings/store.ts';
import { followServer } from '../../src/domain/servers/follow.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { fundWallet } from '../helpers/money.ts';
import { createPerson, uniqueEmail } from '../helpers/people.ts';
import { seedServerCatalogue, startTestCloud, type SeededCatalogue, type TestCloud } from '../helpers/servers.ts';

/**
 * The servers' world: a test emulator and its real client, an app context on its own
 * database, the seeded catalogue, and a cast. Olivia owns Acme; Oscar owns Globex (the other
 * tenant whose ids must be 404 to Acme). Actors are built with a role's permissions, so a
 * viewer or a member without vps_manage can be tried too.
 */
export interface ServersWorld {
  ctx: TestContext;
  cloud: TestCloud;
  catalogue: SeededCatalogue;
  /** Acme's owner, and Acme's id. */
  olivia: Actor;
  acme: string;
  /** Globex's owner (another tenant). */
  oscar: Actor;
  globex: string;
}

export function actorFor(user: { id: string }, organizationId: string, role = 'owner'): Actor {
  return {
    userId: user.id,
    isPlatformAdmin: false,
    organizationId,
    roleName: role,
    permissions: new Set<Permission>(PREDEFINED_ROLES[role]!),
    impersonatorUserId: null,
    apiKeyId: null,
    origin: { ip: '192.0.2.1', userAgent: 'vitest' },
  };
}

export function staffActor(user: { id: string }): Actor {
  return {
    ...actorFor(user, '00000000-0000-4000-8000-000000000000'),
    organizationId: null,
    roleName: null,
    permissions: new Set(),
    isPlatformAdmin: true,
  };
}

export function useServersWorld(cloudOptions: LinodeEmulatorOptions = {}): ServersWorld {
  const w = {} as ServersWorld;
  beforeAll(async () => {
    w.cloud = await startTestCloud(cloudOptions);
    w.ctx = await createTestContext({}, { cloud: w.cloud.provider });
    w.catalogue = await seedServerCatalogue(w.ctx.db);
    const olivia = await createPerson(w.ctx, 'Olivia Owner', { verified: true, email: uniqueEmail('olivia') });
    const oscar = await createPerson(w.ctx, 'Oscar Other', { verified: true, email: uniqueEmail('oscar') });
    w.acme = olivia.organization.id;
    w.globex = oscar.organization.id;
    w.olivia = actorFor(olivia, w.acme);
    w.oscar = actorFor(oscar, w.globex);
  });
  afterAll(async () => {
    await w.ctx?.close();
    await w.cloud?.close();
  });
  return w;
}

export async function balanceOf(w: ServersWorld, organizationId: string): Promise<bigint> {
  const row = await w.ctx.db
    .selectFrom('wallets')
    .select('balance')
    .where('organization_id', '=', organizationId)
    .executeTakeFirstOrThrow();
  return row.balance;
}

/** Sets the wallet to exactly `amount`. */
export async function setBalance(w: ServersWorld, organizationId: string, amount: bigint): Promise<void> {
  const now = await balanceOf(w, organizationId);
  if (now !== amount) await fundWallet(w.ctx.db, organizationId, amount - now);
}

/** Steps the emulator until every transition ends, then runs the follow-up job for the server as a worker would. */
export async function settle(w: ServersWorld, serverId: string) {
  w.cloud.emu.settle();
  return followServer(w.ctx.deps, { serverId, attempt: 0 });
}

let labels = 0;
export const nextLabel = (prefix = 'web') => `${prefix}-${++labels}`;

/** A valid create input for the small plan in us-east on Ubuntu. */
export function smallServer(w: ServersWorld, over: Record<string, unknown> = {}) {
  return {
    label: nextLabel(),
    region: 'us-east',
    planId: w.catalogue.plans.small.id,
    image: w.catalogue.images[0]!,
    ...over,
  };
}

/** The server's charges and refunds, and the wallet's ledger sum, for exact money assertions. */
export async function moneyOf(w: ServersWorld, serverId: string) {
  const charges = await w.ctx.db
    .selectFrom('server_charges')
    .selectAll()
    .where('server_id', '=', serverId)
    .orderBy('hour_start')
    .execute();
  const refunds = await w.ctx.db
    .selectFrom('server_charge_refunds')
    .selectAll()
    .where('server_id', '=', serverId)
    .orderBy('hour_start')
    .execute();
  return { charges, refunds };
}

export async function ledgerSum(w: ServersWorld, organizationId: string): Promise<bigint> {
  const row = await w.ctx.db
    .selectFrom('ledger_entries as e')
    .innerJoin('wallets as wl', 'wl.id', 'e.wallet_id')
    .select((eb) => eb.fn.sum<string>('e.amount').as('total'))
    .where('wl.organization_id', '=', organizationId)
    .executeTakeFirstOrThrow();
  return BigInt(row.total ?? 0);
}

/** Server settings as staff would save them. */
export async function serverSettingsAre(
  w: ServersWorld,
  value: { salesEnabled: boolean; rdnsBaseDomain: string | null },
) {
  await putSetting(w.ctx.db, 'servers', value, null, new Date());
}

let keySeq = 0;
/** An SSH key of the organization (written as the SSH keys page would). */
export async function sshKeyOf(w: ServersWorld, organizationId: string): Promise<{ id: string; publicKey: string }> {
  const publicKey = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJgzOJQE+LDKO08aEFSQdHS7RANz9WqSN4l2QtPoqw6z olive@laptop';
  const row = await w.ctx.db
    .insertInto('ssh_keys')
    .values({
      organization_id: organizationId,
      name: `key ${++keySeq}`,
      public_key: publicKey,
      fingerprint: `SHA256:test${keySeq}${Math.random()}`,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: row.id, publicKey };
}

/** The emulated instance of a server. */
export async function instanceOf(w: ServersWorld, serverId: string) {
  const row = await w.ctx.db
    .selectFrom('servers')
    .select('provider_instance_id')
    .where('id', '=', serverId)
    .executeTakeFirstOrThrow();
  return row.provider_instance_id ? w.cloud.emu.instance(row.provider_instance_id) : null;
}

/** Jobs waiting in a queue for this server (pg-boss's own table). */
export async function queuedFollowUps(w: ServersWorld, serverId: string): Promise<number> {
  const { rows } = await sql<{
    n: string;
  }>`select count(*) as n from pgboss.job where name = 'servers.follow' and data->>'serverId' = ${serverId}`.execute(
    w.ctx.db,
  );
  return Number(rows[0]!.n);
}
