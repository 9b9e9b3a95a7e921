import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decideFraudCheck } from '../../src/domain/fraud/review.ts';
import { createPayPalClient } from '../../src/providers/paypal/client.ts';
import {
  startFraudLabsProEmulator,
  type FraudLabsProEmulator,
} from '../../src/providers/fraudlabspro/emulator/index.ts';
import { startPayPalEmulator, type PayPalEmulator } from '../../src/providers/paypal/emulator/index.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createPerson, signedIn } from '../helpers/people.ts';
import { DEFAULT_FRAUD_SETTINGS, setFraudSettings, staff } from '../fraud/helpers.ts';
import { apiAs, billingCast, nextIp } from './helpers.ts';

/**
 * Top-ups screened by FraudLabs Pro before anything is created (its emulator scores amounts
 * ending in .66 as "review" and .88 as "reject"), with PayPal's emulator behind.
 */
let ctx: TestContext;
let flp: FraudLabsProEmulator;
let emu: PayPalEmulator;
let cast: Awaited<ReturnType<typeof billingCast>>;
let olivia: Awaited<ReturnType<typeof apiAs>>;

beforeAll(async () => {
  flp = await startFraudLabsProEmulator();
  emu = await startPayPalEmulator();
  const paypal = createPayPalClient({ baseUrl: emu.url, clientId: emu.clientId, clientSecret: emu.clientSecret });
  ctx = await createTestContext(
    {
      FRAUDLABSPRO_API_KEY: 'flp-test-key-0123456789',
      FRAUDLABSPRO_BASE_URL: flp.url,
      RATE_LIMIT_AUTH_ACTIONS: '10000',
    },
    { paypal },
  );
  await setFraudSettings(ctx, DEFAULT_FRAUD_SETTINGS);
  cast = await billingCast(ctx);
  olivia = await apiAs(ctx, cast.olivia.email);
});
afterAll(async () => {
  await ctx?.close();
  await flp?.close();
  await emu?.close();
});

const payments = () =>
  ctx.db.selectFrom('payments').selectAll().where('organization_id', '=', cast.acme).orderBy('created_at').execute();

describe('a screened top-up', () => {
  it('that screening approves goes to PayPal, with its check recorded on the payment', async () => {
    const res = await olivia('POST', '/wallet/top-ups', { amount: '25.00' });
    expect(res.body.status).toBe('created');
    const payment = (await payments()).find((p) => p.id === res.body.id)!;
    expect(payment.fraud_check_id).toEqual(expect.any(String));
  });

  it('that screening rejects is refused with 422 and a clear message, and creates no payment and no order', async () => {
    const before = (await payments()).length;
    const orders = emu.orders.size;
    const res = await olivia('POST', '/wallet/top-ups', { amount: '25.88' });
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({
      code: 'payment_refused',
      message: expect.stringContaining('We could not accept this payment'),
    });
    expect((await payments()).length).toBe(before);
    expect(emu.orders.size).toBe(orders);
  });

  it('that screening holds for review creates a held payment and no PayPal order; the page says it is under review', async () => {
    const orders = emu.orders.size;
    const browser = await signedIn(ctx, cast.olivia.email, undefined, nextIp());
    await browser.get('/billing');
    const res = await browser.post('/billing/top-ups', { amount: '40.66' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/billing');
    const held = (await payments()).at(-1)!;
    expect(held).toMatchObject({ status: 'held', amount: 40_660_000n, provider_order_id: null });
    expect(emu.orders.size).toBe(orders);
    const page = await (await browser.get('/billing')).text();
    expect(page).toContain('is being reviewed');
    expect(page).toContain('Under review; nothing charged yet');
    // Continuing before staff decided is refused, politely.
    const early = await browser.post(`/billing/top-ups/${held.id}/checkout`);
    expect(early.headers.get('location')).toBe('/billing');
    expect((await payments()).at(-1)!.status).toBe('held');
  });

  it('held for review, then allowed by staff, continues to PayPal once', async () => {
    const res = await olivia('POST', '/wallet/top-ups', { amount: '50.66' });
    expect(res.body).toMatchObject({ status: 'held', approve_url: null });
    const held = (await payments()).find((p) => p.id === res.body.id)!;
    const admin = await createTestAdmin();
    await decideFraudCheck(ctx.deps, staff(admin), { checkId: held.fraud_check_id!, decision: 'allow' });

    const browser = await signedIn(ctx, cast.olivia.email, undefined, nextIp());
    expect(await (await browser.get('/billing')).text()).toContain('Approved: continue to PayPal');
    const [first, second] = await Promise.all([
      browser.post(`/billing/top-ups/${held.id}/checkout`),
      browser.post(`/billing/top-ups/${held.id}/checkout`),
    ]);
    const locations = [first!.headers.get('location'), second!.headers.get('location')];
    expect(locations.filter((l) => l?.startsWith(`${emu.url}/checkoutnow?token=`))).toHaveLength(1);
    expect(locations).toContain('/billing');
    const after = (await payments()).find((p) => p.id === held.id)!;
    expect(after).toMatchObject({ status: 'created', provider_order_id: expect.any(String) });
    expect([...emu.orders.values()].filter((o) => o.purchaseUnit.invoice_id === held.id)).toHaveLength(1);
  });

  it('held for review and blocked by staff cannot continue', async () => {
    const res = await olivia('POST', '/wallet/top-ups', { amount: '60.66' });
    const held = (await payments()).find((p) => p.id === res.body.id)!;
    await decideFraudCheck(ctx.deps, staff(await createTestAdmin()), {
      checkId: held.fraud_check_id!,
      decision: 'block',
    });
    const browser = await signedIn(ctx, cast.olivia.email, undefined, nextIp());
    await browser.get('/billing');
    const res2 = await browser.post(`/billing/top-ups/${held.id}/checkout`);
    expect(res2.headers.get('location')).toBe('/billing');
    expect((await payments()).find((p) => p.id === held.id)!.status).toBe('cancelled');
  });
});

let adminId: string | null = null;
/** Ada, platform staff who decides held checks. */
async function createTestAdmin() {
  adminId ??= (await createPerson(ctx, 'Ada Admin', { isAdmin: true, verified: true })).id;
  return adminId;
}
