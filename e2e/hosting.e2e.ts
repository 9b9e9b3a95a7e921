import { beforeAll, describe, expect, it } from 'vitest';
import { registerJobs } from '../jobs/index.ts';
import { seedDemoHosting } from '../src/domain/hosting/demo.ts';
import { createPerson } from '../test/helpers/people.ts';
import { expectNoProblems, openPage, screenshot, signIn, useLiveApp } from './helpers.ts';

// Web hosting on the demo integration `npm start` seeds: the Enhance emulator the app serves
// in process (and at /_emulators/enhance for the browser's side of a control panel sign-in),
// plans priced 5.00 / 12.00 / 25.00. The app's workers run, so a purchase the panel is slow
// with still finishes by itself.
const app = useLiveApp({}, { paypalEmulator: true });
beforeAll(async () => {
  expect(await seedDemoHosting(app.live.ctx.deps)).toBe(true);
  await registerJobs(app.live.ctx.deps);
});

describe('web hosting', () => {
  it('Hana funds her wallet, buys hosting for her domain, sees it go live, adds a DNS record and a mailbox, opens the control panel, cancels with a refund, and staff find it', async () => {
    const hana = await createPerson(app.live.ctx, 'Hana Host', { verified: true });
    const watch = await openPage(app.browser);
    const { page, context } = watch;
    const origin = app.live.origin;
    const portal = page.getByRole('navigation', { name: 'Portal' });
    const domain = `hana-${Math.random().toString(36).slice(2, 8)}.test`;

    await signIn(app.live, page, hana.email);

    // Funds, with PayPal (the emulator the app serves).
    await portal.getByRole('link', { name: 'Billing', exact: true }).click();
    await page.getByRole('button', { name: 'Add $25.00' }).click();
    await page.waitForURL(new RegExp(`^${origin}/_emulators/paypal/checkoutnow\\?token=`));
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.waitForURL(new RegExp(`^${origin}/billing/payment/success\\?token=`));
    expect(await page.getByTestId('new-balance').textContent()).toBe('$25.00');

    // The store: a plan, a domain (checked as it is typed), buy.
    await portal.getByRole('link', { name: 'Web hosting', exact: true }).click();
    await page.waitForURL(new RegExp(`^${origin}/hosting`));
    await page.goto(`${origin}/hosting/store`);
    expect(await page.getByTestId('store-plan').count()).toBe(3);
    await page.getByRole('radio', { name: /Starter/ }).check();
    await page.getByLabel('Domain name').fill(domain);
    await expect.poll(() => page.getByTestId('domain-check').textContent()).toContain(domain);
    await screenshot(page, 'hosting-store');
    await page.getByTestId('buy').click();

    // The service: set up (live progress) until active, with its server IPs.
    await page.waitForURL(/\/hosting\/[0-9a-f-]{36}$/);
    const serviceUrl = page.url();
    const serviceId = serviceUrl.split('/').pop()!;
    expect(await page.getByTestId('hosting-domain').textContent()).toBe(domain);
    await expect
      .poll(() => page.getByTestId('hosting-status').textContent(), { timeout: 30_000, interval: 250 })
      .toBe('Active');
    expect(await page.getByTestId('hosting-plan').textContent()).toContain('Starter');
    expect(await page.getByTestId('hosting-ips').textContent()).toMatch(/\d+\.\d+\.\d+\.\d+/);
    await screenshot(page, 'hosting-active');

    // DNS: an A record for blog.<domain>.
    await page.getByRole('navigation', { name: 'Service sections' }).getByRole('link', { name: 'DNS' }).click();
    await page.waitForURL(`${serviceUrl}/dns`);
    await page.locator('#f-kind').selectOption('A');
    await page.locator('#f-name').fill('blog');
    await page.locator('#f-value').fill('198.51.100.25');
    await page.getByRole('button', { name: 'Add record' }).click();
    const blog = page.getByTestId('dns-records').locator('tr[data-record]').filter({ hasText: '198.51.100.25' });
    await expect.poll(() => blog.count()).toBe(1);
    expect(await blog.textContent()).toContain('blog');
    await screenshot(page, 'hosting-dns');

    // Email: a mailbox with a password Hana chooses (never shown back).
    await page.getByRole('navigation', { name: 'Service sections' }).getByRole('link', { name: 'Email' }).click();
    await page.waitForURL(`${serviceUrl}/email`);
    await page.locator('#mb-local').fill('hello');
    await page.locator('#mb-password').fill('Harbour-Lights-2026');
    await page.getByRole('button', { name: 'Create mailbox' }).click();
    await expect
      .poll(() =>
        page
          .getByRole('row')
          .filter({ hasText: `hello@${domain}` })
          .count(),
      )
      .toBe(1);
    expect(await page.content()).not.toContain('Harbour-Lights-2026');
    await screenshot(page, 'hosting-email');

    // The control panel, from the overview, by a single-use sign-in link minted on the click (a new tab).
    await page.getByRole('link', { name: 'Service overview' }).click();
    await page.waitForURL(serviceUrl);
    const [panel] = await Promise.all([context.waitForEvent('page'), page.getByTestId('panel-sso').click()]);
    await panel.waitForLoadState();
    expect(panel.url()).toMatch(new RegExp(`^${origin}/_emulators/enhance/api/login/sessions/sso\\?otp=`));
    expect(await panel.content()).toContain('memberships');
    // Single use: the same link again is refused.
    const again = await panel.request.get(panel.url());
    expect(again.status()).toBe(401);
    await panel.close();

    // Cancel now, an hour into the month: the unused whole days (all but the first) go back to the wallet.
    app.live.ctx.clock.advance(3_600_000);
    await page.getByTestId('cancel-link').click();
    await page.waitForURL(`${serviceUrl}/cancel`);
    await page.getByRole('radio', { name: /^Now/ }).check();
    // The refund as the wallet's lines show it (to the micro-unit, up to 4 decimals), in ten-thousandths.
    const refundText = /\$\d+\.\d+/.exec((await page.getByTestId('cancel-refund').textContent()) ?? '')?.[0] ?? '';
    const refund = Math.round(Number(refundText.slice(1)) * 10_000);
    expect(refund).toBeGreaterThan(0);
    expect(refund).toBeLessThan(50_000);
    expect(await page.getByTestId('cancel-refund').textContent()).toMatch(/(\d+) unused days of (\d+)/);
    await page.getByRole('checkbox').check();
    await screenshot(page, 'hosting-cancel');
    await page.getByRole('button', { name: 'Cancel the hosting' }).click();
    await page.waitForURL(`${origin}/hosting`);
    expect(await page.getByRole('status').first().textContent()).toContain(`${refundText} went back to your wallet`);

    await portal.getByRole('link', { name: 'Billing', exact: true }).click();
    await page.waitForURL(`${origin}/billing`);
    expect(await page.getByTestId('wallet-balance').first().textContent()).toBe(
      `$${((250_000 - 50_000 + refund) / 10_000).toFixed(2)}`,
    );
    const ledger = page.getByRole('row').filter({ hasText: domain });
    expect(await ledger.filter({ hasText: 'Hosting charge' }).textContent()).toContain('-$5.00');
    // The ledger's refund line says what the cancel page said.
    expect(await ledger.filter({ hasText: 'Hosting refund' }).textContent()).toContain(`+${refundText}`);
    await screenshot(page, 'hosting-billing');
    expectNoProblems(watch);
    await context.close();

    // Staff: the service among all of them, cancelled, with its charge and refund.
    const ada = await createPerson(app.live.ctx, 'Ada Admin', { isAdmin: true, verified: true });
    const staff = await openPage(app.browser);
    await signIn(app.live, staff.page, ada.email, { landing: '/admin' });
    await staff.page
      .getByRole('navigation', { name: 'Admin' })
      .getByRole('link', { name: 'Hosting services', exact: true })
      .click();
    await staff.page.waitForURL(`${origin}/admin/hosting/services`);
    const row = staff.page.locator('#hosting-services').getByRole('row').filter({ hasText: domain });
    expect(await row.textContent()).toContain('Cancelled');
    await screenshot(staff.page, 'hosting-admin-services');
    await row.getByRole('link', { name: domain }).click();
    await staff.page.waitForURL(`${origin}/admin/hosting/services/${serviceId}`);
    expect(await staff.page.getByTestId('hosting-saga-state').textContent()).toBe('Done');
    const steps = await staff.page.locator('#hosting-saga-steps tbody tr td:first-child .font-mono').allTextContents();
    expect(steps).toEqual([
      '(charge)',
      '(customer)',
      '(login)',
      '(member)',
      '(subscription)',
      '(website)',
      '(activated)',
    ]);
    const charge = staff.page.locator('#hosting-charges').getByRole('row').filter({ hasText: 'purchase' });
    expect(await charge.textContent()).toContain('$5.00');
    expect(await charge.textContent()).toContain(refundText);
    await screenshot(staff.page, 'hosting-admin-service');
    expectNoProblems(staff);
    await staff.context.close();
  });
});
