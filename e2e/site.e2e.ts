import { describe, expect, it } from 'vitest';
import { putSetting } from '../src/domain/settings/store.ts';
import { seedServerCatalogue } from '../test/helpers/servers.ts';
import { expectNoProblems, openPage, screenshot, useLiveApp, watchPage } from './helpers.ts';

const app = useLiveApp();

/**
 * Issue 16 items 1 and 3 in a real browser: the storefront as a CDN would keep it (no nonce:
 * the theme script and the brand colour run by hash, so no CSP violation, dark mode and the
 * brand colour applied), and the site's menu opening on a phone with JavaScript off.
 */
describe('the public site', () => {
  it('a visitor reads the pricing from the home page, in dark mode and the brand colour, with no CSP violation', async () => {
    const { ctx, origin } = app.live;
    const catalogue = await seedServerCatalogue(ctx.db);
    await putSetting(ctx.db, 'site', { primaryColor: '#0f766e' }, null, new Date());
    const watch = await openPage(app.browser);
    const { page } = watch;
    await page.emulateMedia({ colorScheme: 'dark' });
    let res = await page.goto(`${origin}/`);
    for (let i = 0; i < 50 && !(await page.locator('style[data-brand-colour]').count()); i++)
      res = await page.goto(`${origin}/`);
    expect(res!.headers()['cache-control']).toBe('public, max-age=60');
    expect(await page.evaluate(() => document.documentElement.classList.contains('dark'))).toBe(true);
    expect(
      await page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--brand-primary').trim()),
    ).toBe('#0f766e');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Pricing' }).click();
    await page.waitForURL(`${origin}/pricing`);
    await expect
      .poll(() => page.getByRole('row', { name: new RegExp(catalogue.plans.small.name) }).textContent())
      .toContain('$0.0205');
    await screenshot(page, 'site-pricing-dark');
    expectNoProblems(watch);
  });

  it('opens the menu on a phone with JavaScript off', async () => {
    const context = await app.browser.newContext({ viewport: { width: 390, height: 800 }, javaScriptEnabled: false });
    const watch = await watchPage(await context.newPage());
    const { page } = watch;
    await page.goto(`${app.live.origin}/regions`);
    const menu = page.getByTestId('mobile-nav');
    expect(await menu.getByRole('link', { name: 'Pricing' }).isVisible()).toBe(false);
    await menu.getByText('Menu').click();
    await menu.getByRole('link', { name: 'Pricing' }).click();
    await page.waitForURL(`${app.live.origin}/pricing`);
    expect(await page.locator('h1').textContent()).toBe('Pricing');
    await context.close();
    expectNoProblems(watch);
  });
});
