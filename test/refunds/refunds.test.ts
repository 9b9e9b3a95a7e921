import { beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/domain/access/actor.ts';
import { refundPayment } from '../../src/domain/payments/refunds.ts';
import { syncRefund } from '../../src/domain/payments/refund-settlement.ts';
import { apiClient, tokenFor } from '../api/client.ts';
import { keyFor } from '../api-keys/helpers.ts';
import { balanceOf, deliver, nextIp, orderOf, sent, useBillingWorld } from '../billing/helpers.ts';
import type { TestBrowser } from '../helpers/browser.ts';
import { fundWallet } from '../helpers/money.ts';
import { createPerson, PASSWORD, signedIn } from '../helpers/people.ts';

const w = useBillingWorld();
let ada: Awaited<ReturnType<typeof createPerson>>;
let staff: Actor;
let browser: TestBrowser;

beforeAll(async () => {
  ada = await createPerson(w.ctx, 'Ada Admin', { isAdmin: true, verified: true });
  staff = {
    userId: ada.id,
    isPlatformAdmin: true,
    organizationId: null,
    roleName: null,
    permissions: new Set(),
    impersonatorUserId: null,
    apiKeyId: null,
    origin: { ip: '192.0.2.9', userAgent: null },
  };
  browser = await signedIn(w.ctx, ada.email, PASSWORD, '192.0.2.10');
});

/** Olivia tops up `amount` through PayPal: approved by the buyer and captured, so credited. */
async function paidTopUp(amount: string): Promise<string> {
  const res = await w.olivia('POST', '/wallet/top-ups', { amount });
  expect(res.status).toBe(201);
  w.emu.approve(await orderOf(w.ctx, res.body.id));
  const cap = await w.olivia('POST', `/wallet/top-ups/${res.body.id}/capture`);
  expect(cap.body.status).toBe('completed');
  return res.body.id as string;
}

const payment = (id: string) =>
  w.ctx.db.selectFrom('payments').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const refundsOf = (id: string) =>
  w.ctx.db.selectFrom('refunds').selectAll().where('payment_id', '=', id).orderBy('created_at').execute();
const paypalRefundsOf = async (paymentId: string) => {
  const { capture_id } = await payment(paymentId);
  return [...w.emu.refunds.values()].filter((r) => r.captureId === capture_id);
};
const refund = (
  paymentId: string,
  amount: string,
  destination: 'paypal' | 'wallet' = 'paypal',
  extra: Record<string, string> = {},
) => refundPayment(w.ctx.deps, staff, { paymentId, amount, destination, reason: 'Customer asked', ...extra });

describe('refunding a payment to PayPal', () => {
  it('refunds part, debits the wallet, completes with PayPal, and is audited with the admin and organization', async () => {
    const id = await paidTopUp('30.00');
    const before = await balanceOf(w.ctx, w.cast.acme);
    const { refund: r } = await refund(id, '12.50');
    expect(r).toMatchObject({
      status: 'completed',
      amount: 12_500_000n,
      destination: 'paypal',
      provider_refund_id: expect.any(String),
    });
    expect(await balanceOf(w.ctx, w.cast.acme)).toBe(before - 12_500_000n);
    expect(await payment(id)).toMatchObject({ status: 'completed', refunded_amount: 12_500_000n });
    expect((await paypalRefundsOf(id)).map((x) => x.amountMinor)).toEqual([1250n]);
    const audit = await w.ctx.db
      .selectFrom('activity_log')
      .selectAll()
      .where('action', '=', 'admin.refund_issued')
      .where('target_id', '=', id)
      .executeTakeFirstOrThrow();
    expect(audit).toMatchObject({ actor_user_id: ada.id, organization_id: w.cast.acme, target_type: 'payment' });
    expect(audit.details).toMatchObject({ refund_id: r.id, amount: '12.50', destination: 'paypal' });
  });

  it('refuses more than the captured amount, and a second full refund', async () => {
    const id = await paidTopUp('20.00');
    await expect(refund(id, '20.01')).rejects.toMatchObject({ status: 422, code: 'refund_exceeds_payment' });
    expect((await refund(id, '20.00')).refund.status).toBe('completed');
    expect((await payment(id)).status).toBe('refunded');
    await expect(refund(id, '20.00')).rejects.toMatchObject({ status: 422 });
    await expect(refund(id, '0.01', 'wallet')).rejects.toMatchObject({ status: 422 });
    expect(await refundsOf(id)).toHaveLength(1);
    expect(await paypalRefundsOf(id)).toHaveLength(1);
  });

  it('ten concurrent full refunds of one capture produce one refund', async () => {
    const id = await paidTopUp('15.00');
    const before = await balanceOf(w.ctx, w.cast.acme);
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => refund(id, '15.00')));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ status: 422 });
    expect(await refundsOf(id)).toHaveLength(1);
    expect(await paypalRefundsOf(id)).toHaveLength(1);
    expect(await balanceOf(w.ctx, w.cast.acme)).toBe(before - 15_000_000n);
  });

  it('ten concurrent requests with the same request id all answer with the one refund', async () => {
    const id = await paidTopUp('10.00');
    const requestId = crypto.randomUUID();
    const results = await Promise.all(Array.from({ length: 10 }, () => refund(id, '4.00', 'paypal', { requestId })));
    expect(new Set(results.map((r) => r.refund.id)).size).toBe(1);
    expect(results.filter((r) => !r.existing)).toHaveLength(1);
    expect(await refundsOf(id)).toHaveLength(1);
    expect(await paypalRefundsOf(id)).toHaveLength(1);
    expect((await payment(id)).refunded_amount).toBe(4_000_000n);
  });

  it('stays pending while PayPal holds it, and completes once PayPal does', async () => {
    const id = await paidTopUp('10.00');
    w.emu.inject('refund_pending');
    const { refund: r } = await refund(id, '10.00');
    expect(r).toMatchObject({ status: 'pending', provider_refund_id: expect.any(String) });
    expect((await payment(id)).refunded_amount).toBe(0n);
    // Pending counts against the capture: nothing more can be refunded meanwhile.
    await expect(refund(id, '0.01')).rejects.toMatchObject({ status: 422 });
    expect((await syncRefund(w.ctx.deps, r.id)).status).toBe('pending');
    w.emu.completeRefund(r.provider_refund_id!);
    expect((await syncRefund(w.ctx.deps, r.id)).status).toBe('completed');
    expect(await syncRefund(w.ctx.deps, r.id)).toMatchObject({ status: 'completed' });
    expect(await payment(id)).toMatchObject({ status: 'refunded', refunded_amount: 10_000_000n });
  });

  it("PayPal's refund notice completes our pending refund without taking the money a second time", async () => {
    const id = await paidTopUp('12.00');
    const org = (await payment(id)).organization_id;
    w.emu.inject('refund_pending');
    const { refund: r } = await refund(id, '12.00');
    const before = await balanceOf(w.ctx, org);
    w.emu.completeRefund(r.provider_refund_id!);
    await w.emu.settle();
    const notices = sent(w.emu, 'PAYMENT.CAPTURE.REFUNDED').filter((x) => x.body.includes(r.provider_refund_id!));
    expect(notices.length).toBeGreaterThan(0);
    for (const notice of notices) expect((await deliver(w.ctx, notice)).status).toBe(200);
    expect((await refundsOf(id))[0]).toMatchObject({ status: 'completed' });
    expect(await balanceOf(w.ctx, org)).toBe(before);
    expect(await payment(id)).toMatchObject({ status: 'refunded', refunded_amount: 12_000_000n });
  });

  it('a final PayPal refusal fails the refund and puts the money back in the wallet', async () => {
    const id = await paidTopUp('10.00');
    const before = await balanceOf(w.ctx, w.cast.acme);
    w.emu.inject({ error: { status: 422, issue: 'REFUND_NOT_ALLOWED' } }, { on: 'refund' });
    const { refund: r } = await refund(id, '6.00');
    expect(r).toMatchObject({ status: 'failed', failure_reason: expect.stringContaining('REFUND_NOT_ALLOWED') });
    expect(await balanceOf(w.ctx, w.cast.acme)).toBe(before);
    const keys = await w.ctx.db
      .selectFrom('ledger_transactions')
      .select('idempotency_key')
      .where('idempotency_key', 'in', [`refund:${r.id}`, `refund-reversal:${r.id}`])
      .execute();
    expect(keys).toHaveLength(2);
    expect((await payment(id)).refunded_amount).toBe(0n);
    expect(
      await w.ctx.db
        .selectFrom('activity_log')
        .select('id')
        .where('action', '=', 'admin.refund_failed')
        .where('target_id', '=', id)
        .execute(),
    ).toHaveLength(1);
    // A failed refund no longer counts: the full amount can be refunded now.
    expect((await refund(id, '10.00')).refund.status).toBe('completed');
  });

  it('when PayPal does not answer the refund stays pending, and retrying with the same request id refunds once', async () => {
    const id = await paidTopUp('10.00');
    const before = await balanceOf(w.ctx, w.cast.acme);
    // PayPal makes the refund, then the connection drops before we hear about it.
    w.emu.inject('connection_lost', { on: 'refund' });
    const { refund: r } = await refund(id, '5.00');
    expect(r).toMatchObject({ status: 'pending', provider_refund_id: null });
    expect(await balanceOf(w.ctx, w.cast.acme)).toBe(before - 5_000_000n);
    const again = await syncRefund(w.ctx.deps, r.id);
    expect(again.status).toBe('completed');
    expect(await paypalRefundsOf(id)).toHaveLength(1);
    expect((await payment(id)).refunded_amount).toBe(5_000_000n);
  });

  it('is refused (422) when the wallet no longer holds the money, and changes nothing', async () => {
    const id = await paidTopUp('10.00');
    const balance = await balanceOf(w.ctx, w.cast.acme);
    await fundWallet(w.ctx.db, w.cast.acme, -(balance - 3_000_000n)); // spent all but 3.00
    await expect(refund(id, '5.00')).rejects.toMatchObject({
      status: 422,
      code: 'insufficient_funds',
      message: expect.stringContaining('wallet'),
    });
    expect(await balanceOf(w.ctx, w.cast.acme)).toBe(3_000_000n);
    expect(await refundsOf(id)).toHaveLength(0);
    expect(await paypalRefundsOf(id)).toHaveLength(0);
    expect((await refund(id, '3.00')).refund.status).toBe('completed');
    expect(await balanceOf(w.ctx, w.cast.acme)).toBe(0n);
    await fundWallet(w.ctx.db, w.cast.acme, 100_000_000n);
  });
});

