import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createAccessToken } from '../../src/domain/accounts/access-tokens.ts';
import { TestBrowser } from '../helpers/browser.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createPerson, PASSWORD, signedIn, uniqueEmail } from '../helpers/people.ts';

// Issue 16 item 8: IP rules (block/allow, expiry), per-user overrides, the rate-limit monitor
// and sign-in forensics, through the real app (TRUSTED_PROXY_COUNT=1: the client address is
// X-Forwarded-For, as TestBrowser sends it).

let ctx: TestContext;
let admin: TestBrowser;
let adminId: string;
const ADMIN_IP = '192.0.2.50';

beforeAll(async () => {
  ctx = await createTestContext({
    RATE_LIMIT_ANONYMOUS: '12',
    RATE_LIMIT_AUTHENTICATED: '12',
    RATE_LIMIT_ADMIN: '100000',
  });
  const ada = await createPerson(ctx, 'Ada Admin', { isAdmin: true, verified: true, email: uniqueEmail('Ada Admin') });
  adminId = ada.id;
  admin = await signedIn(ctx, ada.email, PASSWORD, ADMIN_IP);
});
afterAll(async () => ctx.close());

const utcMinute = (d: Date) => d.toISOString().slice(0, 16);

async function addRule(fields: Record<string, string>) {
  await admin.get('/admin/security/rules');
  return admin.post('/admin/security/rules', { action: 'block', duration: '', expiresAt: '', note: '', ...fields });
}

const api = (ip: string, path = '/api/v1/openapi.json', token?: string) =>
  ctx.app.request(path, {
    headers: { 'x-forwarded-for': ip, ...(token ? { authorization: `Bearer ${token}` } : {}) },
  });

