import { describe, expect, it } from 'vitest';
import { sendPasswordReset } from '../src/domain/accounts/recovery.ts';
import { runQueued } from '../test/helpers/jobs.ts';
import { createPerson, PASSWORD } from '../test/helpers/people.ts';
import { expectNoProblems, expectRefusal, openPage, useLiveApp } from './helpers.ts';

const app = useLiveApp();

describe('password reset', () => {
  it('Dan forgets his password, follows the emailed link (read by Ada in the outbox) and signs in with a new one', async () => {
    const dan = await createPerson(app.live.ctx, 'Dan Dunn', { verified: true });
    const ada = await createPerson(app.live.ctx, 'Ada Admin', { isAdmin: true, verified: true });
    const newPassword = 'a brand new passphrase';
    const customer = await openPage(app.browser);
    const staff = await openPage(app.browser);

    await customer.page.goto(`${app.live.origin}/login`);
    await customer.page.getByRole('link', { name: 'Forgot your password?' }).click();
    await customer.page.waitForURL(`${app.live.origin}/forgot-password`);
    await customer.page.fill('#f-email', dan.email);
    await customer.page.getByRole('button', { name: 'Email me a reset link' }).click();
    expect(await customer.page.getByRole('status').textContent()).toContain(
      'If an account exists for that address, we have emailed a link',
    );
    // The link is sent by a queued job: run it as the worker would.
    await runQueued(app.live.ctx, 'accounts.send-password-reset', (data) => sendPasswordReset(app.live.ctx.deps, data));

    // The outbox transport keeps mail in the admin outbox, where staff can read it.
    await staff.page.goto(`${app.live.origin}/login`);
    await staff.page.fill('#f-email', ada.email);
    await staff.page.fill('#f-password', PASSWORD);
    await staff.page.getByRole('button', { name: 'Sign in' }).click();
    await staff.page.waitForURL(`${app.live.origin}/admin`);
    await staff.page.goto(`${app.live.origin}/admin/outbox`);
    const row = staff.page
      .getByRole('row')
      .filter({ hasText: dan.email })
      .filter({ hasText: 'Reset your SkyPanel password' });
    await row.getByRole('link', { name: 'Reset your SkyPanel password' }).click();
    await staff.page.waitForURL(/\/admin\/outbox\/[0-9a-f-]{36}$/);
    expect(await staff.page.getByTestId('email-to').textContent()).toBe(dan.email);
    const links = await staff.page
      .getByTestId('email-link')
      .evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).href));
    const resetLink = links.find((l) => l.startsWith(`${app.live.origin}/reset-password/`));
    expect(resetLink, `reset link among ${links.join(', ')}`).toBeDefined();

    await customer.page.goto(resetLink!);
    await customer.page.fill('#f-password', newPassword);
    await customer.page.getByRole('button', { name: 'Set new password' }).click();
    await customer.page.waitForURL(`${app.live.origin}/login`);
    expect(await customer.page.getByRole('status').textContent()).toContain('Your password is changed');

    await customer.page.fill('#f-email', dan.email);
    await customer.page.fill('#f-password', PASSWORD);
    expectRefusal(customer, 422);
    await customer.page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => customer.page.getByRole('alert').textContent()).toBe('Incorrect email or password.');
    expect(new URL(customer.page.url()).pathname).toBe('/login');

    await customer.page.fill('#f-password', newPassword);
    await customer.page.getByRole('button', { name: 'Sign in' }).click();
    await customer.page.waitForURL(`${app.live.origin}/dashboard`);
    expect(await customer.page.getByRole('heading', { level: 1 }).textContent()).toBe('Welcome, Dan Dunn');

    await customer.context.close();
    await staff.context.close();
    expectNoProblems(customer, staff);
  });
});