describe('refunding as wallet credit', () => {
  it('credits the wallet at once, leaves PayPal alone, and counts against the payment', async () => {
    const id = await paidTopUp('10.00');
    const before = await balanceOf(w.ctx, w.cast.acme);
    const { refund: r } = await refund(id, '4.00', 'wallet');
    expect(r).toMatchObject({ status: 'completed', destination: 'wallet', provider_refund_id: null });
    expect(await balanceOf(w.ctx, w.cast.acme)).toBe(before + 4_000_000n);
    expect(await payment(id)).toMatchObject({ status: 'completed', refunded_amount: 0n });
    expect(await paypalRefundsOf(id)).toHaveLength(0);
    await expect(refund(id, '6.01')).rejects.toMatchObject({ status: 422, code: 'refund_exceeds_payment' });
    expect((await refund(id, '6.00')).refund.status).toBe('completed');
    await expect(refund(id, '0.01', 'wallet')).rejects.toMatchObject({ status: 422 });
  });
});

describe('who may refund', () => {
  it('refuses anyone but platform staff, and bad input', async () => {
    const id = await paidTopUp('10.00');
    const owner: Actor = {
      ...staff,
      userId: w.cast.olivia.id,
      isPlatformAdmin: false,
      organizationId: w.cast.acme,
      roleName: 'owner',
    };
    await expect(
      refundPayment(w.ctx.deps, owner, { paymentId: id, amount: '1.00', destination: 'wallet', reason: 'x' }),
    ).rejects.toMatchObject({ status: 403 });
    await expect(refund(id, '1.001')).rejects.toMatchObject({ status: 422, fields: { amount: expect.any(String) } });
    await expect(refund(id, '0')).rejects.toMatchObject({ status: 422 });
    await expect(refund(id, '1.00', 'paypal', { reason: ' ' })).rejects.toMatchObject({
      status: 422,
      fields: { reason: expect.any(String) },
    });
    await expect(refund('00000000-0000-4000-8000-000000000000', '1.00')).rejects.toMatchObject({ status: 404 });
    expect(await refundsOf(id)).toHaveLength(0);
  });
});

