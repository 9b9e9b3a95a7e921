import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toDecimal } from '../../src/lib/money.ts';
import type { PayPalEmulator } from '../../src/providers/paypal/emulator/index.ts';
import type { TestContext } from '../helpers/context.ts';
import { apiAs, balanceOf, billingCast, billingContext, creditsOf, orderOf } from './helpers.ts';

let ctx: TestContext;
let emu: PayPalEmulator;
let close: () => Promise<void>;
let cast: Awaited<ReturnType<typeof billingCast>>;
let olivia: Awaited<ReturnType<typeof apiAs>>;
let greta: Awaited<ReturnType<typeof apiAs>>;

beforeAll(async () => {
  ({ ctx, emu, close } = await billingContext());
  cast = await billingCast(ctx);
  olivia = await apiAs(ctx, cast.olivia.email);
  greta = await apiAs(ctx, cast.greta.email);
});
afterAll(async () => close());

/** Olivia starts a top-up through the API; the buyer approves it on PayPal (unless told not to). */
async function approvedTopUp(amount: string, opts: { approve?: 'approve' | 'decline' | false } = {}) {
  const res = await olivia('POST', '/wallet/top-ups', { amount });
  expect(res.status).toBe(201);
  const orderId = await orderOf(ctx, res.body.id);
  if (opts.approve !== false) (opts.approve === 'decline' ? emu.decline : emu.approve)(orderId);
  return { id: res.body.id as string, orderId };
}

const payment = (id: string) =>
  ctx.db.selectFrom('payments').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const receipts = (paymentId: string) =>
  ctx.db.selectFrom('invoices').select(['id', 'number', 'total']).where('payment_id', '=', paymentId).execute();

