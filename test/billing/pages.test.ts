import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { inTransaction } from '../../src/db/index.ts';
import type { LedgerKind } from '../../src/db/types.ts';
import { post } from '../../src/domain/ledger/post.ts';
import type { PayPalEmulator } from '../../src/providers/paypal/emulator/index.ts';
import type { TestBrowser } from '../helpers/browser.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { fundWallet } from '../helpers/money.ts';
import { createPerson, signedIn, uniqueEmail } from '../helpers/people.ts';
import { apiAs, balanceOf, billingCast, billingContext, nextIp } from './helpers.ts';

let ctx: TestContext;
let emu: PayPalEmulator;
let close: () => Promise<void>;
let cast: Awaited<ReturnType<typeof billingCast>>;
let olivia: TestBrowser;

beforeAll(async () => {
  ({ ctx, emu, close } = await billingContext());
  cast = await billingCast(ctx);
  olivia = await signedIn(ctx, cast.olivia.email, undefined, nextIp());
});
afterAll(async () => close());

const browserFor = (email: string) => signedIn(ctx, email, undefined, nextIp());
const text = async (res: Response) => res.text();

/** Usage charged to an organization's wallet the way usage will be (a charge to revenue); returns when it was posted. */
async function charge(orgId: string, kind: LedgerKind, amount: bigint, description: string): Promise<Date> {
  const posted = await inTransaction(ctx.db, async (trx) => {
    const wallet = await trx
      .selectFrom('wallets')
      .select('id')
      .where('organization_id', '=', orgId)
      .executeTakeFirstOrThrow();
    return post(trx, {
      idempotencyKey: `test-charge:${crypto.randomUUID()}`,
      kind,
      organizationId: orgId,
      currency: 'USD',
      description,
      allowNegative: true,
      lines: [
        { walletId: wallet.id, amount: -amount },
        { account: 'vps_revenue', amount },
      ],
    });
  });
  return (
    await ctx.db
      .selectFrom('ledger_transactions')
      .select('created_at')
      .where('id', '=', posted.transactionId)
      .executeTakeFirstOrThrow()
  ).created_at;
}

describe('who sees billing', () => {
  it('a viewer without billing_view gets 403 on every billing page and API, and no Billing link', async () => {
    const vic = await browserFor(cast.vic.email);
    for (const path of ['/billing', '/billing/transactions', `/billing/transactions/${crypto.randomUUID()}`]) {
      expect((await vic.get(path)).status, path).toBe(403);
    }
    expect((await vic.post('/billing/top-ups', { amount: '25.00' })).status).toBe(403);
    expect((await vic.get('/billing/payment/success?token=X')).status).toBe(403);
    const dashboard = await text(await vic.get('/dashboard'));
    expect(dashboard).not.toContain('href="/billing"');
    expect(dashboard).not.toContain('href="/invoices"');
    const api = await apiAs(ctx, cast.vic.email);
    expect((await api('GET', '/wallet')).status).toBe(403);
    expect((await api('GET', '/wallet/transactions')).status).toBe(403);
  });

  it('a member with billing_view sees the balance but no add-funds form, and may not return from PayPal', async () => {
    const mia = await browserFor(cast.mia.email);
    const page = await text(await mia.get('/billing'));
    expect(page).toContain('data-testid="wallet-balance"');
    expect(page).not.toContain('id="add-funds"');
    expect(page).toContain('href="/billing"');
    expect(page).toContain('href="/invoices"');
    expect((await mia.get('/billing/payment/success?token=X')).status).toBe(403);
  });

  it('the owner sees the add-funds form with presets and the limits', async () => {
    const page = await text(await olivia.get('/billing'));
    for (const preset of ['10.00', '25.00', '50.00', '100.00'])
      expect(page).toContain(`name="amount" value="${preset}"`);
    expect(page).toContain('From $5.00 to $1,000.00');
  });
});

