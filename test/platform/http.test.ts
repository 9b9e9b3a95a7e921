import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBrowser } from '../helpers/browser.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createPerson, PASSWORD, signedIn, uniqueEmail } from '../helpers/people.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext({
    RATE_LIMIT_ANONYMOUS: '30',
    RATE_LIMIT_AUTHENTICATED: '40',
    RATE_LIMIT_AUTH_ACTIONS: '5',
  });
});
afterAll(async () => ctx.close());

describe('security headers', () => {
  it('sends a strict CSP with a fresh nonce on every page, and the nonce on every script tag', async () => {
    const a = await ctx.app.request('/login');
    const b = await ctx.app.request('/login');
    const csp = a.headers.get('content-security-policy')!;
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    const nonce = /'nonce-([^']+)'/.exec(csp)![1]!;
    expect(nonce).not.toBe(/'nonce-([^']+)'/.exec(b.headers.get('content-security-policy')!)![1]);
    const html = await a.text();
    const scripts = html.match(/<script[^>]*>/g)!;
    expect(scripts.length).toBeGreaterThan(3);
    for (const tag of scripts) expect(tag).toContain(`nonce="${nonce}"`);
    expect(html).not.toMatch(/\sstyle="/);
    expect(a.headers.get('x-content-type-options')).toBe('nosniff');
    expect(a.headers.get('referrer-policy')).toBeTruthy();
    expect(a.headers.get('x-request-id')).toMatch(/^[\w-]{8,}$/);
  });

  it('configures htmx without eval or script tags and swaps 422 answers', async () => {
    const html = await (await ctx.app.request('/login')).text();
    const config = JSON.parse(/name="htmx-config" content='([^']+)'/.exec(html)![1]!);
    expect(config.allowEval).toBe(false);
    expect(config.allowScriptTags).toBe(false);
    expect(config.historyCacheSize).toBe(0);
    expect(config.responseHandling).toContainEqual({ code: '422', swap: true });
  });

  it('serves built assets with year-long immutable caching', async () => {
    const html = await (await ctx.app.request('/login')).text();
    const css = /href="(\/static\/build\/app\.[0-9a-f]+\.css)"/.exec(html)![1]!;
    const res = await ctx.app.request(css);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toContain('immutable');
    const htmx = /src="(\/static\/vendor\/htmx-2\.[\d.]+\.min\.js)"/.exec(html)![1]!;
    expect((await ctx.app.request(htmx)).status).toBe(200);
  });

  it('answers unknown pages with a 404 page and unknown API paths with the error envelope', async () => {
    const page = await ctx.app.request('/no-such-page');
    expect(page.status).toBe(404);
    expect(await page.text()).toContain('Page not found');
    const api = await ctx.app.request('/api/v1/no-such-thing');
    expect(api.status).toBe(404);
    expect(await api.json()).toEqual({ error: { code: 'not_found', message: expect.any(String) } });
  });

  it('keeps the admin area invisible to customers', async () => {
    const lee = await createPerson(ctx, 'Lee Customer', { verified: true });
    const browser = await signedIn(ctx, lee.email, PASSWORD, '192.0.2.150');
    expect((await browser.get('/admin')).status).toBe(404);
    expect((await browser.get('/admin/outbox')).status).toBe(404);
  });

  it('shows admins real counts of users and organizations, and the outbox with the newest mail', async () => {
    const admin = await createPerson(ctx, 'Ada Admin', { isAdmin: true, verified: true });
    const browser = await signedIn(ctx, admin.email, PASSWORD, '192.0.2.151');
    const inDb = async (table: 'users' | 'organizations') =>
      Number(
        (
          await ctx.db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const shown = async () => {
      const html = await (await browser.get('/admin')).text();
      // The sign-ups figure's note: "N users in M organizations".
      const [, users, organizations] = /(\d+) users in (\d+) organizations/.exec(html)!;
      return { users: Number(users), organizations: Number(organizations) };
    };
    const before = await shown();
    expect(before).toEqual({ users: await inDb('users'), organizations: await inDb('organizations') });

    // One more customer: one more user and one more (personal) organization.
    const nell = await createPerson(ctx, 'Nell Newcomer', { email: uniqueEmail('Nell Newcomer') });
    expect(await shown()).toEqual({ users: before.users + 1, organizations: before.organizations + 1 });
    const outbox = await (await browser.get('/admin/outbox')).text();
    expect(outbox).toContain(nell.email);
  });
});

describe('health', () => {
  it('reports liveness without the database and readiness with it', async () => {
    expect(await (await ctx.app.request('/health')).json()).toEqual({ status: 'ok' });
    const ready = await ctx.app.request('/ready');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: 'ready',
      checks: { database: true, migrations: true, jobs: true, billing: true },
      last_billed_hour: null,
      billing_lag_seconds: 0,
      billing_lag_limit_seconds: 7200,
    });
  });
});

describe('rate limits', () => {
  it('limits anonymous requests per IP with RateLimit headers, then 429 with Retry-After', async () => {
    const browser = new TestBrowser(ctx.app, '203.0.113.77');
    let last: Response | undefined;
    for (let i = 0; i < 30; i++) {
      last = await browser.get('/');
      expect(last.status).toBe(200);
    }
    expect(last!.headers.get('ratelimit-limit')).toBe('30');
    expect(last!.headers.get('ratelimit-remaining')).toBe('0');
    const limited = await browser.get('/');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await new TestBrowser(ctx.app, '203.0.113.78').get('/')).status).toBe(200);
  });

  it('applies a stricter limit to sign-in attempts', async () => {
    const browser = new TestBrowser(ctx.app, '203.0.113.90');
    await browser.get('/login');
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++)
      statuses.push((await browser.post('/login', { email: `x${i}@example.test`, password: 'whatever pw' })).status);
    expect(statuses).toEqual([422, 422, 422, 422, 422]);
    // The sixth is refused before any password is checked (it would be right): the request limit, not a lockout.
    const lee = await createPerson(ctx, 'Lee Limited', { verified: true, email: uniqueEmail('Lee Limited') });
    const limited = await browser.post('/login', { email: lee.email, password: PASSWORD });
    expect(limited.status).toBe(429);
    expect(await limited.text()).toContain('Too many requests');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // Other pages from that address are not limited by it.
    expect((await browser.get('/login')).status).toBe(200);
  });

  it('honours IP block and allow rules and per-user overrides', async () => {
    await ctx.db
      .insertInto('ip_rules')
      .values([
        { network: '198.18.0.0/24', action: 'block' },
        { network: '198.18.1.5/32', action: 'allow' },
      ])
      .execute();
    await ctx.deps.rateLimiter.refreshRules();
    expect((await new TestBrowser(ctx.app, '198.18.0.9').get('/')).status).toBe(403);
    const trusted = new TestBrowser(ctx.app, '198.18.1.5');
    for (let i = 0; i < 35; i++) expect((await trusted.get('/')).status).toBe(200);

    const max = await createPerson(ctx, 'Max Override', { verified: true });
    await ctx.db.insertInto('rate_limit_overrides').values({ user_id: max.id, max_requests: 1 }).execute();
    await ctx.deps.rateLimiter.refreshRules();
    const browser = await signedIn(ctx, max.email, PASSWORD, '198.18.2.1');
    expect((await browser.get('/dashboard')).status).toBe(429);
  });
});
