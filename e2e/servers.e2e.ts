import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerJobs } from '../jobs/index.ts';
import type { CloudProvider } from '../src/providers/cloud.ts';
import { startLinodeEmulator, type LinodeEmulator } from '../src/providers/linode/emulator/index.ts';
import { createLinodeProvider } from '../src/providers/linode/index.ts';
import { createPerson, PASSWORD } from '../test/helpers/people.ts';
import { seedServerCatalogue, type SeededCatalogue } from '../test/helpers/servers.ts';
import { expectNoProblems, expectRefusal, openPage, screenshot, useLiveApp } from './helpers.ts';

// Servers run on the demo emulator (real time, transitions of a few seconds), and the app's
// workers run, so the follow-up job moves a server to "running" and the page hears it.
let emu: LinodeEmulator;
const opts: { paypalEmulator: boolean; cloud?: CloudProvider } = { paypalEmulator: true };
beforeAll(async () => {
  emu = await startLinodeEmulator({ demo: true });
  opts.cloud = createLinodeProvider({ baseUrl: emu.url, token: emu.token });
});
const app = useLiveApp({}, opts);
let catalogue: SeededCatalogue;
beforeAll(async () => {
  catalogue = await seedServerCatalogue(app.live.ctx.db);
  await registerJobs(app.live.ctx.deps);
});
afterAll(async () => {
  await emu?.close();
});

