import { describe, expect, it } from 'vitest';
import { createPerson } from '../test/helpers/people.ts';
import { expectNoProblems, openPage, signIn, useLiveApp } from './helpers.ts';

const app = useLiveApp();

describe('announcements', () => {
  it('Ada posts one for signed-in people; Olivia sees it on every page, its script inert, dismisses it in place, and it stays dismissed', async () => {
    const ada = await createPerson(app.live.ctx, 'Ada Admin', { verified: true, isAdmin: true });
    const olivia = await createPerson(app.live.ctx, 'Olivia Owner', { verified: true });
    const staff = await openPage(app.browser);
    await signIn(app.live, staff.page, ada.email, { landing: '/admin' });
    await staff.page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Announcements' }).click();
    await staff.page.getByRole('link', { name: 'New announcement' }).click();
    await staff.page.fill('#f-title', 'Network upgrade on Sunday');
    await staff.page.fill('#f-body', 'Expect **short** blips. <script>window.__pwned = 1</script>');
    await staff.page.selectOption('#f-severity', 'warning');
    await staff.page.selectOption('#f-audience', 'signed-in');
    await staff.page.getByLabel('People may dismiss it').check();
    await staff.page.getByRole('button', { name: 'Post announcement' }).click();
    await expect.poll(() => staff.page.getByText('Network upgrade on Sunday').count()).toBeGreaterThan(0);

    const customer = await openPage(app.browser);
    const { page } = customer;
    await signIn(app.live, page, olivia.email);
    const banner = page.getByRole('status').filter({ hasText: 'Network upgrade on Sunday' });
    expect(await banner.count()).toBe(1);
    expect(await banner.locator('strong').textContent()).toBe('short');
    expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
    await page.goto(`${app.live.origin}/notes`);
    expect(await banner.count()).toBe(1);

    await banner.getByRole('button', { name: /Dismiss/ }).click();
    await expect.poll(() => banner.count()).toBe(0);
    expect(page.url()).toBe(`${app.live.origin}/notes`);
    await page.goto(`${app.live.origin}/dashboard`);
    expect(await page.getByText('Network upgrade on Sunday').count()).toBe(0);

    expectNoProblems(staff, customer);
    await staff.context.close();
    await customer.context.close();
  });
});
