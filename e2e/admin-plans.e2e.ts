import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPerson, PASSWORD } from '../test/helpers/people.ts';
import { startTestCloud, type TestCloud } from '../test/helpers/servers.ts';
import { expectNoProblems, openPage, screenshot, useLiveApp } from './helpers.ts';

const app = useLiveApp();
let cloud: TestCloud;
beforeAll(async () => {
  cloud = await startTestCloud();
});
afterAll(async () => cloud?.close());

describe('the admin catalogue', () => {
  it('Ada connects a provider, allows a region, names a class, and adds a plan through the wizard', async () => {
    const ada = await createPerson(app.live.ctx, 'Ada Admin', { isAdmin: true, verified: true });
    const watch = await openPage(app.browser);
    const page = watch.page;
    const origin = app.live.origin;

    await page.goto(`${origin}/login`);
    await page.fill('#f-email', ada.email);
    await page.fill('#f-password', PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${origin}/admin`);

    // The provider: its token, validated, its catalogue read.
    await page.goto(`${origin}/admin/providers`);
    await page.getByRole('link', { name: 'Add a provider' }).click();
    await page.getByLabel('Name (staff only)').fill('Main cloud');
    await page.getByLabel('API token').fill(cloud.emu.token);
    await page.getByLabel('Base URL (optional)').fill(cloud.emu.url);
    await page.getByRole('button', { name: 'Add provider' }).click();
    await page.waitForURL(/\/admin\/providers\/[0-9a-f-]{36}$/);
    const providerUrl = page.url();
    await expect.poll(() => page.getByText('token set').count()).toBe(1);
    await page.getByRole('button', { name: 'Validate now' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('The credentials work');
    await page.getByRole('button', { name: 'Refresh now' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('Catalogue refreshed');

    // What customers may pick: a region with its label, and a name for the standard class.
    await page.goto(`${providerUrl}/regions`);
    await page.getByRole('link', { name: 'Frankfurt, DE (eu-central)' }).click();
    await page.getByLabel('Label customers see').fill('Frankfurt');
    await page.getByRole('button', { name: 'Save region' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('Region saved.');
    await page.goto(`${providerUrl}/categories?edit=standard`);
    await page.getByLabel('Name customers see').fill('Shared CPU');
    await page.getByRole('button', { name: 'Save category' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('Category saved.');

    // The wizard: provider → its plan → name and price → review → create.
    await page.goto(`${origin}/admin/plans`);
    await page.getByRole('link', { name: 'New plan' }).click();
    await page.getByRole('link', { name: 'Main cloud' }).click();
    await page.getByRole('link', { name: 'Linode 2 GB' }).click();
    await page.getByLabel('Name customers see').fill('Shared 2 GB');
    await page.getByLabel('Markup per month').fill('3.50');
    await page.getByLabel('Frankfurt').check();
    await page.getByRole('button', { name: 'Review' }).click();
    await expect.poll(() => page.locator('#review-price').textContent()).toContain('$15.50 a month');
    await screenshot(page, 'admin-plan-review');
    await page.getByRole('button', { name: 'Create plan' }).click();
    await page.waitForURL(/\/admin\/plans\/[0-9a-f-]{36}$/);
    await expect.poll(() => page.getByRole('status').textContent()).toContain('Plan Shared 2 GB created.');

    await page.getByRole('link', { name: 'Server plans' }).first().click();
    await page.waitForURL(`${origin}/admin/plans`);
    const row = page.locator('#plans-table tr', { hasText: 'Shared 2 GB' });
    await expect.poll(() => row.textContent()).toContain('$15.50');
    expect(await row.textContent()).toContain('$0.0212');
    await screenshot(page, 'admin-plans');
    await page.goto(providerUrl);
    await screenshot(page, 'admin-provider');
    expectNoProblems(watch);
  });
});