describe('IP rules', () => {
  it('a block rule refuses HTML and API requests from its network (not /health), and is audited', async () => {
    const res = await addRule({ network: '198.51.100.0/24', note: 'abuse ticket 42' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/admin/security/rules');

    const blocked = new TestBrowser(ctx.app, '198.51.100.20');
    const page = await blocked.get('/login');
    expect(page.status).toBe(403);
    expect(blocked.lastHtml).toContain('Access from your network is blocked.');
    expect((await blocked.get('/')).status).toBe(403);

    const json = await api('198.51.100.20');
    expect(json.status).toBe(403);
    expect(await json.json()).toEqual({
      error: { code: 'ip_blocked', message: 'Access from your network is blocked.' },
    });
    expect((await api('198.51.100.20', '/api/v1/me', 'spt_whatever')).status).toBe(403);

    expect((await blocked.get('/health')).status).toBe(200);
    expect((await new TestBrowser(ctx.app, '198.51.101.20').get('/login')).status).toBe(200);
    expect((await api('198.51.101.20')).status).toBe(200);

    const logged = await ctx.db
      .selectFrom('activity_log')
      .select(['actor_user_id', 'details'])
      .where('action', '=', 'admin.ip_rule_saved')
      .execute();
    expect(logged).toHaveLength(1);
    expect(logged[0]!.actor_user_id).toBe(adminId);
    expect(logged[0]!.details).toMatchObject({ network: '198.51.100.0/24', rule: 'block', note: 'abuse ticket 42' });

    await admin.get('/admin/security/rules');
    expect(admin.lastHtml).toContain('198.51.100.0/24');
    expect(admin.lastHtml).toContain('abuse ticket 42');
  });

  it('an expired rule does not apply, even while the process still holds it', async () => {
    const expiresAt = utcMinute(new Date(ctx.clock.now().getTime() + 3_600_000));
    expect((await addRule({ network: '198.51.102.7', expiresAt })).status).toBe(303);
    const browser = new TestBrowser(ctx.app, '198.51.102.7');
    expect((await browser.get('/login')).status).toBe(403);
    expect((await api('198.51.102.7')).status).toBe(403);

    ctx.clock.advance(2 * 3_600_000);
    expect((await browser.get('/login')).status).toBe(200);
    expect((await api('198.51.102.7')).status).toBe(200);
    await admin.get('/admin/security/rules');
    expect(admin.lastHtml).toContain('Expired');
  });

  it('a duration sets the expiry; deleting a rule lifts it', async () => {
    expect((await addRule({ network: '198.51.103.0/28', duration: '1h' })).status).toBe(303);
    const rule = await ctx.db
      .selectFrom('ip_rules')
      .select(['id', 'expires_at'])
      .where('network', '=', '198.51.103.0/28')
      .executeTakeFirstOrThrow();
    expect(rule.expires_at!.getTime()).toBe(ctx.clock.now().getTime() + 3_600_000);
    const browser = new TestBrowser(ctx.app, '198.51.103.5');
    expect((await browser.get('/login')).status).toBe(403);

    await admin.get('/admin/security/rules');
    const res = await admin.post(`/admin/security/rules/${rule.id}/delete`);
    expect(res.status).toBe(303);
    expect((await browser.get('/login')).status).toBe(200);
    expect(
      await ctx.db.selectFrom('activity_log').select('id').where('action', '=', 'admin.ip_rule_deleted').execute(),
    ).toHaveLength(1);
  });

  it("refuses a block rule matching the acting admin's own address, and bad input, with the form again", async () => {
    const res = await addRule({ network: '192.0.2.0/24' });
    expect(res.status).toBe(422);
    expect(admin.lastHtml).toContain('would block your own address (192.0.2.50)');
    expect(admin.lastHtml).toContain('value="192.0.2.0/24"');
    expect((await addRule({ network: '0.0.0.0/0' })).status).toBe(422);

    expect((await addRule({ network: 'not-an-ip' })).status).toBe(422);
    expect(admin.lastHtml).toContain('is not an IP address or a network');
    expect((await addRule({ network: '10.0.0.0/33' })).status).toBe(422);
    expect((await addRule({ network: '10.0.0.1', action: 'maybe' })).status).toBe(422);
    expect((await addRule({ network: '10.0.0.1', expiresAt: '2001-01-01T00:00' })).status).toBe(422);
    expect(admin.lastHtml).toContain('The expiry must be in the future.');
    expect((await addRule({ network: '10.0.0.1', duration: '99y' })).status).toBe(422);

    const rows = await ctx.db
      .selectFrom('ip_rules')
      .select('network')
      .where('network', 'in', ['192.0.2.0/24', '0.0.0.0/0', '10.0.0.1/32'])
      .execute();
    expect(rows).toEqual([]);
    // Allowing one's own address is fine (it only lifts rate limits).
    expect((await addRule({ network: ADMIN_IP, action: 'allow' })).status).toBe(303);
    expect((await admin.get('/admin/security')).status).toBe(200);
  });

  it('an allow rule skips rate limiting for its address (HTML and API), others are limited', async () => {
    expect((await addRule({ network: '198.51.104.0/30', action: 'allow' })).status).toBe(303);
    const trusted = new TestBrowser(ctx.app, '198.51.104.2');
    for (let i = 0; i < 20; i++) expect((await trusted.get('/login')).status).toBe(200);
    for (let i = 0; i < 20; i++) expect((await api('198.51.104.2')).status).toBe(200);

    const other = new TestBrowser(ctx.app, '198.51.105.2');
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await other.get('/login')).status);
    expect(statuses.slice(0, 12).every((s) => s === 200)).toBe(true);
    expect(statuses.slice(12).every((s) => s === 429)).toBe(true);
    const limitedApi = await api('198.51.105.2');
    expect(limitedApi.status).toBe(429);
  });
});

