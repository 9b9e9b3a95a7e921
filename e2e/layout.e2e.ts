import { describe, expect, it } from 'vitest';
import { createPerson, PASSWORD } from '../test/helpers/people.ts';
import { expectNoProblems, useLiveApp, watchPage } from './helpers.ts';

const app = useLiveApp();

describe('the layouts without Alpine', () => {
  it('Mia, on her phone, opens and closes the menu and switches to the dark theme, which stays on the next page', async () => {
    const mia = await createPerson(app.live.ctx, 'Mia Mobile', { verified: true });
    const context = await app.browser.newContext({ viewport: { width: 390, height: 844 } });
    const watch = await watchPage(await context.newPage());
    const { page } = watch;
    // Compressed pages and scripts, as a browser gets them.
    const encodings: string[] = [];
    page.on('response', (res) => {
      if (/\/static\/vendor\/htmx-/.test(res.url())) encodings.push(res.headers()['content-encoding'] ?? 'none');
    });

    await page.goto(`${app.live.origin}/login`);
    await page.fill('#f-email', mia.email);
    await page.fill('#f-password', PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${app.live.origin}/dashboard`);
    expect(encodings).toContain('br');

    const menu = page.getByRole('button', { name: 'Menu' });
    const sidebar = page.locator('#sidebar');
    await expect.poll(() => sidebar.isVisible()).toBe(false);
    await menu.click();
    await expect.poll(() => sidebar.isVisible()).toBe(true);
    expect(await menu.getAttribute('aria-expanded')).toBe('true');
    await page.keyboard.press('Escape');
    await expect.poll(() => sidebar.isVisible()).toBe(false);
    expect(await menu.getAttribute('aria-expanded')).toBe('false');
    expect(await page.evaluate(() => document.activeElement?.textContent?.trim())).toBe('Menu');

    await menu.click();
    const toggle = sidebar.getByRole('button', { name: 'Toggle dark mode' });
    const dark = () => page.evaluate(() => document.documentElement.classList.contains('dark'));
    const before = await dark();
    expect(await toggle.getAttribute('aria-pressed')).toBe(String(before));
    await toggle.click();
    await expect.poll(dark).toBe(!before);
    expect(await toggle.getAttribute('aria-pressed')).toBe(String(!before));
    expect(await toggle.textContent()).toContain(before ? 'Switch to dark theme' : 'Switch to light theme');

    await page.goto(`${app.live.origin}/settings/profile`);
    expect(await dark()).toBe(!before);
    expect(await page.evaluate(() => 'Alpine' in window)).toBe(false);
    expectNoProblems(watch);
    await context.close();
  });
});
