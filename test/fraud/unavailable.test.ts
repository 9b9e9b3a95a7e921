import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { screenRegistration } from '../../src/domain/fraud/screen.ts';
import {
  startFraudLabsProEmulator,
  type FraudLabsProEmulator,
} from '../../src/providers/fraudlabspro/emulator/index.ts';
import { TestBrowser } from '../helpers/browser.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { PASSWORD } from '../helpers/people.ts';
import { count, CLEAN_IP, DEFAULT_FRAUD_SETTINGS, fraudContext, setFraudSettings } from './helpers.ts';

let ctx: TestContext;
let emu: FraudLabsProEmulator;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ ctx, emu, close } = await fraudContext());
});
afterAll(async () => close());
beforeEach(async () => setFraudSettings(ctx, DEFAULT_FRAUD_SETTINGS));

async function signUp(email: string) {
  const browser = new TestBrowser(ctx.app, CLEAN_IP);
  await browser.get('/register');
  const res = await browser.post('/register', { name: 'Una Available', email, password: PASSWORD });
  return { res, html: browser.lastHtml };
}
const checkFor = (email: string) =>
  ctx.db.selectFrom('fraud_checks').selectAll().where('email', '=', email).executeTakeFirstOrThrow();
/** An address no other test uses. */
const address = (local: string) => `${local}.${randomBytes(3).toString('hex')}@example.test`;
const userBy = (email: string) =>
  ctx.db.selectFrom('users').select('status').where('email', '=', email).executeTakeFirst();

describe('when FraudLabs Pro answers 500', () => {
  it('fails open by default: the sign-up goes through unscreened, and a skipped check says why', async () => {
    const email = address('open');
    emu.inject('500');
    const { res } = await signUp(email);
    expect(res.status).toBe(303);
    expect((await userBy(email))?.status).toBe('active');
    const check = await checkFor(email);
    expect(check).toMatchObject({ status: 'skipped', score: null, provider_transaction_id: null });
    expect(check.reasons).toEqual(['Screening unavailable (http_500); let through (fail-open)']);
    expect(check.details).toMatchObject({
      unavailable: true,
      mode: 'fail_open',
      error: { code: 'http_500', retryable: true },
    });
  });

  it('fails closed when set to: refused as temporarily unavailable, nothing created but the check', async () => {
    const email = address('closed');
    await setFraudSettings(ctx, { whenUnavailable: 'fail_closed' });
    const users = await count(ctx, 'users');
    emu.inject('500');
    const { res, html } = await signUp(email);
    expect(res.status).toBe(422);
    expect(html).toContain('We cannot open new accounts right now. Please try again in a few minutes.');
    expect(await count(ctx, 'users')).toBe(users);
    expect(await checkFor(email)).toMatchObject({
      status: 'reject',
      reasons: ['Screening unavailable (http_500); refused (fail-closed)'],
    });
  });

  it('fails closed over the JSON API with a 503', async () => {
    const email = address('api.closed');
    await setFraudSettings(ctx, { whenUnavailable: 'fail_closed' });
    emu.inject('500');
    const res = await ctx.app.request('/api/v1/auth/register', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': CLEAN_IP },
      body: JSON.stringify({ name: 'Api Closed', email, password: PASSWORD }),
    });
    expect(res.status).toBe(503);
    expect((await res.json()).error.code).toBe('screening_unavailable');
    expect(await userBy(email)).toBeUndefined();
  });

  it('treats a bad API key or used-up credit as unavailable too', async () => {
    const email = address('credit');
    emu.inject('insufficient_credit');
    const result = await screenRegistration(ctx.deps, { email, ip: CLEAN_IP });
    expect(result).toMatchObject({ decision: 'approve', unavailable: true });
    expect((await checkFor(email)).details).toMatchObject({ error: { code: '10007', retryable: false } });
  });

  it('answers normally again once FraudLabs Pro is back', async () => {
    const [down, back] = [address('down'), address('back')];
    emu.inject('500');
    expect(await screenRegistration(ctx.deps, { email: down, ip: CLEAN_IP })).toMatchObject({ unavailable: true });
    const result = await screenRegistration(ctx.deps, { email: back, ip: CLEAN_IP });
    expect(result).toMatchObject({ decision: 'approve', unavailable: false });
    expect((await checkFor(back)).status).toBe('approve');
  });
});

describe('when FraudLabs Pro cannot be reached at all', () => {
  let offline: TestContext;
  beforeAll(async () => {
    const gone = await startFraudLabsProEmulator();
    await gone.close();
    offline = await createTestContext({ FRAUDLABSPRO_API_KEY: 'flp-test-key', FRAUDLABSPRO_BASE_URL: gone.url });
  });
  afterAll(async () => offline.close());
  // Each test starts from the default settings (screening on, failing open).
  beforeEach(async () => {
    await offline.db.deleteFrom('platform_settings').where('key', '=', 'fraud').execute();
  });

  it('fails open with a skipped check (connection refused)', async () => {
    const email = address('refused');
    const result = await screenRegistration(offline.deps, { email, ip: CLEAN_IP });
    expect(result).toMatchObject({ decision: 'approve', unavailable: true });
    const check = await offline.db
      .selectFrom('fraud_checks')
      .selectAll()
      .where('email', '=', email)
      .executeTakeFirstOrThrow();
    expect(check).toMatchObject({ status: 'skipped', email });
    expect(check.details).toMatchObject({ error: { code: 'network', retryable: true } });
  });

  it('fails closed with a refusal when set to', async () => {
    await setFraudSettings(offline, { ...DEFAULT_FRAUD_SETTINGS, whenUnavailable: 'fail_closed' });
    const email = address('refused');
    const result = await screenRegistration(offline.deps, { email, ip: CLEAN_IP });
    expect(result).toMatchObject({ decision: 'reject', unavailable: true });
    expect(
      (
        await offline.db
          .selectFrom('fraud_checks')
          .select('status')
          .where('email', '=', email)
          .executeTakeFirstOrThrow()
      ).status,
    ).toBe('reject');
  });
});

describe('with no provider configured', () => {
  let bare: TestContext;
  beforeAll(async () => {
    bare = await createTestContext();
  });
  afterAll(async () => bare.close());
  // Each test starts from the default settings (off without a provider).
  beforeEach(async () => {
    await bare.db.deleteFrom('platform_settings').where('key', '=', 'fraud').execute();
  });

  it('does not screen by default, and writes no check', async () => {
    expect(bare.deps.fraud).toBeUndefined();
    const checks = await count(bare, 'fraud_checks');
    expect(await screenRegistration(bare.deps, { email: address('plain'), ip: CLEAN_IP })).toEqual({
      decision: 'approve',
      checkId: null,
      reasons: [],
      unavailable: false,
    });
    expect(await count(bare, 'fraud_checks')).toBe(checks);
  });

  it('treats screening switched on anyway as an unreachable provider', async () => {
    await setFraudSettings(bare, { ...DEFAULT_FRAUD_SETTINGS, whenUnavailable: 'fail_closed' });
    expect(await screenRegistration(bare.deps, { email: address('plain'), ip: CLEAN_IP })).toMatchObject({
      decision: 'reject',
      unavailable: true,
    });
  });
});
