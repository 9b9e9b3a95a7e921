import { syncServers } from '../../src/domain/servers/follow.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { fundWallet } from '../helpers/money.ts';
import { createPerson, uniqueEmail } from '../helpers/people.ts';
import { seedServerCatalogue, startTestCloud, usd, type SeededCatalogue, type TestCloud } from '../helpers/servers.ts';

/**
 * The world of the server page and API tests: the real app with a test cloud (the Linode
 * emulator on a stepped clock through the real client), a sellable catalogue, and people.
 */
export interface ServerWorld {
  ctx: TestContext;
  cloud: TestCloud;
  catalogue: SeededCatalogue;
  close(): Promise<void>;
}

export async function serverWorld(env: Record<string, string> = {}): Promise<ServerWorld> {
  const cloud = await startTestCloud();
  const ctx = await createTestContext(
    { RATE_LIMIT_AUTHENTICATED: '100000', RATE_LIMIT_AUTH_ACTIONS: '10000', ...env },
    { cloud: cloud.provider },
  );
  const catalogue = await seedServerCatalogue(ctx.db);
  return {
    ctx,
    cloud,
    catalogue,
    async close() {
      await ctx.close();
      await cloud.close();
    },
  };
}

/** A registered customer with a personal organization funded with `funds` (default 50.00). */
export async function customer(world: ServerWorld, name: string, funds = usd(50)) {
  const p = await createPerson(world.ctx, name, { verified: true, email: uniqueEmail(name) });
  if (funds) await fundWallet(world.ctx.db, p.organization.id, funds);
  return p;
}

/** Plays the provider's transitions out and lets the status job read every server (as the minute sync does). */
export async function settle(world: ServerWorld) {
  world.cloud.emu.settle();
  await syncServers(world.ctx.deps);
}

export const balanceOf = async (world: ServerWorld, orgId: string) =>
  (
    await world.ctx.db
      .selectFrom('wallets')
      .select('balance')
      .where('organization_id', '=', orgId)
      .executeTakeFirstOrThrow()
  ).balance;

export const serverRow = (world: ServerWorld, id: string) =>
  world.ctx.db.selectFrom('servers').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
