import { describe, expect, it } from 'vitest';
import { createPerson } from '../test/helpers/people.ts';
import { expectNoProblems, expectRefusal, openPage, screenshot, signIn, useLiveApp } from './helpers.ts';

const app = useLiveApp();

describe('email templates', () => {
  it('Ada rewords the password reset email: an unknown placeholder is refused with her text kept, the preview shows sample data in place, and the saved template can be reset', async () => {
    const ada = await createPerson(app.live.ctx, 'Ada Admin', { verified: true, isAdmin: true });
    const staff = await openPage(app.browser);
    const { page } = staff;
    await signIn(app.live, page, ada.email, { landing: '/admin' });
    await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Email templates' }).click();
    await page.getByRole('link', { name: 'password_reset' }).click();
    expect(await page.inputValue('#f-subject')).toBe('Reset your {{brand}} password');

    await page.fill('#f-subject', 'Your new {{brand}} password, {{nmae}}');
    expectRefusal(staff, 422);
    await page.getByRole('button', { name: 'Save template' }).click();
    await expect.poll(() => page.getByText('Unknown placeholder: {{nmae}}').count()).toBeGreaterThan(0);
    expect(await page.inputValue('#f-subject')).toBe('Your new {{brand}} password, {{nmae}}');

    await page.fill('#f-subject', 'Your new {{brand}} password, {{name}}');
    const url = page.url();
    await page.getByRole('button', { name: 'Preview' }).click();
    const subject = page.getByTestId('preview-subject');
    await expect.poll(() => subject.count()).toBe(1);
    expect(await subject.textContent()).toBe('Your new SkyPanel password, Ada Lovelace');
    expect(page.url()).toBe(url); // swapped in place (htmx), the form with it: the old error is gone
    expect(await page.getByText('Unknown placeholder').count()).toBe(0);
    const frame = page.frameLocator('iframe[title="HTML preview"]');
    await expect.poll(() => frame.getByRole('link', { name: 'Choose a new password' }).count()).toBe(1);
    await screenshot(page, 'email-template-preview');

    await page.getByRole('button', { name: 'Save template' }).click();
    await expect.poll(() => page.getByText('the next one sent uses it').count()).toBe(1);
    await page.getByRole('button', { name: 'Send me a test' }).click();
    await expect.poll(() => page.getByText(`queued to ${ada.email}`).count()).toBe(1);
    const sent = await app.live.ctx.db
      .selectFrom('emails')
      .select('subject')
      .where('to_address', '=', ada.email)
      .where('template', '=', 'password_reset')
      .executeTakeFirstOrThrow();
    expect(sent.subject).toBe('Your new SkyPanel password, Ada Lovelace');

    await page.getByRole('button', { name: 'Reset to default' }).click();
    await expect.poll(() => page.getByText('back to its default').count()).toBe(1);
    expect(await page.inputValue('#f-subject')).toBe('Reset your {{brand}} password');

    expectNoProblems(staff);
    await staff.context.close();
  });
});
