import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { buildCallers } from './callers.ts';
import { buildFixtures, type Fixtures } from './fixtures.ts';
import { call, describeRequirement, expectation, judge, routeOf, variants } from './matrix.ts';
import { EMULATORS, ROUTES } from './routes.ts';

/**
 * The authorization matrix (issue 3, item 10): every served route × anonymous, each
 * predefined role, a zero-permission custom role, API keys with and without the permission,
 * a platform admin and an impersonating admin × their own and another organization's things.
 */

let ctx: TestContext;
let fx: Fixtures;
let callersFor: Awaited<ReturnType<typeof buildCallers>>;
let calls = 0;

beforeAll(async () => {
  ctx = await createTestContext({
    RATE_LIMIT_ANONYMOUS: '1000000', RATE_LIMIT_AUTHENTICATED: '1000000', RATE_LIMIT_ADMIN: '1000000',
    RATE_LIMIT_AUTH_ACTIONS: '10000', LOGIN_IP_LOCKOUT_ATTEMPTS: '10000',
  });
  fx = await buildFixtures(ctx);
  callersFor = await buildCallers(fx);
});
afterAll(async () => {
  if (process.env.AUTHZ_SUMMARY) console.info(`authorization matrix: ${Object.keys(ROUTES).length} routes, ${calls} calls`);
  await ctx?.close();
});

describe('the route table', () => {
  /** Registered routes as `METHOD path`; middleware registrations (method ALL) are not routes. */
  const servedBy = (app: ReturnType<typeof createApp>) => [...new Set(app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${r.path}`))];

  it('lists every route the app serves, and nothing it no longer serves', () => {
    const served = servedBy(ctx.app).filter((key) => !key.split(' ')[1]!.startsWith(EMULATORS));
    expect(served.filter((key) => !(key in ROUTES)), 'served but missing from test/authz/routes.ts').toEqual([]);
    expect(Object.keys(ROUTES).filter((key) => !served.includes(key)), 'in test/authz/routes.ts but not served').toEqual([]);
  });

  it('leaves static files (middleware, not routes) open to everyone', async () => {
    const file = ctx.deps.assets['htmx.js']!;
    expect((await ctx.app.request(file, { headers: { 'x-forwarded-for': '198.18.9.1' } })).status).toBe(200);
  });

  it('leaves out only the emulators of outside services, which are not served with emulators off', () => {
    const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: ctx.url, PUBLIC_URL: 'http://localhost:3000', EMULATORS_ENABLED: 'false' });
    expect(servedBy(createApp({ ...ctx.deps, config })).filter((key) => key.includes(EMULATORS))).toEqual([]);
  });
});

describe('every route, every caller', () => {
  for (const [key, req] of Object.entries(ROUTES)) {
    const route = routeOf(key, req);
    it(describeRequirement(route), async () => {
      const callers = callersFor(route.api, req.permission);
      const failures = (
        await Promise.all(
          callers.map(async (caller) => {
            const wrong: string[] = [];
            // One caller's calls in turn; callers side by side.
            for (const whose of variants(route)) {
              const out = await call(fx, route, caller, whose);
              calls++;
              const problem = judge(fx, route, caller, expectation(route, caller, whose), out);
              if (problem) wrong.push(`${caller.name} (${whose}): ${problem}`);
            }
            return wrong;
          }),
        )
      ).flat();
      expect(failures).toEqual([]);
    });
  }
});

