import { describe, expect, it } from 'vitest';
import { putSetting } from '../../src/domain/settings/store.ts';
import { createTestContext } from '../helpers/context.ts';
import { signedIn } from '../helpers/people.ts';
import { apiAs, billingCast, nextIp, useBillingWorld } from './helpers.ts';

const w = useBillingWorld();

const paymentCount = async () =>
  Number(
    (
      await w.ctx.db
        .selectFrom('payments')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );
const BAD_AMOUNTS = [
  '-1',
  '0',
  '0.001',
  '1e9',
  '1e2',
  'NaN',
  '10,00',
  '',
  '  ',
  '4.99',
  '1000.01',
  '1000000000',
  '+25',
  '25.',
  '.5',
  '0x10',
  'Infinity',
  '25 USD',
];

describe('starting a top-up', () => {
  it('creates a PayPal order for the organization and answers with where to approve it', async () => {
    const res = await w.olivia('POST', '/wallet/top-ups', { amount: '25.00' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.any(String),
      status: 'created',
      approve_url: expect.stringMatching(new RegExp(`^${w.emu.url}/checkoutnow\\?token=`)),
      amount: '25.00',
      currency: 'USD',
    });
    const order = [...w.emu.orders.values()].find((o) => o.purchaseUnit.invoice_id === res.body.id)!;
    expect(order.purchaseUnit).toMatchObject({
      custom_id: w.cast.acme,
      amount: { currency_code: 'USD', value: '25.00' },
    });
    expect(order.returnUrl).toBe('http://localhost:3000/billing/payment/success');
    expect(order.cancelUrl).toBe('http://localhost:3000/billing/payment/cancel');
  });

  it.each(BAD_AMOUNTS)('refuses the amount %j with 422 and creates nothing', async (amount) => {
    const payments = await paymentCount();
    const orders = w.emu.orders.size;
    const res = await w.olivia('POST', '/wallet/top-ups', { amount });
    expect(res.status).toBe(422);
    expect(res.body.error.fields.amount).toMatch(/amount|Add between/);
    expect(await paymentCount()).toBe(payments);
    expect(w.emu.orders.size).toBe(orders);
  });

  it('refuses amounts that are not strings (a JSON number could be a float)', async () => {
    for (const amount of [25, 25.5, null, true])
      expect((await w.olivia('POST', '/wallet/top-ups', { amount })).status).toBe(422);
  });

  it('the add-funds form answers a bad amount with the form again, the message and 422, and creates nothing', async () => {
    const browser = await signedIn(w.ctx, w.cast.olivia.email, undefined, nextIp());
    await browser.get('/billing');
    const payments = await paymentCount();
    for (const amount of ['-1', '0', '0.001', '1e9', '1e2', 'NaN', '10,00']) {
      const res = await browser.post('/billing/top-ups', { amount });
      expect(res.status, amount).toBe(422);
      const html = await res.text();
      expect(html).toContain('id="add-funds"');
      expect(html).toMatch(/Enter an amount like 25 or 25\.00|Add between 5\.00 and 1000\.00 USD/);
      expect(html).toContain(`value="${amount}"`);
    }
    // An htmx submission gets the form alone back.
    const partial = await browser.post(
      '/billing/top-ups',
      { amount: 'NaN' },
      { headers: { 'hx-request': 'true', 'hx-target': 'add-funds' } },
    );
    expect(partial.status).toBe(422);
    const fragment = (await partial.text()).trim();
    expect(fragment).toMatch(/^<div id="add-funds">[\s\S]*<\/div>$/);
    expect(fragment).not.toContain('<html');
    expect(await paymentCount()).toBe(payments);
  });

  it('the add-funds form sends the buyer to PayPal: 303 for a form, HX-Redirect for htmx', async () => {
    const browser = await signedIn(w.ctx, w.cast.olivia.email, undefined, nextIp());
    await browser.get('/billing');
    const plain = await browser.post('/billing/top-ups', { amount: '50.00' });
    expect(plain.status).toBe(303);
    expect(plain.headers.get('location')).toMatch(new RegExp(`^${w.emu.url}/checkoutnow\\?token=`));
    const htmx = await browser.post(
      '/billing/top-ups',
      { amount: '10.00' },
      { headers: { 'hx-request': 'true', 'hx-target': 'add-funds' } },
    );
    expect(htmx.headers.get('hx-redirect')).toMatch(new RegExp(`^${w.emu.url}/checkoutnow\\?token=`));
  });

  it('uses the limits staff set in the billing settings', async () => {
    await putSetting(w.ctx.db, 'billing', { topUpMin: '2500000', topUpMax: '30000000' }, null, new Date());
    try {
      expect((await w.olivia('POST', '/wallet/top-ups', { amount: '2.50' })).status).toBe(201);
      const over = await w.olivia('POST', '/wallet/top-ups', { amount: '30.01' });
      expect(over.status).toBe(422);
      expect(over.body.error.fields.amount).toBe('Add between 2.50 and 30.00 USD.');
    } finally {
      await w.ctx.db.deleteFrom('platform_settings').where('key', '=', 'billing').execute();
    }
  });

  it('a member who may see billing but not manage it cannot add funds (403), and neither can a viewer', async () => {
    for (const who of [w.cast.mia, w.cast.vic]) {
      const api = await apiAs(w.ctx, who.email);
      expect((await api('POST', '/wallet/top-ups', { amount: '25.00' })).status).toBe(403);
    }
  });

  it('PayPal failing to create the order marks the payment failed and answers 503', async () => {
    w.emu.inject('server_error', { on: 'create_order' });
    const res = await w.olivia('POST', '/wallet/top-ups', { amount: '26.00' });
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('payment_provider_error');
    const last = await w.ctx.db
      .selectFrom('payments')
      .select(['status', 'failure_reason'])
      .orderBy('created_at', 'desc')
      .limit(1)
      .executeTakeFirstOrThrow();
    expect(last).toEqual({ status: 'failed', failure_reason: 'INTERNAL_SERVER_ERROR' });
  });
});

describe('without PayPal', () => {
  it('adding funds answers 503 clearly and creates nothing; the page says so instead of showing the form', async () => {
    const bare = await createTestContext({ EMULATORS_ENABLED: 'false' });
    try {
      const { olivia: o } = await billingCast(bare);
      const api = await apiAs(bare, o.email);
      const res = await api('POST', '/wallet/top-ups', { amount: '25.00' });
      expect(res.status).toBe(503);
      expect(res.body.error).toEqual({
        code: 'payments_unavailable',
        message: 'Adding funds is not available: no payment provider is configured on this platform.',
      });
      expect(
        Number(
          (
            await bare.db
              .selectFrom('payments')
              .select((eb) => eb.fn.countAll().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        ),
      ).toBe(0);
      const browser = await signedIn(bare, o.email, undefined, nextIp());
      const page = await (await browser.get('/billing')).text();
      expect(page).toContain('no payment provider is configured');
      expect(page).not.toContain('Continue to PayPal');
    } finally {
      await bare.close();
    }
  });
});
