import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fundWallet } from '../test/helpers/money.ts';
import { createPerson, PASSWORD } from '../test/helpers/people.ts';
import { expectNoProblems, openPage, screenshot, useLiveApp } from './helpers.ts';

const app = useLiveApp();

describe('the admin dashboard', () => {
  it('Ada sees the platform’s figures and charts, with no script or style the policy refuses, and follows a figure to its list', async () => {
    const { ctx } = app.live;
    const ada = await createPerson(ctx, 'Ada Admin', { isAdmin: true, verified: true });
    const gus = await createPerson(ctx, 'Gus Globex', { verified: true });
    await fundWallet(ctx.db, gus.organization.id, -1_500_000n); // in arrears
    const category = await ctx.db
      .selectFrom('ticket_categories')
      .select('id')
      .where('is_default', '=', true)
      .executeTakeFirstOrThrow();
    await ctx.db
      .insertInto('tickets')
      .values({ organization_id: gus.organization.id, subject: `Help ${randomUUID()}`, category_id: category.id })
      .execute();

    const watch = await openPage(app.browser);
    const { page } = watch;
    await page.goto(`${app.live.origin}/login`);
    await page.fill('#f-email', ada.email);
    await page.fill('#f-password', PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/(admin|dashboard)$/);
    await page.goto(`${app.live.origin}/admin`);
    const figures = page.getByRole('list', { name: 'Figures' });
    expect(await figures.getByTestId('figure-tickets').locator('[data-value]').textContent()).toBe('1');
    expect(await figures.getByTestId('figure-arrears').locator('[data-value]').textContent()).toBe('1');
    expect(await figures.getByTestId('figure-sign-ups').locator('[data-value]').textContent()).toBe('2');
    expect(await page.getByRole('img', { name: 'Top-ups and usage charges per day, last 30 days' }).count()).toBe(1);
    expect(await page.getByRole('img', { name: 'New sign-ups per day, last 30 days' }).count()).toBe(1);
    // Today's sign-ups are a drawn bar.
    expect(await page.locator('[data-chart="sign-up-chart"] rect').count()).toBe(1);
    await screenshot(page, 'admin-dashboard');

    await figures.getByTestId('figure-arrears').click();
    await page.waitForURL(`${app.live.origin}/admin/billing/arrears`);
    expect(await page.getByText('Gus Globex').count()).toBeGreaterThan(0);
    expectNoProblems(watch);
  });
});
