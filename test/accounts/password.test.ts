import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sendPasswordReset } from '../../src/domain/accounts/recovery.ts';
import { TestBrowser } from '../helpers/browser.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createPerson, PASSWORD, signedIn } from '../helpers/people.ts';
import { runQueued } from '../helpers/jobs.ts';
import { receivedEmail } from '../helpers/mail.ts';
import { apiClient, tokenFor } from '../api/client.ts';
import { issueUserToken } from '../../src/domain/accounts/user-tokens.ts';

let ctx: TestContext;
let started: Date;
beforeAll(async () => {
  ctx = await createTestContext();
  started = ctx.clock.now();
});
afterEach(() => ctx.clock.set(started));
afterAll(async () => ctx.close());

const lastEmail = (to: string, template: string) => receivedEmail(ctx, to, template);

/** The forgot-password job, run as the worker would (tests start no workers). */
const runResetJobs = () => runQueued(ctx, 'accounts.send-password-reset', (data) => sendPasswordReset(ctx.deps, data));

/**
 * What a request wrote: for each table (and pg-boss's jobs) whose rows changed, how many rows
 * it gained. The request rate limiter's counters are left out: they count the client's
 * requests, whatever was typed, and are flushed in the background.
 */
async function writesOf(request: () => Promise<Response>): Promise<{ res: Response; writes: Record<string, number> }> {
  const tables = (
    await sql<{ name: string }>`
    select format('%I.%I', table_schema, table_name) as name from information_schema.tables
    where table_type = 'BASE TABLE' and (table_schema = 'public' or (table_schema = 'pgboss' and table_name = 'job')) and table_name <> 'rate_limit_counters'
  `.execute(ctx.db)
  ).rows.map((r) => r.name);
  const snapshot = async () =>
    Object.fromEntries(
      await Promise.all(
        tables.map(async (t) => {
          const { rows } = await sql<{
            n: number;
            sum: string;
          }>`select count(*)::int as n, md5(coalesce(string_agg(x::text, ',' order by x::text), '')) as sum from ${sql.raw(t)} x`.execute(
            ctx.db,
          );
          return [t, rows[0]!] as const;
        }),
      ),
    );
  const before = await snapshot();
  const res = await request();
  const after = await snapshot();
  const writes: Record<string, number> = {};
  for (const t of tables) if (after[t]!.sum !== before[t]!.sum) writes[t] = after[t]!.n - before[t]!.n;
  return { res, writes };
}

describe('forgotten password', () => {
  it('answers and writes exactly the same for a registered and an unknown address (one queued job); only the job finds the account and emails it', async () => {
    const erin = await createPerson(ctx, 'Erin Forgot', { verified: true });
    const ask = async (email: string, ip: string) => {
      const browser = new TestBrowser(ctx.app, ip);
      await browser.get('/forgot-password');
      return writesOf(() => browser.post('/forgot-password', { email }));
    };
    const known = await ask(erin.email, '192.0.2.60');
    const unknown = await ask('nobody@example.test', '192.0.2.61');
    expect(known.res.status).toBe(200);
    expect(unknown.res.status).toBe(200);
    const clean = (s: string) => s.replace(/content="[^"]+"|value="[^"]+"|nonce="[^"]+"|"X-CSRF-Token": "[^"]+"/g, '');
    expect(clean(await known.res.text())).toBe(clean(await unknown.res.text()));
    expect(known.writes).toEqual({ 'pgboss.job': 1 });
    expect(unknown.writes).toEqual(known.writes);
    expect(await lastEmail(erin.email, 'password_reset')).toBeUndefined();

    expect(await runResetJobs()).toBe(2);
    expect(await lastEmail(erin.email, 'password_reset')).toBeDefined();
    expect(await lastEmail('nobody@example.test', 'password_reset')).toBeUndefined();
  });

  it('the job is safe to run twice: one link, one email', async () => {
    const fay = await createPerson(ctx, 'Fay Twice', { verified: true });
    const request = { email: fay.email, requestedAt: ctx.clock.now().toISOString() };
    expect(await sendPasswordReset(ctx.deps, request)).toEqual({ sent: true });
    expect(await sendPasswordReset(ctx.deps, request)).toEqual({ sent: false });
    const sent = await ctx.db
      .selectFrom('emails')
      .select('id')
      .where('to_address', '=', fay.email)
      .where('template', '=', 'password_reset')
      .execute();
    expect(sent).toHaveLength(1);
  });

  it('resets the password with the emailed link once, and signs out every session', async () => {
    const frank = await createPerson(ctx, 'Frank Reset', { verified: true });
    const other = await signedIn(ctx, frank.email, PASSWORD, '192.0.2.70');
    const browser = new TestBrowser(ctx.app);
    await browser.get('/forgot-password');
    await browser.post('/forgot-password', { email: frank.email });
    await runResetJobs();
    const link = /\/reset-password\/[\w-]+/.exec((await lastEmail(frank.email, 'password_reset'))!.text)![0];

    expect((await browser.get(link)).status).toBe(200);
    const short = await browser.post(link, { password: 'short' });
    expect(short.status).toBe(422);
    const done = await browser.post(link, { password: 'a brand new password' });
    expect(done.status).toBe(303);
    expect((await other.get('/dashboard')).status).toBe(303);
    expect((await browser.get(link)).status).toBe(404);
    expect((await browser.post(link, { password: 'another new password' })).status).toBe(422);
    expect(await lastEmail(frank.email, 'password_changed')).toBeDefined();
    await signedIn(ctx, frank.email, 'a brand new password', '192.0.2.71');
  });

  it('accepts a reset link for 60 minutes and refuses it from then on, leaving the password as it was', async () => {
    const gail = await createPerson(ctx, 'Gail Late', { verified: true });
    const browser = new TestBrowser(ctx.app);
    await browser.get('/forgot-password');
    await browser.post('/forgot-password', { email: gail.email });
    await runResetJobs();
    const link = /\/reset-password\/[\w-]+/.exec((await lastEmail(gail.email, 'password_reset'))!.text)![0];
    ctx.clock.advance(60 * 60_000 - 1);
    expect((await browser.get(link)).status).toBe(200);
    ctx.clock.advance(1);
    expect((await browser.get(link)).status).toBe(404);
    expect((await browser.post(link, { password: 'a brand new password' })).status).toBe(422);
    await signedIn(ctx, gail.email, PASSWORD, '192.0.2.72');
  });
});

