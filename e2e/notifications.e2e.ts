import { describe, expect, it } from 'vitest';
import { settledTopUp } from '../test/billing/payments.ts';
import { createPerson, PASSWORD } from '../test/helpers/people.ts';
import { expectNoProblems, openPage, screenshot, useLiveApp } from './helpers.ts';

const app = useLiveApp();

describe('the notification bell', () => {
  it('Olivia sees the count go up live when money arrives, opens the dropdown, marks all read, and the page agrees', async () => {
    const olivia = await createPerson(app.live.ctx, 'Olivia Owner', { verified: true });
    const watch = await openPage(app.browser);
    const { page } = watch;

    await page.goto(`${app.live.origin}/login`);
    await page.fill('#f-email', olivia.email);
    await page.fill('#f-password', PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${app.live.origin}/dashboard`);

    // Her first sign-in from this browser is news: one unread.
    const count = page.getByTestId('bell-count');
    expect(await count.getAttribute('data-unread')).toBe('1');
    expect(await page.getByTestId('header-balance').textContent()).toBe('$0.00');
    // The stream is open before anything happens (the page stays as it is).
    await expect.poll(() => app.live.ctx.hub.subscriberCount).toBeGreaterThan(0);

    // Money arrives while she looks: the bell and the balance change without a reload.
    await settledTopUp(app.live.ctx.deps, olivia.organization.id, 25_000_000n);
    await expect.poll(() => count.getAttribute('data-unread')).toBe('2');
    expect(await count.textContent()).toContain('2');
    await expect.poll(() => page.getByTestId('header-balance').textContent()).toBe('$25.00');
    await expect.poll(() => page.getByTestId('wallet-balance').textContent()).toBe('$25.00');
    await screenshot(page, 'bell-count');

    // The dropdown: the latest, newest first.
    await page.getByTestId('bell').click();
    const menu = page.getByTestId('bell-menu');
    await expect.poll(() => menu.isVisible()).toBe(true);
    const items = menu.getByTestId('notification');
    expect(await items.count()).toBe(2);
    expect(await items.first().textContent()).toContain('$25.00 was added to the wallet');
    expect(await items.nth(1).textContent()).toContain('New sign-in to your account');
    expect(await page.getByTestId('bell').getAttribute('aria-expanded')).toBe('true');
    await screenshot(page, 'bell-menu');

    // Mark all read: the dropdown stays, nothing in it is unread, and the count goes.
    await menu.getByTestId('bell-read-all').click();
    await expect.poll(() => count.getAttribute('data-unread')).toBe('0');
    expect(await menu.locator('[data-read="false"]').count()).toBe(0);
    expect(await menu.isVisible()).toBe(true);

    // Escape closes it; the bell is still a link to the full list.
    await page.keyboard.press('Escape');
    await expect.poll(() => menu.isVisible()).toBe(false);
    await page.goto(`${app.live.origin}/notifications?unread=true`);
    expect(await page.getByText('No notifications match these filters.').isVisible()).toBe(true);
    await page.goto(`${app.live.origin}/notifications`);
    expect(await page.getByTestId('notification').count()).toBe(2);
    expect(await page.getByTestId('bell-count').getAttribute('data-unread')).toBe('0');

    const read = await app.live.ctx.db
      .selectFrom('notifications')
      .select('read_at')
      .where('user_id', '=', olivia.id)
      .execute();
    expect(read.every((n) => n.read_at !== null)).toBe(true);
    expectNoProblems(watch);
    await watch.context.close();
  });

  it('without JavaScript the bell is a link to /notifications, where a notification can be marked read', async () => {
    const nina = await createPerson(app.live.ctx, 'Nina Nojs', { verified: true });
    const context = await app.browser.newContext({ javaScriptEnabled: false, viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${app.live.origin}/login`);
    await page.fill('#f-email', nina.email);
    await page.fill('#f-password', PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${app.live.origin}/dashboard`);
    await page.getByTestId('bell').click();
    await page.waitForURL(`${app.live.origin}/notifications`);
    const item = page.getByTestId('notification');
    expect(await item.getAttribute('data-read')).toBe('false');
    await item.getByRole('button', { name: 'Mark read' }).click();
    await page.waitForURL(`${app.live.origin}/notifications`);
    expect(await page.getByTestId('notification').getAttribute('data-read')).toBe('true');
    expect(await page.getByTestId('bell-count').getAttribute('data-unread')).toBe('0');
    await context.close();
  });
});
