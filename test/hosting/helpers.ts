import { afterAll, beforeAll } from 'vitest';
import {
  startEnhanceEmulator,
  type EnhanceEmulatorOptions,
  type StartedEnhanceEmulator,
} from '../../src/providers/enhance/emulator/index.ts';
import type { TestBrowser } from '../helpers/browser.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createPerson, PASSWORD, signedIn, uniqueEmail } from '../helpers/people.ts';

/**
 * Web hosting's world: an Enhance emulator of the file's own on 127.0.0.1 (the app reaches it
 * with the real client, as it would a panel), the app on a real database, Ada (a platform
 * admin) signed in, and Olive (an organization owner).
 */
export interface HostingWorld {
  ctx: TestContext;
  emu: StartedEnhanceEmulator;
  admin: TestBrowser;
  customer: TestBrowser;
  adaId: string;
}

export function useHostingWorld(opts: EnhanceEmulatorOptions = {}): HostingWorld {
  const world = {} as HostingWorld;
  beforeAll(async () => {
    world.emu = await startEnhanceEmulator(opts);
    world.ctx = await createTestContext({ RATE_LIMIT_AUTH_ACTIONS: '10000', LOGIN_IP_LOCKOUT_ATTEMPTS: '10000' });
    const ada = await createPerson(world.ctx, 'Ada Admin', {
      isAdmin: true,
      verified: true,
      email: uniqueEmail('Ada'),
    });
    world.adaId = ada.id;
    world.admin = await signedIn(world.ctx, ada.email, PASSWORD, '192.0.2.1');
    const olive = await createPerson(world.ctx, 'Olive Owner', { verified: true, email: uniqueEmail('Olive') });
    world.customer = await signedIn(world.ctx, olive.email, PASSWORD, '192.0.2.2');
  });
  afterAll(async () => {
    await world.ctx?.close();
    await world.emu?.close();
  });
  return world;
}

/** The connection settings pointing at the world's emulator, as the form sends them. */
export const settingsFor = (w: HostingWorld, over: Record<string, string> = {}) => ({
  api_url: w.emu.url,
  master_org_id: w.emu.masterOrgId,
  default_server_group_id: '',
  token: w.emu.token,
  ...over,
});

export const integration = (w: HostingWorld) =>
  w.ctx.db.selectFrom('hosting_integration').selectAll().where('id', '=', 1).executeTakeFirst();

export const plans = (w: HostingWorld) =>
  w.ctx.db.selectFrom('hosting_plans').selectAll().orderBy('enhance_plan_id').execute();

/** The hosting entries of the activity log (the test clock stands still: in no particular order). */
export const hostingActivity = (w: HostingWorld) =>
  w.ctx.db
    .selectFrom('activity_log')
    .select(['action', 'actor_user_id', 'target_type', 'target_id', 'details'])
    .where('action', 'like', 'admin.hosting%')
    .execute();