describe('changing the password', () => {
  it('needs the current password and signs out the other sessions only', async () => {
    const hal = await createPerson(ctx, 'Hal Change', { verified: true });
    const phone = await signedIn(ctx, hal.email, PASSWORD, '192.0.2.80');
    const laptop = await signedIn(ctx, hal.email, PASSWORD, '192.0.2.81');
    await laptop.get('/settings/password');
    const wrong = await laptop.post('/settings/password', {
      current_password: 'wrong one',
      new_password: 'a brand new password',
    });
    expect(wrong.status).toBe(422);
    expect(await wrong.text()).toContain('That is not your current password');
    const ok = await laptop.post('/settings/password', {
      current_password: PASSWORD,
      new_password: 'a brand new password',
    });
    expect(ok.status).toBe(303);
    expect((await laptop.get('/dashboard')).status).toBe(200);
    expect((await phone.get('/dashboard')).status).toBe(303);
  });
});

// A key made by whoever knew the old password must not outlive it.
describe('API keys when the password changes', () => {
  /** Two live keys of `email`'s, made through the API, that work. */
  async function twoKeys(p: { email: string; organization: { id: string } }, ip: string) {
    const call = apiClient(ctx, ip);
    const token = await tokenFor(ctx, p.email, ip);
    const keys: string[] = [];
    for (const name of ['ci', 'backup script']) {
      const made = await call('POST', '/api-keys', {
        token,
        body: { name, organization_id: p.organization.id, permissions: ['billing_view'] },
      });
      expect(made.status).toBe(201);
      keys.push(made.body.key);
    }
    for (const key of keys) expect((await call('GET', '/wallet', { token: key })).status).toBe(200);
    return { call, keys };
  }
  const liveKeys = async (userId: string) =>
    ctx.db.selectFrom('api_keys').select('id').where('user_id', '=', userId).where('revoked_at', 'is', null).execute();

  it('a password change revokes every API key of the user, says so on the page and in the email, and records each', async () => {
    const kai = await createPerson(ctx, 'Kai Keys', { verified: true });
    const { call, keys } = await twoKeys(kai, '192.0.2.120');
    const browser = await signedIn(ctx, kai.email, PASSWORD, '192.0.2.121');
    await browser.get('/settings/password');
    expect(browser.lastHtml).toContain('your API keys revoked');
    const changed = await browser.post('/settings/password', {
      current_password: PASSWORD,
      new_password: 'a brand new password',
    });
    expect(changed.status).toBe(303);
    await browser.get(changed.headers.get('location')!);
    expect(browser.lastHtml).toContain('your API keys are revoked');

    expect(await liveKeys(kai.id)).toEqual([]);
    for (const key of keys) expect((await call('GET', '/wallet', { token: key })).status).toBe(401);
    expect((await lastEmail(kai.email, 'password_changed'))!.text).toContain('and so were your 2 API keys');
    const recorded = await ctx.db
      .selectFrom('activity_log')
      .select('details')
      .where('action', '=', 'api_key.revoked')
      .where('actor_user_id', '=', kai.id)
      .execute();
    expect(recorded.map((r) => (r.details as { reason: string }).reason)).toEqual([
      'password_changed',
      'password_changed',
    ]);
  });

  it('a password reset revokes them too', async () => {
    const rae = await createPerson(ctx, 'Rae Reset Keys', { verified: true });
    const { call, keys } = await twoKeys(rae, '192.0.2.122');
    const token = await issueUserToken(ctx.db, rae.id, 'reset_password', rae.email, ctx.clock.now());
    const browser = new TestBrowser(ctx.app, '192.0.2.123');
    await browser.get(`/reset-password/${token}`);
    expect(browser.lastHtml).toContain('your API keys revoked');
    const reset = await browser.post(`/reset-password/${token}`, { password: 'a brand new password' });
    expect(reset.status).toBe(303);
    await browser.get(reset.headers.get('location')!);
    expect(browser.lastHtml).toContain('your API keys are revoked');

    expect(await liveKeys(rae.id)).toEqual([]);
    for (const key of keys) expect((await call('GET', '/wallet', { token: key })).status).toBe(401);
    expect((await lastEmail(rae.email, 'password_changed'))!.text).toContain('and so were your 2 API keys');
  });
});

