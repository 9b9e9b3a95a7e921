import { describe, expect, it } from 'vitest';
import { createPerson, PASSWORD } from '../test/helpers/people.ts';
import { expectNoProblems, openPage, screenshot, useLiveApp } from './helpers.ts';

// Demo wiring: PayPal is the emulator the app serves itself, under /_emulators/paypal.
const app = useLiveApp({}, { paypalEmulator: true });

describe('billing', () => {
  it('Olivia adds $25 with PayPal: she approves on the emulator, comes back credited, and downloads the receipt', async () => {
    const olivia = await createPerson(app.live.ctx, 'Olivia Owner', { verified: true });
    const watch = await openPage(app.browser);
    const { page } = watch;

    await page.goto(`${app.live.origin}/login`);
    await page.fill('#f-email', olivia.email);
    await page.fill('#f-password', PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${app.live.origin}/dashboard`);

    await page.getByRole('navigation', { name: 'Portal' }).getByRole('link', { name: 'Billing', exact: true }).click();
    await page.waitForURL(`${app.live.origin}/billing`);
    expect(await page.getByTestId('wallet-balance').textContent()).toBe('$0.00');
    expect(await page.getByTestId('paypal-emulator').textContent()).toBe('PayPal emulator — no real money');

    // Add funds → the approval page (the emulator, same origin), which says what it is.
    await page.getByRole('button', { name: 'Add $25.00' }).click();
    await page.waitForURL(new RegExp(`^${app.live.origin}/_emulators/paypal/checkoutnow\\?token=`));
    expect(await page.getByRole('alert').textContent()).toBe('PayPal emulator — no real money moves');
    expect(await page.locator('.amount').textContent()).toBe('25.00 USD');
    await screenshot(page, 'billing-approve');
    await page.getByRole('button', { name: 'Approve' }).click();

    // Back on SkyPanel: captured, credited, receipt issued.
    await page.waitForURL(new RegExp(`^${app.live.origin}/billing/payment/success\\?token=`));
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Payment complete');
    expect(await page.getByTestId('new-balance').textContent()).toBe('$25.00');
    await screenshot(page, 'billing-success');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download PDF' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^INV-\d{4}-\d{6}\.pdf$/);
    const pdf = await new Promise<Buffer>((resolve, reject) => {
      void download.createReadStream().then((stream) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => resolve(Buffer.concat(chunks)));
        stream.on('error', reject);
      }, reject);
    });
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');

    // The billing page shows the new balance, the top-up in the summary and the transactions.
    await page.getByRole('link', { name: 'Back to billing' }).click();
    await page.waitForURL(`${app.live.origin}/billing`);
    expect(await page.getByTestId('wallet-balance').textContent()).toBe('$25.00');
    expect(await page.getByRole('row').filter({ hasText: 'Top-up' }).first().textContent()).toContain('+$25.00');
    await screenshot(page, 'billing-page');

    // PayPal's own notices (the emulator's signed webhooks) arrived too, and changed nothing more.
    const deliveries = () =>
      app.live.ctx.db.selectFrom('webhook_deliveries').select(['event_type', 'verified', 'outcome']).execute();
    await expect
      .poll(async () => (await deliveries()).map((d) => d.event_type).sort())
      .toEqual(['CHECKOUT.ORDER.APPROVED', 'PAYMENT.CAPTURE.COMPLETED']);
    expect(
      (await deliveries()).every((d) => d.verified && (d.outcome === 'processed' || d.outcome === 'ignored')),
    ).toBe(true);
    const wallet = await app.live.ctx.db
      .selectFrom('wallets')
      .select('balance')
      .where('organization_id', '=', olivia.organization.id)
      .executeTakeFirstOrThrow();
    expect(wallet.balance).toBe(25_000_000n);

    expectNoProblems(watch);
    await watch.context.close();
  });
});
