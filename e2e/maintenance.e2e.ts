import { describe, expect, it } from 'vitest';
import { createPerson } from '../test/helpers/people.ts';
import { expectNoProblems, openPage, screenshot, signIn, useLiveApp } from './helpers.ts';

const app = useLiveApp();

describe('maintenance mode', () => {
  it('Ada turns maintenance on; Olive can still sign in and read, but adding a note lands on the maintenance page; once it is off her note is saved', async () => {
    const { ctx } = app.live;
    const ada = await createPerson(ctx, 'Ada Admin', { isAdmin: true, verified: true });
    const olive = await createPerson(ctx, 'Olive Owner', { verified: true });

    const staff = await openPage(app.browser);
    await signIn(app.live, staff.page, ada.email, { landing: '/admin' });
    await staff.page.getByRole('link', { name: 'Platform settings' }).click();
    await staff.page.waitForURL(`${app.live.origin}/admin/platform-settings`);
    await staff.page.getByLabel(/Maintenance mode on/).check();
    await staff.page.fill('#f-maintenanceMessage', 'Moving to a bigger database. Back soon.');
    await staff.page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => staff.page.getByText('Maintenance mode is on:').count()).toBeGreaterThan(0);
    await screenshot(staff.page, 'maintenance-admin');

    const customer = await openPage(app.browser);
    const { page } = customer;
    await signIn(app.live, page, olive.email);
    await page.goto(`${app.live.origin}/notes`);
    // Every page says so before anything is typed.
    expect(await page.locator('#maintenance-banner').textContent()).toContain('Moving to a bigger database.');
    await page.fill('#f-note-body', 'Written during maintenance');
    await page.getByRole('button', { name: 'Add note' }).click();
    await page.waitForURL(`${app.live.origin}/maintenance`);
    expect(await page.getByRole('heading', { name: 'Maintenance in progress' }).isVisible()).toBe(true);
    expect(await page.locator('main').getByText('Moving to a bigger database. Back soon.').first().isVisible()).toBe(
      true,
    );
    await screenshot(page, 'maintenance-customer');
    // The refused write and the maintenance page are 503s on purpose: Chromium logs each.
    customer.problems.splice(0, customer.problems.length, ...customer.problems.filter((p) => !/status of 503/.test(p)));

    await staff.page.getByLabel(/Maintenance mode on/).uncheck();
    await staff.page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => staff.page.getByText('Maintenance mode is on:').count()).toBe(0);

    await page.goto(`${app.live.origin}/notes`);
    await page.fill('#f-note-body', 'Written after maintenance');
    await page.getByRole('button', { name: 'Add note' }).click();
    await expect.poll(() => page.locator('#notes > ul > li').count()).toBe(1);
    expectNoProblems(staff, customer);
  });
});