describe('profile and sessions', () => {
  it('saves the profile and refuses an unknown time zone with 422', async () => {
    const ivy = await createPerson(ctx, 'Ivy Profile', { verified: true });
    const browser = await signedIn(ctx, ivy.email, PASSWORD, '192.0.2.90');
    await browser.get('/settings/profile');
    const bad = await browser.post('/settings/profile', {
      name: 'Ivy P',
      phone: '+1 555 0100',
      timezone: 'Mars/Olympus',
    });
    expect(bad.status).toBe(422);
    expect(
      (await ctx.db.selectFrom('users').select('name').where('id', '=', ivy.id).executeTakeFirstOrThrow()).name,
    ).toBe('Ivy Profile');
    const ok = await browser.post('/settings/profile', {
      name: 'Ivy P',
      phone: '+1 555 0100',
      timezone: 'Europe/Paris',
    });
    expect(ok.status).toBe(303);
    const row = await ctx.db
      .selectFrom('users')
      .select(['name', 'phone', 'timezone'])
      .where('id', '=', ivy.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ name: 'Ivy P', phone: '+1 555 0100', timezone: 'Europe/Paris' });
  });

  it('lists sessions and signs out another device; another user cannot revoke it', async () => {
    const jay = await createPerson(ctx, 'Jay Sessions', { verified: true });
    const kim = await createPerson(ctx, 'Kim Other', { verified: true });
    const desk = await signedIn(ctx, jay.email, PASSWORD, '192.0.2.100');
    const tablet = await signedIn(ctx, jay.email, PASSWORD, '192.0.2.101');
    const page = await desk.get('/settings/security');
    expect(await page.text()).toContain('192.0.2.101');
    const tabletSession = await ctx.db
      .selectFrom('sessions')
      .select('id')
      .where('user_id', '=', jay.id)
      .where('ip', '=', '192.0.2.101')
      .executeTakeFirstOrThrow();

    const intruder = await signedIn(ctx, kim.email, PASSWORD, '192.0.2.102');
    expect((await intruder.post(`/settings/sessions/${tabletSession.id}`, {}, { method: 'DELETE' })).status).toBe(404);
    expect((await tablet.get('/dashboard')).status).toBe(200);

    const res = await desk.post(
      `/settings/sessions/${tabletSession.id}`,
      {},
      { method: 'DELETE', headers: { 'hx-request': 'true' } },
    );
    expect(res.status).toBe(200);
    expect(await res.text()).not.toContain('192.0.2.101');
    expect((await tablet.get('/dashboard')).status).toBe(303);
  });
});

describe('changing the email address', () => {
  it('needs the password, asks to confirm the new address and tells the old one', async () => {
    const lou = await createPerson(ctx, 'Lou Move', { verified: true });
    const taken = await createPerson(ctx, 'Taken Already');
    const browser = await signedIn(ctx, lou.email, PASSWORD, '192.0.2.110');
    await browser.get('/settings/profile');
    expect(
      (await browser.post('/settings/email', { email: 'lou.new@example.test', current_password: 'wrong password' }))
        .status,
    ).toBe(422);
    const dup = await browser.post('/settings/email', { email: taken.email, current_password: PASSWORD });
    expect(dup.status).toBe(422);
    expect(await dup.text()).toContain('Another account already uses this email address');
    expect(
      (await browser.post('/settings/email', { email: 'lou.new@example.test', current_password: PASSWORD })).status,
    ).toBe(303);

    const row = await ctx.db
      .selectFrom('users')
      .select(['email', 'email_verified_at'])
      .where('id', '=', lou.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ email: 'lou.new@example.test', email_verified_at: null });
    expect(await lastEmail(lou.email, 'email_changed')).toBeDefined();
    const link = /\/verify-email\/[\w-]+/.exec((await lastEmail('lou.new@example.test', 'verify_email'))!.text)![0];
    expect((await browser.get(link)).status).toBe(303);
    expect(
      (await ctx.db.selectFrom('users').select('email_verified_at').where('id', '=', lou.id).executeTakeFirstOrThrow())
        .email_verified_at,
    ).not.toBeNull();
  });
});