describe('adding funds in the browser', () => {
  it('approved on PayPal, the return page captures, shows the new balance and the receipt; reloading it credits nothing more', async () => {
    const before = await balanceOf(ctx, cast.acme);
    const start = await olivia.post('/billing/top-ups', { amount: '25.00' });
    const approveUrl = start.headers.get('location')!;
    const orderId = new URL(approveUrl).searchParams.get('token')!;
    const back = new URL(emu.approve(orderId)!);
    expect(back.pathname).toBe('/billing/payment/success');

    const res = await olivia.get(back.pathname + back.search);
    expect(res.status).toBe(200);
    const html = await text(res);
    expect(html).toContain('Payment complete');
    expect(html).toContain('$25.00 was added to your wallet.');
    expect(html).toMatch(
      new RegExp(`data-testid="new-balance">\\$${Number((before + 25_000_000n) / 1_000_000n)}\\.00<`),
    );
    const receipt = await ctx.db
      .selectFrom('invoices as i')
      .innerJoin('payments as p', 'p.id', 'i.payment_id')
      .select(['i.id', 'i.number'])
      .where('p.provider_order_id', '=', orderId)
      .executeTakeFirstOrThrow();
    expect(html).toContain(`href="/invoices/${receipt.id}/pdf"`);
    expect(html).toContain(receipt.number);

    await olivia.get(back.pathname + back.search);
    expect(await balanceOf(ctx, cast.acme)).toBe(before + 25_000_000n);
    // The balance on /billing agrees.
    expect(await text(await olivia.get('/billing'))).toContain(
      `data-testid="wallet-balance">$${Number((before + 25_000_000n) / 1_000_000n)}.00<`,
    );
  });

  it('cancelled on PayPal, the cancel page says nothing was charged and the payment is cancelled', async () => {
    const start = await olivia.post('/billing/top-ups', { amount: '10.00' });
    const orderId = new URL(start.headers.get('location')!).searchParams.get('token')!;
    const back = new URL(emu.cancel(orderId)!);
    const html = await text(await olivia.get(back.pathname + back.search));
    expect(html).toContain('Payment cancelled');
    expect(html).toContain('Nothing was charged.');
    expect(
      (
        await ctx.db
          .selectFrom('payments')
          .select('status')
          .where('provider_order_id', '=', orderId)
          .executeTakeFirstOrThrow()
      ).status,
    ).toBe('cancelled');
  });

  it('declined on PayPal, the return page says so and the balance is unchanged', async () => {
    const before = await balanceOf(ctx, cast.acme);
    const start = await olivia.post('/billing/top-ups', { amount: '10.00' });
    const orderId = new URL(start.headers.get('location')!).searchParams.get('token')!;
    const back = new URL(emu.decline(orderId)!);
    expect(await text(await olivia.get(back.pathname + back.search))).toContain('Payment declined');
    expect(await balanceOf(ctx, cast.acme)).toBe(before);
  });

  it("another organization's order id on the return page is not found", async () => {
    const greta = await browserFor(cast.greta.email);
    const start = await olivia.post('/billing/top-ups', { amount: '10.00' });
    const orderId = new URL(start.headers.get('location')!).searchParams.get('token')!;
    emu.approve(orderId);
    expect((await greta.get(`/billing/payment/success?token=${orderId}`)).status).toBe(404);
    expect(
      (
        await ctx.db
          .selectFrom('payments')
          .select('status')
          .where('provider_order_id', '=', orderId)
          .executeTakeFirstOrThrow()
      ).status,
    ).toBe('created');
  });
});