describe('the admin payment page', () => {
  it('shows the payment and refunds; the form refunds and redirects with a flash; bad input is 422 with messages', async () => {
    const id = await paidTopUp('10.00');
    expect((await browser.get(`/admin/billing/payments/${id}`)).status).toBe(200);
    expect(browser.lastHtml).toContain(`href="/admin/organizations/${w.cast.acme}"`);
    expect(browser.lastHtml).toContain((await payment(id)).capture_id!);
    const over = await browser.post(`/admin/billing/payments/${id}/refunds`, {
      amount: '11.00',
      destination: 'paypal',
      reason: 'Too much',
    });
    expect(over.status).toBe(422);
    expect(await over.text()).toContain('At most 10.00 USD');
    const ok = await browser.post(`/admin/billing/payments/${id}/refunds`, {
      amount: '2.00',
      destination: 'paypal',
      reason: 'Goodwill',
    });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe(`/admin/billing/payments/${id}`);
    await browser.get(`/admin/billing/payments/${id}`);
    expect(browser.lastHtml).toContain('Refunded 2.00 USD to PayPal.');
    expect(browser.lastHtml).toContain('Goodwill');
    expect((await refundsOf(id)).map((r) => r.status)).toEqual(['completed']);
  });

  it('"Check with PayPal" completes a pending refund once PayPal has', async () => {
    const id = await paidTopUp('10.00');
    w.emu.inject('refund_pending');
    const { refund: r } = await refund(id, '1.00');
    await browser.get(`/admin/billing/payments/${id}`);
    expect(browser.lastHtml).toContain(`/refunds/${r.id}/sync`);
    expect((await browser.post(`/admin/billing/payments/${id}/refunds/${r.id}/sync`)).status).toBe(303);
    expect((await refundsOf(id))[0]!.status).toBe('pending');
    w.emu.completeRefund(r.provider_refund_id!);
    expect((await browser.post(`/admin/billing/payments/${id}/refunds/${r.id}/sync`)).status).toBe(303);
    expect((await refundsOf(id))[0]!.status).toBe('completed');
    expect((await payment(id)).refunded_amount).toBe(1_000_000n);
    const other = await paidTopUp('10.00');
    expect((await browser.post(`/admin/billing/payments/${other}/refunds/${r.id}/sync`)).status).toBe(404);
  });

  it('is not there for customers', async () => {
    const id = await paidTopUp('10.00');
    const customer = await signedIn(w.ctx, w.cast.olivia.email, PASSWORD, nextIp());
    expect((await customer.get(`/admin/billing/payments/${id}`)).status).toBe(404);
    expect(
      (
        await customer.post(`/admin/billing/payments/${id}/refunds`, {
          amount: '1.00',
          destination: 'wallet',
          reason: 'x',
        })
      ).status,
    ).toBe(404);
    expect(await refundsOf(id)).toHaveLength(0);
  });
});