describe('capturing a top-up', () => {
  it('twenty concurrent captures of one approved order credit it once, with one receipt', async () => {
    const before = await balanceOf(ctx, cast.acme);
    const credits = (await creditsOf(ctx, cast.acme)).length;
    const { id, orderId } = await approvedTopUp('25.00');

    const answers = await Promise.all(
      Array.from({ length: 20 }, () => olivia('POST', `/wallet/top-ups/${id}/capture`)),
    );

    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    expect(new Set(answers.map((a) => a.body.status))).toEqual(new Set(['completed']));
    expect(await balanceOf(ctx, cast.acme)).toBe(before + 25_000_000n);
    expect((await creditsOf(ctx, cast.acme)).length).toBe(credits + 1);
    expect(await payment(id)).toMatchObject({ status: 'completed', capture_id: expect.any(String) });
    // PayPal captured once: every capture call carried the same PayPal-Request-Id.
    expect([...emu.captures.values()].filter((c) => c.orderId === orderId)).toHaveLength(1);
    expect(await receipts(id)).toEqual([
      { id: expect.any(String), number: expect.stringMatching(/^INV-\d{4}-\d{6}$/), total: 25_000_000n },
    ]);
    // Afterwards, every answer agrees on the final balance.
    expect((await olivia('POST', `/wallet/top-ups/${id}/capture`)).body).toEqual({
      id,
      status: 'completed',
      balance: toDecimal(before + 25_000_000n),
      currency: 'USD',
    });
  });

  it('the domain path alone also credits once, however many callers race', async () => {
    const { captureTopUp } = await import('../../src/domain/payments/top-ups.ts');
    const { id } = await approvedTopUp('10.00');
    const actor = {
      userId: cast.olivia.id,
      isPlatformAdmin: false,
      organizationId: cast.acme,
      roleName: 'owner',
      permissions: new Set(['billing_view', 'billing_manage'] as const),
      impersonatorUserId: null,
      apiKeyId: null,
      origin: { ip: '192.0.2.1', userAgent: null },
    };
    const results = await Promise.all(Array.from({ length: 20 }, () => captureTopUp(ctx.deps, actor, { id })));
    expect(results.filter((r) => r.credited)).toHaveLength(1);
    const { capture_id } = await payment(id);
    expect(
      (await creditsOf(ctx, cast.acme)).filter((c) => c.idempotency_key === `paypal:capture:${capture_id}`),
    ).toHaveLength(1);
    expect(await receipts(id)).toHaveLength(1);
  });

  it("capturing another organization's top-up is not found, and changes nothing", async () => {
    const { id } = await approvedTopUp('10.00');
    const res = await greta('POST', `/wallet/top-ups/${id}/capture`);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
    expect((await payment(id)).status).toBe('created');
    expect([...emu.captures.values()].some((c) => c.invoiceId === id)).toBe(false);
    const bogus = await greta('POST', '/wallet/top-ups/not-a-uuid/capture');
    expect(bogus.status).toBe(404);
  });

  it('capturing before the buyer approved is refused (409) and credits nothing; after approval it credits', async () => {
    const { id, orderId } = await approvedTopUp('10.00', { approve: false });
    const before = await balanceOf(ctx, cast.acme);
    const early = await olivia('POST', `/wallet/top-ups/${id}/capture`);
    expect(early.status).toBe(409);
    expect(early.body.error.code).toBe('payment_not_approved');
    emu.approve(orderId);
    const later = await olivia('POST', `/wallet/top-ups/${id}/capture`);
    expect(later.body.status).toBe('completed');
    expect(await balanceOf(ctx, cast.acme)).toBe(before + 10_000_000n);
  });

  it('a capture PayPal reports ORDER_ALREADY_CAPTURED is resolved by reading the order, and credited once', async () => {
    const { id } = await approvedTopUp('12.00');
    const before = await balanceOf(ctx, cast.acme);
    emu.inject('already_captured');
    const res = await olivia('POST', `/wallet/top-ups/${id}/capture`);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('completed');
    expect(await balanceOf(ctx, cast.acme)).toBe(before + 12_000_000n);
    expect(emu.requests.some((r) => r.op === 'get_order' && r.status === 200)).toBe(true);
  });

  it('a capture PayPal holds (PENDING) credits nothing, and asking again changes nothing', async () => {
    const { id } = await approvedTopUp('15.00');
    const before = await balanceOf(ctx, cast.acme);
    emu.inject('pending');
    const first = await olivia('POST', `/wallet/top-ups/${id}/capture`);
    const again = await olivia('POST', `/wallet/top-ups/${id}/capture`);
    expect([first.body.status, again.body.status]).toEqual(['pending', 'pending']);
    expect(await balanceOf(ctx, cast.acme)).toBe(before);
    expect(await payment(id)).toMatchObject({
      status: 'pending',
      failure_reason: 'PENDING_REVIEW',
      completed_at: null,
    });
    expect(await receipts(id)).toEqual([]);
  });

  it('a buyer whose payment PayPal declines is told so: the payment is denied and nothing is credited', async () => {
    const { id } = await approvedTopUp('20.00', { approve: 'decline' });
    const before = await balanceOf(ctx, cast.acme);
    const res = await olivia('POST', `/wallet/top-ups/${id}/capture`);
    expect(res.body.status).toBe('denied');
    expect(await balanceOf(ctx, cast.acme)).toBe(before);
    expect(await payment(id)).toMatchObject({ status: 'denied', failure_reason: 'DECLINED' });
  });

  it('PayPal being down is a 503 that says nothing is charged twice, and a retry credits once', async () => {
    const { id } = await approvedTopUp('11.00');
    const before = await balanceOf(ctx, cast.acme);
    emu.inject('server_error', { on: 'capture' });
    const down = await olivia('POST', `/wallet/top-ups/${id}/capture`);
    expect(down.status).toBe(503);
    expect(down.body.error.message).toContain('not be charged twice');
    const retry = await olivia('POST', `/wallet/top-ups/${id}/capture`);
    expect(retry.body.status).toBe('completed');
    expect(await balanceOf(ctx, cast.acme)).toBe(before + 11_000_000n);
  });
});
