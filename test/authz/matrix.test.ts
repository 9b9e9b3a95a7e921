import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { billingContext } from '../billing/helpers.ts';
import type { TestContext } from '../helpers/context.ts';
import { seedServerCatalogue, startTestCloud, type TestCloud } from '../helpers/servers.ts';
import { buildCallers } from './callers.ts';
import { buildFixtures, type Fixtures } from './fixtures.ts';
import { call, describeRequirement, expectation, judge, routeOf, variants } from './matrix.ts';
import { EMULATORS, ROUTES } from './routes.ts';

/**
 * The authorization matrix (issue 3, item 10): every served route × anonymous, each
 * predefined role, a zero-permission custom role, API keys with and without the permission,
 * a platform admin and an impersonating admin × their own and another organization's things.
 * A refused caller gets the refusal the route's requirement implies; a permitted caller gets
 * what the route is for: its status, and its effect (a row made, changed or gone, a page that
 * shows what it should), each call on records made for it.
 */

let ctx: TestContext;
let close: () => Promise<void>;
let fx: Fixtures;
let callersFor: Awaited<ReturnType<typeof buildCallers>>;
let calls = 0;
let cloud: TestCloud;

beforeAll(async () => {
  // Top-ups and refunds go to a PayPal emulator, so a permitted call really pays and refunds;
  // servers to a test cloud, so a permitted call really creates, reboots or deletes one.
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
  ({ ctx, close } = made);
  fx = await buildFixtures(ctx, made.emu);
  fx.servers = { cloud, catalogue: await seedServerCatalogue(ctx.db) };
  callersFor = await buildCallers(fx);
});
afterAll(async () => {
  if (process.env.AUTHZ_SUMMARY)
    console.info(`authorization matrix: ${Object.keys(ROUTES).length} routes, ${calls} calls`);
  await close?.();
  await cloud?.close();
});

describe('the route table', () => {
  /** Registered routes as `METHOD path`; middleware registrations (method ALL) are not routes. */
  const servedBy = (app: ReturnType<typeof createApp>) => [
    ...new Set(app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${r.path}`)),
  ];

  it('lists every route the app serves, and nothing it no longer serves', () => {
    const served = servedBy(ctx.app).filter((key) => !key.split(' ')[1]!.startsWith(EMULATORS));
    expect(
      served.filter((key) => !(key in ROUTES)),
      'served but missing from test/authz/routes.ts',
    ).toEqual([]);
    expect(
      Object.keys(ROUTES).filter((key) => !served.includes(key)),
      'in test/authz/routes.ts but not served',
    ).toEqual([]);
  });

  it('leaves static files (middleware, not routes) open to everyone', async () => {
    const file = ctx.deps.assets['htmx.js']!;
    expect((await ctx.app.request(file, { headers: { 'x-forwarded-for': '198.18.9.1' } })).status).toBe(200);
  });

  it('leaves out only the emulators of outside services, which are not served with emulators off', () => {
    const config = loadConfig({
      NODE_ENV: 'test',
      DATABASE_URL: ctx.url,
      PUBLIC_URL: 'http://localhost:3000',
      EMULATORS_ENABLED: 'false',
    });
    expect(servedBy(createApp({ ...ctx.deps, config })).filter((key) => key.includes(EMULATORS))).toEqual([]);
  });
});

describe('every route, every caller', () => {
  for (const [key, req] of Object.entries(ROUTES)) {
    const route = routeOf(key, req);
    it(describeRequirement(route), async () => {
      const failures: string[] = [];
      // One call at a time: a permitted call's effect is read back before anyone else acts.
      for (const caller of callersFor(route.api, req.permission)) {
        for (const whose of variants(route)) {
          const made = await call(fx, route, caller, whose);
          calls++;
          const problem = await judge(fx, route, caller, expectation(route, caller, whose), made.call, made.out);
          if (problem) failures.push(`${caller.name} (${whose}): ${problem}`);
        }
      }
      expect(failures).toEqual([]);
    });
  }
});