describe('servers', () => {
  it('Carla funds her wallet, creates a server in the wizard, sees it run without reloading, reboots, resizes and deletes it, and finds the charge and the refund in billing', async () => {
    const carla = await createPerson(app.live.ctx, 'Carla Cloud', { verified: true });
    const watch = await openPage(app.browser);
    const { page } = watch;
    const origin = app.live.origin;
    const portal = page.getByRole('navigation', { name: 'Portal' });

    await page.goto(`${origin}/login`);
    await page.fill('#f-email', carla.email);
    await page.fill('#f-password', PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${origin}/dashboard`);

    // Funds, with PayPal (the emulator the app serves).
    await portal.getByRole('link', { name: 'Billing', exact: true }).click();
    await page.getByRole('button', { name: 'Add $25.00' }).click();
    await page.waitForURL(new RegExp(`^${origin}/_emulators/paypal/checkoutnow\\?token=`));
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.waitForURL(new RegExp(`^${origin}/billing/payment/success\\?token=`));
    expect(await page.getByTestId('new-balance').textContent()).toBe('$25.00');

    // No servers yet: the list offers to create one and says servers are emulated.
    await portal.getByRole('link', { name: 'Servers', exact: true }).click();
    await page.waitForURL(`${origin}/vps`);
    expect(await page.getByText('No servers yet').count()).toBe(1);
    expect(await page.getByTestId('servers-emulated').count()).toBe(1);
    await page.getByRole('link', { name: 'Create server' }).first().click();
    await page.waitForURL(`${origin}/vps/new`);

    // The wizard, one step at a time (htmx swaps the steps; a wrong label is answered in place).
    const next = () => page.getByRole('button', { name: 'Next' }).click();
    const onStep = (title: string) => expect.poll(() => page.locator('#step-h').textContent()).toContain(title);
    await page.getByLabel('Label').fill('web 1');
    expectRefusal(watch, 422);
    await next();
    await expect.poll(() => page.locator('.field-error').textContent()).toContain('letters, digits');
    await page.getByLabel('Label').fill('web-1');
    await next();
    await onStep('Where should it run?');
    await page.getByRole('radio', { name: /New York/ }).check();
    await next();
    await onStep('Choose a plan');
    expect(await page.getByText(catalogue.plans.dedicated.name).count()).toBe(1);
    await page.getByRole('radio', { name: catalogue.plans.small.name }).check();
    await next();
    await onStep('Start with an app?');
    await next();
    await onStep('Choose an image');
    // The image's id is the neutral one, never the provider's (`linode/debian12`).
    expect(await page.getByRole('radio', { name: /Debian 12/ }).getAttribute('value')).toBe('debian12');
    await page.getByRole('radio', { name: /Debian 12/ }).check();
    await next();
    await onStep('How will you sign in?');
    await next();
    await onStep('Options');
    // Back and forth keeps every choice.
    await page.getByRole('button', { name: 'Back' }).click();
    await onStep('How will you sign in?');
    await next();
    await onStep('Options');
    await next();
    await onStep('Review and create');
    expect(await page.getByTestId('quote-hourly').textContent()).toBe('$0.0205');
    expect(await page.getByTestId('quote-monthly').textContent()).toBe('$15.00');
    expect(await page.getByTestId('quote-after').textContent()).toBe('$24.9795');
    await screenshot(page, 'servers-review');
    await page.getByTestId('create-server').click();

    // The server page: the generated root password once, and the status moving by itself.
    await page.waitForURL(/\/vps\/[0-9a-f-]{36}$/);
    const serverUrl = page.url();
    expect(serverUrl).not.toMatch(/password/i);
    expect(await page.getByTestId('root-password').textContent()).toMatch(/^\S{24}$/);
    await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
    await expect
      .poll(() => page.getByTestId('server-status').textContent(), { timeout: 30_000, interval: 250 })
      .toBe('Running');
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    expect(await page.getByTestId('server-ipv4').textContent()).toMatch(/^\d+\.\d+\.\d+\.\d+/);
    await screenshot(page, 'servers-running');

    // Reboot: back to running.
    await page.getByRole('button', { name: 'Reboot' }).click();
    await page.waitForURL(serverUrl);
    await expect.poll(() => page.getByRole('status').first().textContent()).toContain('rebooting');
    await expect
      .poll(() => page.getByTestId('server-status').textContent(), { timeout: 30_000, interval: 250 })
      .toBe('Running');

    // Resize to the medium plan, sold in the same region, with its price.
    await page.getByRole('link', { name: 'Resize' }).click();
    await page.waitForURL(`${serverUrl}/resize`);
    expect(await page.getByRole('row').filter({ hasText: catalogue.plans.medium.name }).textContent()).toContain(
      '$30.00',
    );
    await page.getByRole('radio', { name: catalogue.plans.medium.name }).check();
    await page.getByRole('button', { name: 'Resize' }).click();
    await page.waitForURL(serverUrl);
    await expect
      .poll(() => page.getByTestId('server-status').textContent(), { timeout: 30_000, interval: 250 })
      .toBe('Running');
    await expect.poll(() => page.getByTestId('server-plan').textContent()).toContain(catalogue.plans.medium.name);

    // Delete, with the password.
    await page.getByRole('link', { name: 'Delete' }).click();
    await page.waitForURL(`${serverUrl}/delete`);
    await page.getByLabel('Your password').fill(PASSWORD);
    const hourOf = () => Math.floor(Date.now() / 3_600_000) * 3_600_000;
    const hourBeforeDelete = hourOf();
    await page.getByTestId('confirm-delete').click();
    await page.waitForURL(`${origin}/vps`);
    // The hour the delete fell in; unknown when the clock hour turned while it ran.
    const deleteHour = hourOf() === hourBeforeDelete ? hourBeforeDelete : null;
    expect(await page.getByRole('status').first().textContent()).toContain('web-1 is being deleted');

    // Billing: the first hour's charge and the refund of the unused minutes.
    await portal.getByRole('link', { name: 'Billing', exact: true }).click();
    await page.waitForURL(`${origin}/billing`);
    expect(await page.getByRole('row').filter({ hasText: 'Server charge' }).count()).toBeGreaterThan(0);
    // The refund is of the delete's clock hour's unused minutes: none when the hour turned since the charge.
    const refunds = await app.live.ctx.db
      .selectFrom('server_charge_refunds')
      .innerJoin('servers', 'servers.id', 'server_charge_refunds.server_id')
      .select('server_charge_refunds.amount')
      .where('servers.organization_id', '=', carla.organization.id)
      .execute();
    const charges = await app.live.ctx.db
      .selectFrom('server_charges')
      .innerJoin('servers', 'servers.id', 'server_charges.server_id')
      .select('server_charges.hour_start')
      .where('servers.organization_id', '=', carla.organization.id)
      .execute();
    const sameHour = charges.some((ch) => ch.hour_start.getTime() === deleteHour);
    if (deleteHour !== null && (sameHour || refunds.length)) {
      expect(refunds.length).toBe(1);
      expect(refunds[0]!.amount).toBeGreaterThan(0n);
      expect(await page.getByRole('row').filter({ hasText: 'Server refund' }).count()).toBeGreaterThan(0);
    }
    await screenshot(page, 'servers-billing');

    expectNoProblems(watch);
    await watch.context.close();
  });
});