describe('transactions', () => {
  /**
   * Gail's organization with a history of its own: 52 credits of 1.00, 2.00 … 52.00 (1,378.00),
   * then a 3.50 server charge. Returns her browser and when the charge was posted.
   */
  async function gailWithHistory() {
    const gail = await createPerson(ctx, 'Gail Globex', { email: uniqueEmail('Gail Globex'), verified: true });
    const org = gail.organization.id;
    for (let i = 1; i <= 52; i++) await fundWallet(ctx.db, org, BigInt(i) * 1_000_000n);
    const chargedAt = await charge(org, 'vps_charge', 3_500_000n, 'Server web-1, one hour');
    return { org, email: gail.email, chargedAt, browser: await browserFor(gail.email) };
  }

  it('lists every line with the balance it left, filters by type and day, and pages through', async () => {
    const gail = await gailWithHistory();
    const first = await text(await gail.browser.get('/billing/transactions'));
    const balances = [...first.matchAll(/data-label="Balance">\$([\d,.]+)</g)].map((m) => m[1]);
    expect(balances).toHaveLength(50);
    // Newest first: 1+…+52 = 1378, minus the charge.
    expect(balances.slice(0, 3)).toEqual(['1,374.50', '1,378.00', '1,326.00']);
    const older = /href="(\/billing\/transactions\?cursor=\d+)"/.exec(first)![1]!;
    const second = await text(await gail.browser.get(older));
    expect([...second.matchAll(/data-label="Balance">\$([\d,.]+)</g)].map((m) => m[1])).toEqual([
      '6.00',
      '3.00',
      '1.00',
    ]);

    const charges = await text(await gail.browser.get('/billing/transactions?kind=vps_charge'));
    expect([...charges.matchAll(/data-label="Type">([^<]+)</g)].map((m) => m[1])).toEqual(['Server charge']);
    const future = await text(await gail.browser.get('/billing/transactions?from=2099-01-01&to=2099-01-31'));
    expect(future).toContain('No transactions match these filters.');
    const bad = await gail.browser.get('/billing/transactions?from=yesterday');
    expect(bad.status).toBe(422);
  });

  it('shows one transaction in detail, and another organization’s transaction is not found', async () => {
    const gail = await gailWithHistory();
    const chargeTx = await ctx.db
      .selectFrom('ledger_transactions')
      .select('id')
      .where('organization_id', '=', gail.org)
      .where('kind', '=', 'vps_charge')
      .executeTakeFirstOrThrow();
    const html = await text(await gail.browser.get(`/billing/transactions/${chargeTx.id}`));
    expect(html).toContain('Server web-1, one hour');
    expect(html).toContain('-$3.50');
    expect((await olivia.get(`/billing/transactions/${chargeTx.id}`)).status).toBe(404);
    expect((await olivia.get('/billing/transactions/not-a-uuid')).status).toBe(404);
  });

  it('the summary and the 30-day chart count usage, not top-ups', async () => {
    const gail = await gailWithHistory();
    // "This month" and "today" are the test clock's: set to when the charge was posted.
    const was = ctx.clock.now();
    ctx.clock.set(gail.chargedAt);
    onTestFinished(() => ctx.clock.set(was));
    const html = await text(await gail.browser.get('/billing'));
    expect(html).toMatch(/Spent this month<\/h2>\s*<p[^>]*>\$3\.50</);
    expect(html).toContain('data-testid="spend-chart"');
    expect(html).toMatch(/<rect x="\d+(\.\d+)?" y="16" width="14" height="120"/);
    expect(html).not.toMatch(/style="/);
    const api = await apiAs(ctx, gail.email);
    expect((await api('GET', '/wallet')).body).toMatchObject({
      organization_id: gail.org,
      balance: '1374.50',
      currency: 'USD',
      spent_this_month: '3.50',
      spent_all_time: '3.50',
    });
    const list = await api('GET', '/wallet/transactions?limit=2');
    expect(list.body).toMatchObject({
      has_more: true,
      data: [
        { kind: 'vps_charge', amount: '-3.50', balance_after: '1374.50' },
        { kind: 'adjustment', amount: '52.00', balance_after: '1378.00' },
      ],
    });
    const next = await api('GET', `/wallet/transactions?limit=2&cursor=${list.body.next_cursor}`);
    expect(next.body.data.map((t: { balance_after: string }) => t.balance_after)).toEqual(['1326.00', '1275.00']);
  });
});

describe('payments configuration', () => {
  it('refuses half a set of PayPal credentials, and live credentials in production without a webhook id', async () => {
    const { loadConfig } = await import('../../src/config.ts');
    const base = { NODE_ENV: 'test', DATABASE_URL: ctx.url };
    expect(() => loadConfig({ ...base, PAYPAL_CLIENT_ID: 'id' })).toThrow(
      /PAYPAL_CLIENT_ID \/ PAYPAL_CLIENT_SECRET: set both or neither/,
    );
    const production = {
      NODE_ENV: 'production',
      ENCRYPTION_KEY: 'a'.repeat(64),
      MAIL_TRANSPORT: 'outbox',
      PAYPAL_CLIENT_ID: 'id',
      PAYPAL_CLIENT_SECRET: 's',
    };
    expect(() => loadConfig(production)).toThrow(/PAYPAL_WEBHOOK_ID: required in production/);
    expect(loadConfig({ ...production, PAYPAL_WEBHOOK_ID: 'WH-1' }).PAYPAL_BASE_URL).toBe(
      'https://api-m.sandbox.paypal.com',
    );
  });

  it('with real PayPal credentials, forms may lead to PayPal’s checkout (CSP form-action)', async () => {
    const live = await createTestContext({
      PAYPAL_CLIENT_ID: 'id',
      PAYPAL_CLIENT_SECRET: 'secret',
      PAYPAL_WEBHOOK_ID: 'WH-1',
    });
    try {
      const csp = (await live.app.request('/login')).headers.get('content-security-policy')!;
      expect(csp).toContain("form-action 'self' https://www.paypal.com https://www.sandbox.paypal.com");
    } finally {
      await live.close();
    }
    expect((await ctx.app.request('/login')).headers.get('content-security-policy')).toContain("form-action 'self';");
  });

  it('in demo mode the emulator is served in-process under /_emulators/paypal, and the billing page says no real money moves', async () => {
    const demo = await createTestContext({}, { paypalEmulator: true });
    try {
      const page = await demo.app.request('/_emulators/paypal/checkoutnow?token=NOPE');
      expect(page.status).toBe(404);
      expect(await page.text()).toContain('PayPal emulator — no real money moves');
      const { olivia: o } = await billingCast(demo);
      const html = await text(await (await signedIn(demo, o.email, undefined, nextIp())).get('/billing'));
      expect(html).toContain('PayPal emulator — no real money');
    } finally {
      await demo.close();
    }
  });
});