describe('POST /api/v1/admin/refunds', () => {
  it('refunds for a platform admin access token, once per Idempotency-Key; customers and API keys are refused', async () => {
    const id = await paidTopUp('10.00');
    const ip = nextIp();
    const call = apiClient(w.ctx, ip);
    const token = await tokenFor(w.ctx, ada.email, ip);
    const body = { payment_id: id, amount: '3.00', destination: 'paypal', reason: 'API refund' };
    const headers = { 'idempotency-key': crypto.randomUUID() };
    const first = await call('POST', '/admin/refunds', { token, body, headers });
    expect(first.status).toBe(201);
    expect(first.body).toEqual({
      id: expect.any(String),
      status: 'completed',
      amount: '3.00',
      destination: 'paypal',
      currency: 'USD',
    });
    const replay = await call('POST', '/admin/refunds', { token, body, headers });
    expect(replay.status).toBe(201);
    expect(replay.body.id).toBe(first.body.id);
    expect(await refundsOf(id)).toHaveLength(1);

    const over = await call('POST', '/admin/refunds', { token, body: { ...body, amount: '7.01' } });
    expect(over.status).toBe(422);
    expect(over.body.error.code).toBe('refund_exceeds_payment');

    expect((await w.olivia('POST', '/admin/refunds', body)).status).toBe(404);
    const { key } = await keyFor(w.ctx, ada.email, ip, {
      organization_id: ada.organization.id,
      permissions: ['billing_view', 'billing_manage'],
    });
    expect((await call('POST', '/admin/refunds', { token: key, body })).status).toBe(404);
    expect(await refundsOf(id)).toHaveLength(1);
  });
});