describe('per-user overrides', () => {
  it("an override raises one user's limit (pages and API tokens); removing it restores the tier", async () => {
    const [max, min] = await Promise.all([
      createPerson(ctx, 'Max Raised', { verified: true, email: uniqueEmail('Max Raised') }),
      createPerson(ctx, 'Min Tier', { verified: true, email: uniqueEmail('Min Tier') }),
    ]);
    await admin.get('/admin/security/overrides');
    const res = await admin.post('/admin/security/overrides', {
      user: max.email.toUpperCase(),
      kind: 'multiplier',
      multiplier: '3',
      duration: '1d',
      note: 'load test',
    });
    expect(res.status).toBe(303);
    const logged = await ctx.db
      .selectFrom('activity_log')
      .select('details')
      .where('action', '=', 'admin.rate_limit_override_saved')
      .executeTakeFirstOrThrow();
    expect(logged.details).toMatchObject({ email: max.email, kind: 'multiplier', multiplier: 3 });

    const maxBrowser = await signedIn(ctx, max.email, PASSWORD, '198.51.106.1');
    const minBrowser = await signedIn(ctx, min.email, PASSWORD, '198.51.106.2');
    const run = async (b: TestBrowser, n: number) => {
      const s: number[] = [];
      for (let i = 0; i < n; i++) s.push((await b.get('/dashboard')).status);
      return s;
    };
    expect((await run(maxBrowser, 25)).every((s) => s === 200)).toBe(true);
    expect((await run(minBrowser, 25)).includes(429)).toBe(true);

    // The API: the token owner's override applies (limit 36 per window).
    const origin = { ip: '198.51.106.3', userAgent: null };
    const { token } = await createAccessToken(ctx.db, ctx.config, max.id, origin, ctx.clock.now());
    const apiStatuses: number[] = [];
    for (let i = 0; i < 8; i++) apiStatuses.push((await api('198.51.106.3', '/api/v1/me', token)).status);
    expect(apiStatuses.every((s) => s === 200)).toBe(true);
    const limit = (await api('198.51.106.3', '/api/v1/me', token)).headers.get('RateLimit-Limit');
    expect(limit).toBe('36');

    await admin.get('/admin/security/overrides');
    expect(admin.lastHtml).toContain(max.email);
    expect(admin.lastHtml).toContain('× 3 their tier');
    expect((await admin.post(`/admin/security/overrides/${max.id}/delete`)).status).toBe(303);
    expect((await api('198.51.106.3', '/api/v1/me', token)).status).toBe(429);
  });

  it('exempt and explicit limits; bad input is refused with the form', async () => {
    const sue = await createPerson(ctx, 'Sue Exempt', { verified: true, email: uniqueEmail('Sue Exempt') });
    await admin.get('/admin/security/overrides');
    expect(
      (await admin.post('/admin/security/overrides', { user: sue.email, kind: 'exempt', duration: '' })).status,
    ).toBe(303);
    const b = await signedIn(ctx, sue.email, PASSWORD, '198.51.107.1');
    for (let i = 0; i < 20; i++) expect((await b.get('/dashboard')).status).toBe(200);
    expect(
      (
        await admin.post('/admin/security/overrides', {
          user: sue.email,
          kind: 'limit',
          maxRequests: '1',
          duration: '',
        })
      ).status,
    ).toBe(303);
    // Exempt requests were counted all the same: over one at once.
    expect((await b.get('/dashboard')).status).toBe(429);

    const bad: Record<string, string>[] = [
      { user: 'nobody@example.test', kind: 'exempt', duration: '' },
      { user: sue.email, kind: 'limit', maxRequests: 'lots', duration: '' },
      { user: sue.email, kind: 'multiplier', multiplier: '-2', duration: '' },
      { user: sue.email, kind: 'sometimes', duration: '' },
      { user: '', kind: 'exempt', duration: '' },
    ];
    for (const form of bad) expect((await admin.post('/admin/security/overrides', form)).status).toBe(422);
    expect(admin.lastHtml).toContain('Enter the email address of the user.');
  });
});

describe('rate-limit monitor', () => {
  it('lists the limited address and user now, with links to forensics and quick actions', async () => {
    const noisy = new TestBrowser(ctx.app, '198.51.108.9');
    for (let i = 0; i < 15; i++) await noisy.get('/login');
    await ctx.deps.rateLimiter.flush();
    const res = await admin.get('/admin/security');
    expect(res.status).toBe(200);
    const html = admin.lastHtml;
    const ips = html.slice(html.indexOf('data-testid="monitor-ips"'), html.indexOf('data-testid="monitor-users"'));
    expect(ips).toContain('198.51.108.9');
    expect(ips).toContain('Limited: 3 refused');
    expect(ips).toContain('href="/admin/security/ip/198.51.108.9"');
    expect(ips).toContain('href="/admin/security/rules?action=block&amp;network=198.51.108.9"');
    const users = html.slice(
      html.indexOf('data-testid="monitor-users"'),
      html.indexOf('data-testid="monitor-actions"'),
    );
    expect(users).toContain('Min Tier');
    expect(users).toContain('Add override');

    // The quick action's form comes prefilled.
    await admin.get('/admin/security/rules?action=block&network=198.51.108.9');
    expect(admin.lastHtml).toContain('value="198.51.108.9"');
  });
});

