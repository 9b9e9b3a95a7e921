import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createPerson, PASSWORD, signedIn, uniqueEmail } from '../helpers/people.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => ctx.close());

const person = (name: string) => createPerson(ctx, name, { verified: true, email: uniqueEmail(name) });
const secretOf = async (userId: string) =>
  (await ctx.db.selectFrom('users').select('totp_secret').where('id', '=', userId).executeTakeFirstOrThrow())
    .totp_secret;

describe('starting two-factor setup', () => {
  it('asks for the password: a wrong one answers 422 with the form again and starts nothing', async () => {
    const tia = await person('Tia Twofactor');
    const browser = await signedIn(ctx, tia.email, PASSWORD, '192.0.2.150');
    await browser.get('/settings/security');
    expect(browser.lastHtml).toContain('name="password"');

    const wrong = await browser.post('/settings/two-factor', { password: 'not my password' });
    expect(wrong.status).toBe(422);
    const html = await wrong.text();
    expect(html).toContain('That is not your password.');
    expect(html).toContain('Set up two-factor authentication</button>');
    expect(html).not.toContain('data-testid="totp-secret"');
    expect(await secretOf(tia.id)).toBeNull();

    const right = await browser.post('/settings/two-factor', { password: PASSWORD });
    expect(right.status).toBe(200);
    const secret = /data-testid="totp-secret">([A-Z2-7]+)</.exec(await right.text())![1]!;
    expect(await secretOf(tia.id)).not.toBeNull();
    const code = await generate({ secret, epoch: Math.floor(ctx.clock.now().getTime() / 1000) });
    const on = await browser.post('/settings/two-factor/confirmation', { code });
    expect(on.status).toBe(200);
    expect(await on.text()).toContain('Your recovery codes');
  });

  it('cannot be skipped: confirming with no setup started by password starts nothing and sends back to the security page', async () => {
    const tom = await person('Tom Shortcut');
    const browser = await signedIn(ctx, tom.email, PASSWORD, '192.0.2.151');
    await browser.get('/settings/security');
    const res = await browser.post('/settings/two-factor/confirmation', { code: '123456' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/settings/security');
    expect(await secretOf(tom.id)).toBeNull();
  });

  it('is no place to guess the password: after 5 wrong ones even the right one waits, here and on the other password forms', async () => {
    const gus = await person('Gus Guess');
    const browser = await signedIn(ctx, gus.email, PASSWORD, '192.0.2.152');
    await browser.get('/settings/security');
    for (let i = 0; i < 5; i++)
      expect((await browser.post('/settings/two-factor', { password: `guess ${i}` })).status).toBe(422);
    const locked = await browser.post('/settings/two-factor', { password: PASSWORD });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBe(900);
    expect(await locked.text()).toContain('Too many wrong passwords');
    expect(await secretOf(gus.id)).toBeNull();

    await browser.get('/settings/password');
    expect(
      (await browser.post('/settings/password', { current_password: PASSWORD, new_password: 'a brand new password' }))
        .status,
    ).toBe(429);
  });
});
