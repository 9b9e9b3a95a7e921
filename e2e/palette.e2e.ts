import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CloudProvider } from '../src/providers/cloud.ts';
import { insertServer } from '../test/firewalls/servers.ts';
import { createPerson } from '../test/helpers/people.ts';
import { seedServerCatalogue, startTestCloud, type TestCloud } from '../test/helpers/servers.ts';
import { expectNoProblems, openPage, screenshot, signIn, useLiveApp } from './helpers.ts';

// The servers exist in the test cloud too, so their pages read them as the portal always does.
let cloud: TestCloud;
const opts: { cloud?: CloudProvider } = {};
beforeAll(async () => {
  cloud = await startTestCloud();
  opts.cloud = cloud.provider;
});
const app = useLiveApp({}, opts);
afterAll(async () => {
  await cloud?.close();
});

describe('the command palette', () => {
  it('Carla presses Ctrl+K, types part of a server’s label, arrows down to it, presses Enter and lands on its page', async () => {
    const { ctx } = app.live;
    const carla = await createPerson(ctx, 'Carla Cloud', { verified: true });
    const catalogue = await seedServerCatalogue(ctx.db);
    await insertServer(ctx, catalogue, carla.organization.id, { label: 'orion-db-2', cloud });
    const web = await insertServer(ctx, catalogue, carla.organization.id, { label: 'orion-web-7', cloud });
    const gus = await createPerson(ctx, 'Gus Globex', { verified: true });
    await insertServer(ctx, catalogue, gus.organization.id, { label: 'orion-globex', cloud });

    const watch = await openPage(app.browser);
    const { page } = watch;
    await signIn(app.live, page, carla.email);

    const opener = page.getByRole('button', { name: 'Find', exact: true });
    const dialog = page.getByRole('dialog', { name: 'Find and go to' });
    const input = page.getByRole('combobox');
    expect(await opener.getAttribute('role')).toBe('button');
    expect(await opener.getAttribute('aria-expanded')).toBe('false');

    // The button opens it; Escape closes it and gives focus back to the button.
    await opener.click();
    await expect.poll(() => dialog.isVisible()).toBe(true);
    expect(await dialog.getAttribute('aria-modal')).toBe('true');
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('palette-input');
    // It opens on the pages she may go to.
    await expect.poll(() => page.getByRole('option', { name: /Dashboard/ }).count()).toBe(1);
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.isVisible()).toBe(false);
    await expect
      .poll(() => page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.testid))
      .toBe('palette-open');

    // Ctrl+K from anywhere; she types part of a label.
    await page.locator('h1').first().click();
    await page.keyboard.press('Control+k');
    await expect.poll(() => dialog.isVisible()).toBe(true);
    await input.pressSequentially('orion');
    const options = page.getByRole('listbox', { name: 'Results' }).getByRole('option');
    await expect.poll(() => options.locator('.font-medium').allTextContents()).toEqual(['orion-db-2', 'orion-web-7']);
    expect(await input.getAttribute('aria-expanded')).toBe('true');
    expect(await input.getAttribute('aria-controls')).toBe('palette-listbox');
    await expect.poll(() => page.locator('#palette-status').textContent()).toBe('2 results');

    // Arrow keys move the active option.
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    const active = await input.getAttribute('aria-activedescendant');
    expect(active).toBeTruthy();
    const chosen = page.locator(`#${active}`);
    expect(await chosen.textContent()).toContain('orion-web-7');
    expect(await chosen.getAttribute('aria-selected')).toBe('true');
    expect(await options.first().getAttribute('aria-selected')).toBe('false');
    await screenshot(page, 'palette');

    await page.keyboard.press('Enter');
    await page.waitForURL(`${app.live.origin}/vps/${web.id}`);
    expect(await page.locator('h1').first().textContent()).toContain('orion-web-7');

    // Nothing of Globex's, and a search with no result says so.
    await page.keyboard.press('Control+k');
    await input.fill('globex');
    await expect.poll(() => page.locator('#palette-status').textContent()).toBe('No results');
    expect(await options.count()).toBe(0);
    expect(await input.getAttribute('aria-expanded')).toBe('false');

    expectNoProblems(watch);
    await watch.context.close();
  });

  it('Ada (platform staff) finds a customer’s organization from the admin area and opens it', async () => {
    const { ctx } = app.live;
    const ada = await createPerson(ctx, 'Ada Admin', { verified: true, isAdmin: true });
    const ivan = await createPerson(ctx, 'Ivan Initech', { verified: true });
    await ctx.db
      .updateTable('organizations')
      .set({ name: 'Initech Industries' })
      .where('id', '=', ivan.organization.id)
      .execute();

    const watch = await openPage(app.browser);
    const { page } = watch;
    await signIn(app.live, page, ada.email, { landing: '/admin' });
    await page.keyboard.press('Control+k');
    const input = page.getByRole('combobox');
    await input.pressSequentially('industries');
    const option = page.getByRole('group', { name: 'Organizations' }).getByRole('option');
    await expect.poll(() => option.locator('.font-medium').allTextContents()).toEqual(['Initech Industries']);
    await page.keyboard.press('ArrowDown');
    expect(await option.getAttribute('aria-selected')).toBe('true');
    await page.keyboard.press('Enter');
    await page.waitForURL(`${app.live.origin}/admin/organizations/${ivan.organization.id}`);
    expect(await page.locator('h1').first().textContent()).toContain('Initech Industries');

    expectNoProblems(watch);
    await watch.context.close();
  });

  it('without JavaScript Find is a link to the search page, whose form finds the server', async () => {
    const { ctx } = app.live;
    const nina = await createPerson(ctx, 'Nina Nojs', { verified: true });
    const catalogue = await seedServerCatalogue(ctx.db);
    const server = await insertServer(ctx, catalogue, nina.organization.id, { label: 'vega-api-3', cloud });
    const context = await app.browser.newContext({ javaScriptEnabled: false, viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await signIn(app.live, page, nina.email);
    await page.getByRole('link', { name: 'Find', exact: true }).click();
    await page.waitForURL(`${app.live.origin}/search`);
    await page.getByRole('searchbox', { name: 'Search' }).fill('vega');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.waitForURL(`${app.live.origin}/search?q=vega`);
    await page.getByRole('link', { name: 'vega-api-3' }).click();
    await page.waitForURL(`${app.live.origin}/vps/${server.id}`);
    await context.close();
  });
});
