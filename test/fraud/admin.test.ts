import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { screenRegistration, screenTopUp } from '../../src/domain/fraud/screen.ts';
import { getFraudSettings } from '../../src/domain/settings/fraud.ts';
import { TestBrowser } from '../helpers/browser.ts';
import type { TestContext } from '../helpers/context.ts';
import { createPerson, PASSWORD, signedIn, uniqueEmail } from '../helpers/people.ts';
import { CLEAN_IP, DEFAULT_FRAUD_SETTINGS, fraudContext, setFraudSettings, TOR_IP } from './helpers.ts';

let ctx: TestContext;
let close: () => Promise<void>;
let admin: TestBrowser;
let adminId: string;
beforeAll(async () => {
  ({ ctx, close } = await fraudContext());
});
afterAll(async () => close());

// Each test's own staff member, Ada, signed in; the fraud settings at their defaults.
beforeEach(async () => {
  await ctx.db.deleteFrom('platform_settings').where('key', '=', 'fraud').execute();
  const ada = await createPerson(ctx, 'Ada Admin', { isAdmin: true, verified: true, email: uniqueEmail('Ada Admin') });
  adminId = ada.id;
  admin = await signedIn(ctx, ada.email, PASSWORD, '192.0.2.1');
});

const htmx = { 'hx-request': 'true' };
const statusOf = async (id: string) =>
  (await ctx.db.selectFrom('fraud_checks').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status;
/** The table row of check `id` in `html` (its <tr id="fraud-check-…">), or ''. */
const rowOf = (html: string, id: string) =>
  html
    .match(/<tr[^>]*id="fraud-check-[0-9a-f-]{36}"[^>]*>[\s\S]*?<\/tr>/g)
    ?.find((row) => row.includes(`id="fraud-check-${id}"`)) ?? '';
const queueLength = async () =>
  Number(
    (
      await ctx.db
        .selectFrom('fraud_checks')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('status', '=', 'review')
        .executeTakeFirstOrThrow()
    ).n,
  );

/**
 * Carl, a customer whose top-up of $123.45 from a Tor exit is held for review (Tor alone is
 * FraudLabs Pro's REVIEW, score 70, once our own Tor rule and threshold stand aside).
 */
async function heldTopUp() {
  const customer = await createPerson(ctx, 'Carl Customer', { verified: true, email: uniqueEmail('Carl Customer') });
  await setFraudSettings(ctx, { ...DEFAULT_FRAUD_SETTINGS, blockProxyVpnTor: false, scoreThreshold: 100 });
  const heldId = (
    await screenTopUp(ctx.deps, {
      userId: customer.id,
      organizationId: customer.organization.id,
      email: customer.email,
      ip: TOR_IP,
      amount: 123_450_000n,
      currency: 'USD',
    })
  ).checkId!;
  await ctx.db.deleteFrom('platform_settings').where('key', '=', 'fraud').execute();
  expect(await statusOf(heldId)).toBe('review');
  return { customer, heldId };
}

describe('the fraud pages', () => {
  it('do not exist for customers, nor for signed-out visitors', async () => {
    const { customer, heldId } = await heldTopUp();
    const carl = await signedIn(ctx, customer.email);
    for (const path of ['/admin/fraud', '/admin/fraud/settings']) expect((await carl.get(path)).status).toBe(404);
    expect((await carl.post(`/admin/fraud/checks/${heldId}/decision`, { decision: 'allow' })).status).toBe(404);
    expect(
      (
        await carl.post(
          '/admin/fraud/settings',
          { scoreThreshold: '90', whenUnavailable: 'fail_open' },
          { method: 'PUT' },
        )
      ).status,
    ).toBe(404);
    const anonymous = new TestBrowser(ctx.app);
    expect((await anonymous.get('/admin/fraud')).headers.get('location')).toBe('/login?next=%2Fadmin%2Ffraud');
    expect(await statusOf(heldId)).toBe('review');
    expect(await ctx.db.selectFrom('platform_settings').select('key').where('key', '=', 'fraud').execute()).toEqual([]);
  });

  it('show the review queue with each check’s subject, email, IP, amount, score, reasons and provider details', async () => {
    const { customer, heldId } = await heldTopUp();
    const rejected = `rejected.${randomBytes(3).toString('hex')}@mailinator.test`;
    await screenRegistration(ctx.deps, { email: rejected, ip: CLEAN_IP });
    const res = await admin.get('/admin/fraud');
    expect(res.status).toBe(200);
    const queue = admin.lastHtml.slice(admin.lastHtml.indexOf('id="queue-h"'), admin.lastHtml.indexOf('id="recent-h"'));
    expect(queue).toContain(`data-testid="queue-count">${await queueLength()}<`);
    const row = rowOf(queue, heldId);
    expect(row).toContain('Top-up');
    expect(row).toContain('$123.45');
    expect(row).toContain(customer.email);
    expect(row).toContain(TOR_IP);
    expect(row).toContain('Fraud score 70 is at or above the review score 50');
    expect(row).toContain('FraudLabs Pro: review · Tor exit node');
    expect(row).toContain('Tor Exit Relay');
    expect(row).toContain(`hx-post="/admin/fraud/checks/${heldId}/decision"`);
    // Recent decisions: the disposable address refused automatically.
    const recent = admin.lastHtml.slice(admin.lastHtml.indexOf('id="recent-h"'));
    const [check] = await ctx.db.selectFrom('fraud_checks').select('id').where('email', '=', rejected).execute();
    expect(rowOf(recent, check!.id)).toContain(rejected);
    expect(rowOf(recent, check!.id)).toContain('Disposable email address');
  });

  it('record a decision with the admin as actor, and move the check to recent decisions', async () => {
    const { customer, heldId } = await heldTopUp();
    const before = await queueLength();
    const res = await admin.post(
      `/admin/fraud/checks/${heldId}/decision`,
      { decision: 'block' },
      { headers: { ...htmx, 'hx-target': 'fraud-checks' } },
    );
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(await statusOf(heldId)).toBe('blocked');
    expect(html).toContain(`data-testid="queue-count">${before - 1}<`);
    expect(rowOf(html.slice(html.indexOf('id="queue-h"'), html.indexOf('id="recent-h"')), heldId)).toBe('');
    const decided = rowOf(html.slice(html.indexOf('id="recent-h"')), heldId);
    expect(decided).toContain(customer.email);
    expect(decided).toContain('blocked');
    expect(decided).toContain('by Ada Admin');
    const audit = await ctx.db.selectFrom('activity_log').selectAll().where('target_id', '=', heldId).execute();
    expect(audit).toEqual([
      expect.objectContaining({
        action: 'admin.fraud_blocked',
        actor_user_id: adminId,
        target_type: 'fraud_check',
        organization_id: customer.organization.id,
      }),
    ]);
    await admin.get('/admin/activity');
    expect(admin.lastHtml).toContain('Blocked a sign-up or top-up held by fraud screening');
  });

  it('answer a decision on an unknown check with 404', async () => {
    expect(
      (await admin.post('/admin/fraud/checks/00000000-0000-4000-8000-000000000000/decision', { decision: 'allow' }))
        .status,
    ).toBe(404);
    expect(
      await ctx.db
        .selectFrom('activity_log')
        .select('id')
        .where('actor_user_id', '=', adminId)
        .where('action', 'like', 'admin.fraud_%')
        .execute(),
    ).toEqual([]);
  });
});

describe('the fraud settings page', () => {
  const valid = { enabled: 'on', scoreThreshold: '85', blockProxyVpnTor: 'on', whenUnavailable: 'fail_closed' };

  it('shows the current settings and the provider', async () => {
    await admin.get('/admin/fraud/settings');
    expect(admin.lastHtml).toContain('FraudLabs Pro (127.0.0.1:');
    expect(admin.lastHtml).toMatch(/name="scoreThreshold" type="number" value="70"/);
    expect(admin.lastHtml).toMatch(/value="fail_open" checked/);
    await setFraudSettings(ctx, { scoreThreshold: 64, whenUnavailable: 'fail_closed' });
    await admin.get('/admin/fraud/settings');
    expect(admin.lastHtml).toMatch(/name="scoreThreshold" type="number" value="64"/);
    expect(admin.lastHtml).toMatch(/value="fail_closed" checked/);
  });

  it.each([
    ['a threshold of 0', { scoreThreshold: '0' }, 'scoreThreshold'],
    ['a threshold that is not a number', { scoreThreshold: 'lots' }, 'scoreThreshold'],
    ['a threshold above 100', { scoreThreshold: '101' }, 'scoreThreshold'],
    ['an unknown outage mode', { whenUnavailable: 'shrug' }, 'whenUnavailable'],
  ])('refuses %s with 422 and saves nothing', async (_, change, field) => {
    const before = await getFraudSettings(ctx.deps);
    const res = await admin.post(
      '/admin/fraud/settings',
      { ...valid, ...change },
      { method: 'PUT', headers: { ...htmx, 'hx-target': 'fraud-settings' } },
    );
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html.trimStart().startsWith('<form id="fraud-settings"')).toBe(true);
    expect(html).toContain(
      field === 'scoreThreshold'
        ? 'Enter a whole number from 1 to 100.'
        : 'Choose what happens when the provider cannot be reached.',
    );
    expect(await getFraudSettings(ctx.deps)).toEqual(before);
    expect(await ctx.db.selectFrom('platform_settings').select('key').where('key', '=', 'fraud').execute()).toEqual([]);
  });

  it('saves valid settings (an unticked box is off) and audits the change', async () => {
    const res = await admin.post('/admin/fraud/settings', valid, { method: 'PUT' });
    expect(res.status).toBe(303);
    expect(await getFraudSettings(ctx.deps)).toEqual({
      enabled: true,
      scoreThreshold: 85,
      blockProxyVpnTor: true,
      blockDisposableEmail: false,
      whenUnavailable: 'fail_closed',
    });
    const audit = await ctx.db
      .selectFrom('activity_log')
      .selectAll()
      .where('action', '=', 'admin.settings_updated')
      .where('actor_user_id', '=', adminId)
      .execute();
    expect(audit).toMatchObject([
      {
        actor_user_id: adminId,
        details: {
          setting: 'fraud',
          score_threshold: 85,
          block_disposable_email: false,
          when_unavailable: 'fail_closed',
        },
      },
    ]);
    await admin.get('/admin/fraud/settings');
    expect(admin.lastHtml).toContain('Fraud settings saved.');
    expect(admin.lastHtml).toMatch(/name="scoreThreshold" type="number" value="85"/);
  });
});
