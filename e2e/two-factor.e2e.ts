import { describe, expect, it } from 'vitest';
import { expectNoProblems, openPage, screenshot, totpCode, useLiveApp } from './helpers.ts';

const app = useLiveApp();

describe('two-factor authentication', () => {
  it('Carol registers, turns on two-factor, and from then on signs in with a code from her app', async () => {
    const tab = await openPage(app.browser);
    const { page } = tab;
    const carol = { name: 'Carol Chen', email: 'carol.chen@example.test', password: 'carol keeps it long' };

    await page.goto(`${app.live.origin}/register`);
    await page.fill('#f-name', carol.name);
    await page.fill('#f-email', carol.email);
    await page.fill('#f-password', carol.password);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL(`${app.live.origin}/dashboard`);
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe(`Welcome, ${carol.name}`);
    expect(await page.textContent('main')).toContain('Two-factor is off');
    await screenshot(page, 'dashboard');

    await page.getByRole('link', { name: 'Security' }).click();
    await page.waitForURL(`${app.live.origin}/settings/security`);
    await screenshot(page, 'security');
    // Binding an authenticator asks for the password again.
    await page.fill('#f-password', carol.password);
    await page.getByRole('button', { name: 'Set up two-factor authentication' }).click();
    const secret = (await page.getByTestId('totp-secret').textContent())!.trim();
    expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
    await page.fill('#f-code', await totpCode(app.live.ctx, secret));
    await page.getByRole('button', { name: 'Turn on' }).click();
    const codes = (await page.getByTestId('recovery-codes').locator('li').allTextContents()).map((c) => c.trim());
    expect(codes).toHaveLength(10);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Two-factor authentication is on');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${app.live.origin}/login`);

    await page.fill('#f-email', carol.email);
    await page.fill('#f-password', carol.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${app.live.origin}/login/two-factor`);

    // Half signed in: the password alone opens nothing.
    await page.goto(`${app.live.origin}/dashboard`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.goto(`${app.live.origin}/login/two-factor`);

    // The setup code used this step; the next one is still within the server's window.
    await page.fill('#f-code', await totpCode(app.live.ctx, secret, 1));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.waitForURL(`${app.live.origin}/dashboard`);
    expect(await page.textContent('main')).toContain('Two-factor is on');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${app.live.origin}/login`);
    expect(await page.getByRole('status').textContent()).toContain('You are signed out.');

    await tab.context.close();
    expectNoProblems(tab);
  });
});
