import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { billingContext } from '../billing/helpers.ts';
import type { TestContext } from '../helpers/context.ts';
import { seedServerCatalogue, startTestCloud, type TestCloud } from '../helpers/servers.ts';
import { buildCallers } from './callers.ts';
import { buildFixtures, type Fixtures } from './fixtures.ts';
import { call, describeRequirement, expectation, judge, routeOf, variants } from './matrix.ts';
import { ROUTES } from './routes.ts';

/** The matrix's world: the app on its own database, its fixtures and its callers, filled in before the file's tests run. */
export interface MatrixWorld {
  ctx: TestContext;
  fx: Fixtures;
  callersFor: Awaited<ReturnType<typeof buildCallers>>;
}

/**
 * Starts the matrix's world for the calling test file: a PayPal emulator, so a permitted top-up or
 * refund really pays; a test cloud, so a permitted server call really creates, reboots or deletes.
 */
export function useMatrixWorld(): MatrixWorld {
  const world = {} as MatrixWorld;
  let close: (() => Promise<void>) | undefined;
  let cloud: TestCloud | undefined;
  beforeAll(async () => {
    // Thousands of calls in one window of the emulator's stepped clock: no rate limit between them.
    cloud = await startTestCloud({ rateLimit: { limit: 1_000_000, windowSeconds: 120 } });
    const made = await billingContext(
      {
        RATE_LIMIT_ANONYMOUS: '1000000',
        RATE_LIMIT_AUTHENTICATED: '1000000',
        RATE_LIMIT_ADMIN: '1000000',
        RATE_LIMIT_AUTH_ACTIONS: '10000',
        LOGIN_IP_LOCKOUT_ATTEMPTS: '10000',
        // /metrics is served only with a token: set, so the matrix checks that no caller's credentials stand in for it.
        METRICS_TOKEN: 'authz-matrix-metrics-token-0123456789abcdef',
      },
      { cloud: cloud.provider },
    );
    world.ctx = made.ctx;
    close = made.close;
    world.fx = await buildFixtures(made.ctx, made.emu);
    world.fx.servers = { cloud, catalogue: await seedServerCatalogue(made.ctx.db) };
    world.callersFor = await buildCallers(world.fx);
  });
  afterAll(async () => {
    await close?.();
    await cloud?.close();
  });
  return world;
}

/**
 * Every route × every caller, for the routes whose place in the table is `shard` modulo `of`:
 * the table is split over several files so they run in parallel workers.
 */
export function describeShard(world: MatrixWorld, shard: number, of: number): void {
  const entries = Object.entries(ROUTES).filter((_, i) => i % of === shard);
  describe(`every route, every caller (part ${shard + 1} of ${of})`, () => {
    for (const [key, req] of entries) {
      const route = routeOf(key, req);
      it(describeRequirement(route), async () => {
        const failures: string[] = [];
        // One call at a time: a permitted call's effect is read back before anyone else acts.
        for (const caller of world.callersFor(route.api, req.permission)) {
          for (const whose of variants(route)) {
            const made = await call(world.fx, route, caller, whose);
            const problem = await judge(
              world.fx,
              route,
              caller,
              expectation(route, caller, whose),
              made.call,
              made.out,
            );
            if (problem) failures.push(`${caller.name} (${whose}): ${problem}`);
          }
        }
        expect(failures).toEqual([]);
      });
    }
  });
}

/** How many parts the matrix is split into: matrix.test.ts and matrix-2.test.ts … matrix-N.test.ts. */
export const MATRIX_PARTS = 3;