describe('sign-in forensics', () => {
  it('shows the accounts, sign-ins and fraud checks of an address, and nothing of them for another', async () => {
    const IP = '198.51.110.77';
    const eve = await createPerson(ctx, 'Eve Forensic', { verified: true, email: uniqueEmail('Eve Forensic') });
    const fay = await createPerson(ctx, 'Fay Forensic', { verified: true, email: uniqueEmail('Fay Forensic') });
    await signedIn(ctx, eve.email, PASSWORD, IP);
    const guess = new TestBrowser(ctx.app, IP);
    await guess.get('/login');
    expect((await guess.post('/login', { email: fay.email, password: 'wrong password' })).status).toBe(422);
    await ctx.db
      .insertInto('fraud_checks')
      .values({ subject: 'registration', user_id: fay.id, email: fay.email, ip: IP, status: 'review', score: 88 })
      .execute();

    const res = await admin.get(`/admin/security/ip/${IP}`);
    expect(res.status).toBe(200);
    const html = admin.lastHtml;
    const section = (id: string) =>
      html.slice(html.indexOf(`data-testid="${id}"`), html.indexOf('</table>', html.indexOf(`data-testid="${id}"`)));
    expect(section('forensics-accounts')).toContain(eve.email);
    expect(section('forensics-accounts')).toContain(fay.email);
    expect(section('forensics-sign-ins')).toContain('signed in');
    expect(section('forensics-sign-ins')).toContain('wrong password');
    expect(section('forensics-sessions')).toContain(eve.email);
    expect(section('forensics-fraud')).toContain(fay.email);
    expect(section('forensics-fraud')).toContain('review');

    // The form's ?ip= answers the same page; another address shows none of it.
    expect((await admin.get(`/admin/security/ip?ip=${IP}`)).status).toBe(200);
    expect(admin.lastHtml).toContain(eve.email);
    expect((await admin.get('/admin/security/ip/198.51.110.78')).status).toBe(200);
    expect(admin.lastHtml).not.toContain(eve.email);
    expect(admin.lastHtml).not.toContain(fay.email);
    expect(admin.lastHtml).toContain('No account was seen from this address.');
  });

  it('lists the rules matching an address', async () => {
    expect((await addRule({ network: '198.51.111.0/24', note: 'matching rule' })).status).toBe(303);
    await admin.get('/admin/security/ip/198.51.111.4');
    expect(admin.lastHtml).toContain('matching rule');
    await admin.get('/admin/security/ip/198.51.112.4');
    expect(admin.lastHtml).not.toContain('matching rule');
  });

  it('answers 422 with a clear message for anything that is not an IP address (never a 500)', async () => {
    for (const bad of ['garbage', '1.2.3.4.5', "1.2.3.4'--", '<script>', '999.1.1.1', '1.2.3.4/24', ''])
      for (const path of [
        `/admin/security/ip?ip=${encodeURIComponent(bad)}`,
        ...(bad ? [`/admin/security/ip/${encodeURIComponent(bad)}`] : []),
      ]) {
        const res = await admin.get(path);
        expect(res.status, path).toBe(422);
        expect(admin.lastHtml).toMatch(/That is not an IP address|Enter an IP address/);
        expect(admin.lastHtml).not.toContain('<script>');
      }
    expect((await admin.get('/admin/security/ip')).status).toBe(200);
    expect((await admin.get('/admin/security/ip/2001:db8::1')).status).toBe(200);
  });
});

describe('access', () => {
  it('customers and guests never reach the security screens', async () => {
    const cus = await createPerson(ctx, 'Cus Tomer', { verified: true, email: uniqueEmail('Cus Tomer') });
    const b = await signedIn(ctx, cus.email, PASSWORD, '198.51.113.1');
    // The staff area is not found for customers (areas.ts), its writes refused.
    expect((await b.get('/admin/security')).status).toBe(404);
    expect((await b.get('/admin/security/ip/198.51.113.1')).status).toBe(404);
    await b.get('/dashboard');
    expect(
      (await b.post('/admin/security/rules', { network: '198.51.113.9', action: 'block', duration: '' })).status,
    ).toBe(404);
    expect(await ctx.db.selectFrom('ip_rules').select('id').where('network', '=', '198.51.113.9/32').execute()).toEqual(
      [],
    );
    const guest = new TestBrowser(ctx.app, '198.51.113.2');
    const res = await guest.get('/admin/security');
    expect(res.status).toBe(303);
  });
});

describe('across processes', () => {
  it('a rule written by another process applies here when its NOTIFY arrives (no restart, no TTL wait)', async () => {
    expect(ctx.deps.cache.active).toBe(true);
    // Each poll from a new address of the network, so no poll meets a rate limit.
    let host = 1;
    const status = async () =>
      (await new TestBrowser(ctx.app, `198.51.120.${(host++ % 250) + 1}`).get('/login')).status;
    expect(await status()).toBe(200);
    // Straight to the database, as another process would: this process learns it from the trigger's NOTIFY only.
    await ctx.db.insertInto('ip_rules').values({ network: '198.51.120.0/24', action: 'block' }).execute();
    // Well within the 5 s a snapshot is kept without notifications (rules.ts FALLBACK_TTL_MS).
    await vi.waitFor(async () => expect(await status()).toBe(403), { timeout: 2000, interval: 10 });
    await ctx.db.deleteFrom('ip_rules').where('network', '=', '198.51.120.0/24').execute();
    await vi.waitFor(async () => expect(await status()).toBe(200), { timeout: 2000, interval: 10 });
  });
});
