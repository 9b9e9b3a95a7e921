import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { decideFraudCheck, isTopUpCleared } from '../../src/domain/fraud/review.ts';
import { screeningRefusal, screenTopUp } from '../../src/domain/fraud/screen.ts';
import type { FraudLabsProEmulator } from '../../src/providers/fraudlabspro/emulator/index.ts';
import type { TestContext } from '../helpers/context.ts';
import { createPerson, uniqueEmail } from '../helpers/people.ts';
import { CLEAN_IP, DEFAULT_FRAUD_SETTINGS, fraudContext, setFraudSettings, staff } from './helpers.ts';

let ctx: TestContext;
let emu: FraudLabsProEmulator;
let close: () => Promise<void>;
let tom: Awaited<ReturnType<typeof createPerson>>;
let adminId: string;
beforeAll(async () => {
  ({ ctx, emu, close } = await fraudContext());
});
afterAll(async () => close());
// Each test's own customer (Tom) and staff member; screening with the default settings.
beforeEach(async () => {
  await setFraudSettings(ctx, DEFAULT_FRAUD_SETTINGS);
  tom = await createPerson(ctx, 'Tom Topup', { verified: true, email: uniqueEmail('Tom Topup') });
  adminId = (await createPerson(ctx, 'Ada Admin', { isAdmin: true, verified: true, email: uniqueEmail('Ada Admin') }))
    .id;
});

const topUp = (amount: bigint) =>
  screenTopUp(ctx.deps, {
    userId: tom.id,
    organizationId: tom.organization.id,
    email: tom.email,
    ip: CLEAN_IP,
    amount,
    currency: 'USD',
  });
const check = (id: string) =>
  ctx.db.selectFrom('fraud_checks').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
/** A payment held for review, as the top-ups code creates it (no PayPal order). */
const heldPayment = async (checkId: string, amount: bigint) =>
  (
    await ctx.db
      .insertInto('payments')
      .values({
        organization_id: tom.organization.id,
        created_by: tom.id,
        amount,
        currency: 'USD',
        status: 'held',
        fraud_check_id: checkId,
      })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
const payment = (id: string) =>
  ctx.db
    .selectFrom('payments')
    .select(['status', 'failure_reason', 'provider_order_id'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();

describe('screening a top-up', () => {
  it('approves an ordinary amount and records who, where and how much', async () => {
    const result = await topUp(25_000_000n);
    expect(result).toMatchObject({ decision: 'approve', unavailable: false });
    expect(await check(result.checkId!)).toMatchObject({
      subject: 'top_up',
      status: 'approve',
      user_id: tom.id,
      organization_id: tom.organization.id,
      email: tom.email,
      ip: CLEAN_IP,
      amount: 25_000_000n,
      currency: 'USD',
    });
    // FraudLabs Pro saw the amount as a decimal string and an order id within its 15 characters.
    const sent = emu.transactions.get((await check(result.checkId!)).provider_transaction_id!)!.params;
    expect(sent).toMatchObject({
      amount: '25.00',
      currency: 'USD',
      payment_mode: 'paypal',
      department: 'wallet_topup',
    });
    expect(sent.user_order_id).toMatch(/^T[0-9a-f]{14}$/);
    expect(sent.user_order_id!.length).toBeLessThanOrEqual(15);
    expect(result.checkId!.replace(/-/g, '').startsWith(sent.user_order_id!.slice(1))).toBe(true);
  });

  it('holds a risky amount for review (score 66) and refuses a riskier one (score 88)', async () => {
    const held = await topUp(25_660_000n);
    expect(held.decision).toBe('review');
    expect((await check(held.checkId!)).score).toBe(66);
    const refused = await topUp(25_880_000n);
    expect(refused.decision).toBe('reject');
    expect(screeningRefusal('top_up', refused)).toMatchObject({ status: 403, code: 'payment_refused' });
  });

  it('says "temporarily unavailable" when failing closed', async () => {
    await setFraudSettings(ctx, { whenUnavailable: 'fail_closed' });
    emu.inject('reset');
    const result = await topUp(10_000_000n);
    expect(result).toMatchObject({ decision: 'reject', unavailable: true });
    expect(screeningRefusal('top_up', result)).toMatchObject({
      status: 503,
      code: 'screening_unavailable',
      message: expect.stringContaining('temporarily unavailable'),
    });
  });
});

describe('a top-up held for review', () => {
  it('is cleared when staff allow it; the held payment waits for the customer to continue', async () => {
    const held = await topUp(40_660_000n);
    const paymentId = await heldPayment(held.checkId!, 40_660_000n);
    expect(await isTopUpCleared(ctx.db, held.checkId)).toBe(false);
    await decideFraudCheck(ctx.deps, staff(adminId), { checkId: held.checkId!, decision: 'allow' });
    expect(await isTopUpCleared(ctx.db, held.checkId)).toBe(true);
    expect(await payment(paymentId)).toEqual({ status: 'held', failure_reason: null, provider_order_id: null });
    const audit = await ctx.db
      .selectFrom('activity_log')
      .selectAll()
      .where('action', '=', 'admin.fraud_allowed')
      .where('target_id', '=', held.checkId)
      .executeTakeFirstOrThrow();
    expect(audit).toMatchObject({ actor_user_id: adminId, organization_id: tom.organization.id });
  });

  it('has its payment cancelled when staff block it', async () => {
    const held = await topUp(50_660_000n);
    const paymentId = await heldPayment(held.checkId!, 50_660_000n);
    await decideFraudCheck(ctx.deps, staff(adminId), { checkId: held.checkId!, decision: 'block' });
    expect(await payment(paymentId)).toEqual({
      status: 'cancelled',
      failure_reason: 'Blocked by fraud review',
      provider_order_id: null,
    });
    expect(await isTopUpCleared(ctx.db, held.checkId)).toBe(false);
    // Blocking a top-up leaves the customer's account alone.
    expect(
      (await ctx.db.selectFrom('users').select('status').where('id', '=', tom.id).executeTakeFirstOrThrow()).status,
    ).toBe('active');
  });

  it('counts as cleared when screening is off (no check) or was skipped, and not when refused', async () => {
    expect(await isTopUpCleared(ctx.db, null)).toBe(true);
    emu.inject('500');
    expect(await isTopUpCleared(ctx.db, (await topUp(10_000_000n)).checkId)).toBe(true);
    expect(await isTopUpCleared(ctx.db, (await topUp(10_880_000n)).checkId)).toBe(false);
  });

  it('refuses decisions from anyone but platform staff, and unknown decisions', async () => {
    const held = await topUp(60_660_000n);
    await expect(
      decideFraudCheck(
        ctx.deps,
        { ...staff(tom.id), isPlatformAdmin: false },
        { checkId: held.checkId!, decision: 'allow' },
      ),
    ).rejects.toMatchObject({ status: 403 });
    await expect(
      decideFraudCheck(ctx.deps, staff(adminId), { checkId: held.checkId!, decision: 'maybe' }),
    ).rejects.toMatchObject({ status: 422 });
    await expect(
      decideFraudCheck(ctx.deps, staff(adminId), { checkId: 'not-a-uuid', decision: 'allow' }),
    ).rejects.toMatchObject({ status: 404 });
    expect((await check(held.checkId!)).status).toBe('review');
  });
});
