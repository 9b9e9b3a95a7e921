import { beforeEach, describe, expect, it } from 'vitest';
import { getBillingValues } from '../../src/domain/settings/billing-policy.ts';
import { sendBillingReminders } from '../../src/domain/notifications/reminders.ts';
import { createPerson, signedIn, uniqueEmail } from '../helpers/people.ts';
import type { TestBrowser } from '../helpers/browser.ts';
import { customer, HOUR, run, serverOf, setBalance, statusOf, useDunningWorld } from '../dunning/helpers.ts';

/**
 * The billing values staff set at /admin/platform-settings/billing: top-up limits and presets,
 * the low-balance threshold and the dunning periods, with the environment as defaults (this
 * world's: suspension after 48 h, deletion after 7 days).
 */
const w = useDunningWorld();
let admin: TestBrowser;
let before: string[] = [];

const entries = () =>
  w.ctx.db
    .selectFrom('activity_log')
    .select(['id', 'details'])
    .where('action', '=', 'admin.settings_updated')
    .execute();
const audits = async () =>
  (await entries()).filter((e) => !before.includes(e.id)).map((e) => e.details as Record<string, unknown>);

beforeEach(async () => {
  await w.ctx.db.deleteFrom('platform_settings').execute();
  before = (await entries()).map((e) => e.id);
  if (!admin) {
    const ada = await createPerson(w.ctx, 'Ada Admin', {
      isAdmin: true,
      verified: true,
      email: uniqueEmail('Ada Admin'),
    });
    admin = await signedIn(w.ctx, ada.email);
  }
});

const lowBalanceMails = (to: string) =>
  w.ctx.db
    .selectFrom('emails')
    .select(['text'])
    .where('to_address', '=', to)
    .where('template', '=', 'low_balance')
    .execute();

const form = (over: Record<string, string> = {}) => ({
  topUpMin: '5.00',
  topUpMax: '1000.00',
  topUpPresets: '10, 25, 50, 100',
  lowBalanceThreshold: '5.00',
  dunningSuspendAfterHours: '48',
  dunningTerminateAfterDays: '7',
  ...over,
});

describe('/admin/platform-settings/billing', () => {
  it('shows the environment’s values as defaults, saves a change audited with what changed', async () => {
    await admin.get('/admin/platform-settings/billing');
    expect(admin.lastHtml).toContain('id="billing-settings"');
    expect(admin.lastHtml).toContain('name="dunningSuspendAfterHours" type="text" value="48"');
    expect(admin.lastHtml).toContain('name="topUpPresets" type="text" value="10.00, 25.00, 50.00, 100.00"');
    const res = await admin.post(
      '/admin/platform-settings/billing',
      form({ topUpPresets: '15; 30', lowBalanceThreshold: '25', dunningSuspendAfterHours: '6' }),
    );
    expect(res.status).toBe(303);
    expect(await getBillingValues(w.ctx.db, w.ctx.deps.config)).toMatchObject({
      topUpPresets: [15_000_000n, 30_000_000n],
      lowBalanceThreshold: 25_000_000n,
      dunningSuspendAfterHours: 6,
      dunningTerminateAfterDays: 7,
    });
    expect(await audits()).toEqual([
      {
        setting: 'billing',
        changed: 'top_up_presets, low_balance_threshold, dunning_suspend_after_hours',
        top_up_presets: '15.00, 30.00',
        top_up_presets_before: '10.00, 25.00, 50.00, 100.00',
        low_balance_threshold: '25.00',
        low_balance_threshold_before: '5.00',
        dunning_suspend_after_hours: 6,
        dunning_suspend_after_hours_before: 48,
      },
    ]);
  });

  it('refuses bad input with 422, the form and what was typed, and changes nothing', async () => {
    await admin.get('/admin/platform-settings/billing');
    for (const [values, field] of [
      [{ dunningSuspendAfterHours: '150', dunningTerminateAfterDays: '7' }, 'dunningSuspendAfterHours'],
      [{ dunningTerminateAfterDays: 'soon' }, 'dunningTerminateAfterDays'],
      [{ topUpMin: '50', topUpMax: '20' }, 'topUpMax'],
      [{ topUpPresets: '10, lots' }, 'topUpPresets'],
      [{ topUpPresets: '2000' }, 'topUpPresets'],
      [{ lowBalanceThreshold: '-1' }, 'lowBalanceThreshold'],
    ] as const) {
      const res = await admin.post('/admin/platform-settings/billing', form(values));
      expect(res.status, JSON.stringify(values)).toBe(422);
      expect(admin.lastHtml).toContain('id="billing-settings"');
      expect(admin.lastHtml).toContain(`id="e-${field}"`);
      for (const v of Object.values(values)) expect(admin.lastHtml).toContain(`value="${v}"`);
    }
    expect(await getBillingValues(w.ctx.db, w.ctx.deps.config)).toMatchObject({
      topUpMin: 5_000_000n,
      topUpMax: 1_000_000_000n,
      dunningSuspendAfterHours: 48,
    });
    expect(await audits()).toEqual([]);
  });

  it('dunning suspends after the hours staff set, not the environment’s', async () => {
    await admin.get('/admin/platform-settings/billing');
    expect((await admin.post('/admin/platform-settings/billing', form({ dunningSuspendAfterHours: '6' }))).status).toBe(
      303,
    );
    const { owner, org, actor } = await customer(w, 'Sid Suspend');
    const web = await serverOf(w, actor, 'web-1');
    await setBalance(w, org, -2_000_000n);
    const start = w.ctx.clock.now();
    await run(w);
    // The customer's banner announces the suspension at the staff's hours.
    const { arrears_since } = await w.ctx.db
      .selectFrom('dunning_cases')
      .select('arrears_since')
      .where('organization_id', '=', org)
      .executeTakeFirstOrThrow();
    const banner = await signedIn(w.ctx, owner.email);
    await banner.get('/dashboard');
    expect(banner.lastHtml).toContain(
      `<time datetime="${new Date(arrears_since.getTime() + 6 * HOUR).toISOString()}">`,
    );
    w.ctx.clock.set(new Date(start.getTime() + 6 * HOUR - 60_000));
    await run(w);
    expect((await statusOf(w, web)).status).toBe('running');
    w.ctx.clock.set(new Date(start.getTime() + 6 * HOUR));
    await run(w);
    expect((await statusOf(w, web)).status).toBe('suspended');
    // The staff's arrears screen reads the same periods.
    const arrears = await admin.get('/admin/billing/arrears');
    expect(arrears.status).toBe(200);
    await setBalance(w, org, 0n);
    await run(w);
  });

  it('the low-balance reminder uses the threshold staff set', async () => {
    const { owner, org, actor } = await customer(w, 'Lou Lowbalance');
    await serverOf(w, actor, 'app-1');
    await setBalance(w, org, 20_000_000n);
    await sendBillingReminders(w.ctx.deps);
    expect(await lowBalanceMails(owner.email)).toEqual([]);
    await admin.get('/admin/platform-settings/billing');
    expect((await admin.post('/admin/platform-settings/billing', form({ lowBalanceThreshold: '30.00' }))).status).toBe(
      303,
    );
    await sendBillingReminders(w.ctx.deps);
    const [low] = await lowBalanceMails(owner.email);
    expect(low).toBeDefined();
    expect(low!.text).toContain('$30.00');
  });
});
