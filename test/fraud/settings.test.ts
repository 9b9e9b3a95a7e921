import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { getBillingSettings, updateBillingSettings } from '../../src/domain/settings/billing.ts';
import { getFraudSettings, updateFraudSettings } from '../../src/domain/settings/fraud.ts';
import { putSetting } from '../../src/domain/settings/store.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createPerson, uniqueEmail } from '../helpers/people.ts';
import { staff } from './helpers.ts';

let ctx: TestContext;
let adminId: string;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => ctx.close());
// Each test's own staff member, and no settings stored: the defaults.
beforeEach(async () => {
  await ctx.db.deleteFrom('platform_settings').execute();
  adminId = (await createPerson(ctx, 'Ada Admin', { isAdmin: true, verified: true, email: uniqueEmail('Ada Admin') }))
    .id;
});

describe('billing settings', () => {
  it('default to top-ups from 5.00 to 1000.00', async () => {
    expect(await getBillingSettings(ctx.db)).toEqual({ topUpMin: 5_000_000n, topUpMax: 1_000_000_000n });
  });

  it('are stored as micro-unit strings and read back as exact amounts', async () => {
    await updateBillingSettings(ctx.deps, staff(adminId), { topUpMin: '2.50', topUpMax: '25000.00' });
    const row = await ctx.db
      .selectFrom('platform_settings')
      .select(['value', 'updated_by'])
      .where('key', '=', 'billing')
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ value: { topUpMin: '2500000', topUpMax: '25000000000' }, updated_by: adminId });
    expect(await getBillingSettings(ctx.db)).toEqual({ topUpMin: 2_500_000n, topUpMax: 25_000_000_000n });
    const audit = await ctx.db
      .selectFrom('activity_log')
      .select(['actor_user_id', 'details'])
      .where('action', '=', 'admin.settings_updated')
      .where('actor_user_id', '=', adminId)
      .execute();
    expect(audit).toEqual([
      { actor_user_id: adminId, details: { setting: 'billing', top_up_min: '2.50', top_up_max: '25000.00' } },
    ]);
  });

  it.each([
    [{ topUpMin: '0', topUpMax: '10.00' }, 'topUpMin'],
    [{ topUpMin: '1.005', topUpMax: '10.00' }, 'topUpMin'],
    [{ topUpMin: '1e2', topUpMax: '10.00' }, 'topUpMin'],
    [{ topUpMin: '50.00', topUpMax: '10.00' }, 'topUpMax'],
  ])('refuses %o and keeps the old limits', async (input, field) => {
    await expect(updateBillingSettings(ctx.deps, staff(adminId), input)).rejects.toMatchObject({
      status: 422,
      fields: { [field]: expect.any(String) },
    });
    expect(await getBillingSettings(ctx.db)).toEqual({ topUpMin: 5_000_000n, topUpMax: 1_000_000_000n });
  });

  it('fall back to the defaults when what is stored is unusable', async () => {
    await putSetting(ctx.db, 'billing', { topUpMin: 'five', topUpMax: '20000000' }, null, ctx.clock.now());
    expect(await getBillingSettings(ctx.db)).toEqual({ topUpMin: 5_000_000n, topUpMax: 20_000_000n });
    await putSetting(ctx.db, 'billing', { topUpMin: '90000000', topUpMax: '10000000' }, null, ctx.clock.now());
    expect(await getBillingSettings(ctx.db)).toEqual({ topUpMin: 5_000_000n, topUpMax: 1_000_000_000n });
  });

  it('can be changed by platform staff only', async () => {
    await expect(
      updateBillingSettings(
        ctx.deps,
        { ...staff(adminId), isPlatformAdmin: false },
        { topUpMin: '1.00', topUpMax: '2.00' },
      ),
    ).rejects.toMatchObject({ status: 403 });
    expect(await getBillingSettings(ctx.db)).toEqual({ topUpMin: 5_000_000n, topUpMax: 1_000_000_000n });
  });
});

describe('fraud settings', () => {
  it('are off by default without a provider, on by default with one', async () => {
    expect(await getFraudSettings(ctx.deps)).toEqual({
      enabled: false,
      scoreThreshold: 70,
      blockProxyVpnTor: true,
      blockDisposableEmail: true,
      whenUnavailable: 'fail_open',
    });
    const withProvider = { db: ctx.db, fraud: { screenOrder: () => Promise.reject(new Error('not called')) } };
    expect((await getFraudSettings(withProvider)).enabled).toBe(true);
  });

  it('keep what staff saved, even "off" with a provider configured', async () => {
    await updateFraudSettings(ctx.deps, staff(adminId), { scoreThreshold: 60, whenUnavailable: 'fail_open' });
    expect(await getFraudSettings({ db: ctx.db, fraud: {} })).toMatchObject({ enabled: false, scoreThreshold: 60 });
  });

  it('fall back field by field when a stored value is unusable', async () => {
    await putSetting(
      ctx.db,
      'fraud',
      { enabled: true, scoreThreshold: 500, whenUnavailable: 'fail_closed' },
      null,
      ctx.clock.now(),
    );
    expect(await getFraudSettings(ctx.deps)).toEqual({
      enabled: true,
      scoreThreshold: 70,
      blockProxyVpnTor: true,
      blockDisposableEmail: true,
      whenUnavailable: 'fail_closed',
    });
  });
});
