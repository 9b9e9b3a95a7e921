import { describe, expect, it } from 'vitest';
import { createPerson, uniqueEmail } from '../test/helpers/people.ts';
import { expectNoProblems, expectRefusal, watchPage, openPage, screenshot, signIn, useLiveApp } from './helpers.ts';

const app = useLiveApp();

const PHONE_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';

describe('security screens', () => {
  it('Olive, signed in on her laptop and her phone, sees both devices in Settings → Security and signs the phone out from the laptop; the phone is back at sign-in', async () => {
    const olive = await createPerson(app.live.ctx, 'Olive Owner', {
      verified: true,
      email: uniqueEmail('Olive Owner'),
    });
    const laptop = await openPage(app.browser);
    await signIn(app.live, laptop.page, olive.email);
    const phoneContext = await app.browser.newContext({ viewport: { width: 390, height: 800 }, userAgent: PHONE_UA });
    const phone = { context: phoneContext, ...(await watchPage(await phoneContext.newPage())) };
    await signIn(app.live, phone.page, olive.email);

    const { page } = laptop;
    await page.getByRole('link', { name: 'Security' }).click();
    await page.waitForURL(`${app.live.origin}/settings/security`);
    const sessions = page.locator('#sessions > ul > li');
    expect(await sessions.count()).toBe(2);
    const here = sessions.filter({ hasText: 'This device' });
    expect(await here.locator('p').first().textContent()).toBe('Chrome on Linux');
    const there = sessions.filter({ hasText: 'Safari on iOS' });
    expect(await there.textContent()).toContain('IP 127.0.0.1');
    expect(await there.getByText('This device').count()).toBe(0);
    expect(await here.getByRole('button', { name: 'Sign out' }).count()).toBe(0);
    await screenshot(page, 'security-sessions');

    await there.getByRole('button', { name: 'Sign out' }).click();
    await expect.poll(() => sessions.count()).toBe(1);
    expect(await sessions.first().textContent()).toContain('This device');
    expect(await page.getByRole('button', { name: 'Sign out all other sessions' }).count()).toBe(0);

    // The phone's next page asks it to sign in again; the laptop carries on.
    await phone.page.goto(`${app.live.origin}/dashboard`);
    expect(new URL(phone.page.url()).pathname).toBe('/login');
    await page.reload();
    expect(new URL(page.url()).pathname).toBe('/settings/security');
    expect(await sessions.count()).toBe(1);

    expectNoProblems(laptop, phone);
    await laptop.context.close();
    await phone.context.close();
  });

  it('Ada blocks an address on /admin/security (a bad network and her own address refused, with what she typed kept), sees the rule listed and counted, then deletes it', async () => {
    const ada = await createPerson(app.live.ctx, 'Ada Admin', {
      isAdmin: true,
      verified: true,
      email: uniqueEmail('Ada Admin'),
    });
    const staff = await openPage(app.browser);
    const { page } = staff;
    const origin = app.live.origin;
    await signIn(app.live, page, ada.email, { landing: '/admin' });
    await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Security' }).click();
    await page.waitForURL(`${origin}/admin/security`);
    expect(await page.getByTestId('live-blocks').textContent()).toBe('0');
    await page.getByRole('navigation', { name: 'Security' }).getByRole('link', { name: 'IP rules' }).click();
    await page.waitForURL(`${origin}/admin/security/rules`);
    const rules = page.getByTestId('ip-rules');
    expect(await rules.textContent()).toContain('No IP rules.');

    await page.fill('#f-network', '203.0.113.0/33');
    await page.fill('#f-note', 'Credential stuffing, ticket 4312');
    expectRefusal(staff, 422);
    await page.getByRole('button', { name: 'Save rule' }).click();
    await expect
      .poll(() => page.locator('#e-network').textContent())
      .toBe('“203.0.113.0/33” is not an IP address or a network (CIDR).');
    expect(await page.inputValue('#f-network')).toBe('203.0.113.0/33');
    expect(await page.inputValue('#f-note')).toBe('Credential stuffing, ticket 4312');
    expect(await rules.textContent()).toContain('No IP rules.');

    // Her own address (the browser comes from 127.0.0.1) would lock her out.
    await page.fill('#f-network', '127.0.0.0/8');
    expectRefusal(staff, 422);
    await page.getByRole('button', { name: 'Save rule' }).click();
    await expect.poll(() => page.locator('#e-network').textContent()).toContain('This would block your own address');
    await screenshot(page, 'security-rule-refused');

    await page.fill('#f-network', '203.0.113.7');
    await page.selectOption('#f-duration', '1d');
    await page.getByRole('button', { name: 'Save rule' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('Blocked 203.0.113.7.');
    const row = rules.getByRole('row', { name: /203\.0\.113\.7/ });
    expect(await row.getByRole('cell').nth(1).textContent()).toBe('block');
    expect(await row.textContent()).toContain('(Active)');
    expect(await row.textContent()).toContain('Credential stuffing, ticket 4312');
    expect(await row.textContent()).toContain(`by ${ada.email}`);

    await page.getByRole('navigation', { name: 'Security' }).getByRole('link', { name: 'Rate-limit monitor' }).click();
    await page.waitForURL(`${origin}/admin/security`);
    expect(await page.getByTestId('live-blocks').textContent()).toBe('1');
    await page.getByRole('navigation', { name: 'Security' }).getByRole('link', { name: 'IP rules' }).click();
    await page.waitForURL(`${origin}/admin/security/rules`);

    await row.getByRole('button', { name: 'Delete the rule for 203.0.113.7' }).click();
    await expect
      .poll(() => page.getByRole('status').textContent())
      .toContain('The block rule for 203.0.113.7 is deleted.');
    expect(await rules.textContent()).toContain('No IP rules.');

    expectNoProblems(staff);
    await staff.context.close();
  });

  it('Ada gives Olive a higher rate limit on /admin/security/overrides (an unknown user and a bad limit refused first) and sees it listed; she removes it', async () => {
    const ada = await createPerson(app.live.ctx, 'Ada Admin', {
      isAdmin: true,
      verified: true,
      email: uniqueEmail('Ada Admin'),
    });
    const olive = await createPerson(app.live.ctx, 'Olive Owner', {
      verified: true,
      email: uniqueEmail('Olive Owner'),
    });
    const staff = await openPage(app.browser);
    const { page } = staff;
    const origin = app.live.origin;
    await signIn(app.live, page, ada.email, { landing: '/admin' });
    await page.goto(`${origin}/admin/security`);
    await page.getByRole('navigation', { name: 'Security' }).getByRole('link', { name: 'User overrides' }).click();
    await page.waitForURL(`${origin}/admin/security/overrides`);
    const overrides = page.getByTestId('overrides');
    expect(await overrides.textContent()).toContain('No overrides');

    await page.fill('#f-user', 'nobody@example.test');
    await page.getByLabel('An explicit limit').check();
    await page.fill('#f-maxRequests', 'lots');
    await page.fill('#f-note', 'CI pipeline polls the API');
    expectRefusal(staff, 422);
    await page.getByRole('button', { name: 'Save override' }).click();
    await expect.poll(() => page.locator('#e-user').textContent()).toBe('No user has that email address.');
    expect(await page.locator('#e-maxRequests').textContent()).toBe(
      'Enter a whole number of requests per window, from 1 to 10,000,000.',
    );
    expect(await page.inputValue('#f-user')).toBe('nobody@example.test');
    expect(await page.getByLabel('An explicit limit').isChecked()).toBe(true);
    expect(await page.inputValue('#f-note')).toBe('CI pipeline polls the API');

    await page.fill('#f-user', olive.email);
    await page.fill('#f-maxRequests', '5000');
    await page.getByRole('button', { name: 'Save override' }).click();
    await expect
      .poll(() => page.getByRole('status').textContent())
      .toContain(`The override for ${olive.email} is saved.`);
    const row = overrides.getByRole('row', { name: new RegExp(olive.email.replace(/\./g, '\\.')) });
    expect(await row.getByRole('cell').nth(0).textContent()).toContain('Olive Owner');
    expect(await row.getByRole('cell').nth(1).textContent()).toBe('5,000 per window');
    expect(await row.getByRole('cell').nth(2).textContent()).toBe('never');
    expect(await row.getByRole('cell').nth(3).textContent()).toBe('CI pipeline polls the API');
    await screenshot(page, 'security-overrides');

    await page.getByRole('navigation', { name: 'Security' }).getByRole('link', { name: 'Rate-limit monitor' }).click();
    await page.waitForURL(`${origin}/admin/security`);
    expect(await page.getByRole('link', { name: /active user overrides/ }).textContent()).toContain('1');
    await page.getByRole('navigation', { name: 'Security' }).getByRole('link', { name: 'User overrides' }).click();
    await page.waitForURL(`${origin}/admin/security/overrides`);

    await row.getByRole('button', { name: `Remove the override for ${olive.email}` }).click();
    await expect
      .poll(() => page.getByRole('status').textContent())
      .toContain(`The override for ${olive.email} is removed.`);
    expect(await overrides.textContent()).toContain('No overrides');

    expectNoProblems(staff);
    await staff.context.close();
  });
});
