import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { TestBrowser } from '../helpers/browser.ts';
import { createPerson, uniqueEmail } from '../helpers/people.ts';
import { receivedEmail } from '../helpers/mail.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => ctx.close());

const count = async (table: 'users' | 'organizations' | 'wallets' | 'emails') =>
  Number(
    (
      await ctx.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

/** Posts the form, expects 422 with the form again marking `field`, and no row of any kind written. */
async function expectRefused(form: Record<string, string>, field: string): Promise<string> {
  const before = await Promise.all([count('users'), count('organizations'), count('wallets'), count('emails')]);
  const browser = new TestBrowser(ctx.app);
  await browser.get('/register');
  const res = await browser.post('/register', form);
  expect(res.status).toBe(422);
  const html = await res.text();
  expect(html).toContain('id="register-form"');
  expect(html).toContain(`id="e-${field}"`);
  expect(html).not.toContain(form.password);
  expect(await Promise.all([count('users'), count('organizations'), count('wallets'), count('emails')])).toEqual(
    before,
  );
  return html;
}

describe('registration', () => {
  it('creates the user, a personal organization with its wallet and owner membership, and signs Alice in', async () => {
    const browser = new TestBrowser(ctx.app);
    await browser.get('/register');
    const res = await browser.post('/register', {
      name: 'Alice Able',
      email: 'Alice@Example.test',
      password: 'a good password',
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/dashboard');

    const user = await ctx.db
      .selectFrom('users')
      .selectAll()
      .where('email', '=', 'alice@example.test')
      .executeTakeFirstOrThrow();
    expect(user.password_hash).toMatch(/^\$2[aby]\$04\$/);
    expect(user.email_verified_at).toBeNull();
    const membership = await ctx.db
      .selectFrom('organization_members as m')
      .innerJoin('roles as r', 'r.id', 'm.role_id')
      .innerJoin('wallets as w', 'w.organization_id', 'm.organization_id')
      .select(['r.name', 'w.balance', 'm.organization_id'])
      .where('m.user_id', '=', user.id)
      .executeTakeFirstOrThrow();
    expect(membership.name).toBe('owner');
    expect(membership.balance).toBe(0n);
    expect(user.active_organization_id).toBe(membership.organization_id);

    const dashboard = await browser.get('/dashboard');
    expect(dashboard.status).toBe(200);
    const html = await dashboard.text();
    expect(html).toContain('Welcome, Alice Able');
    expect(html).toContain('$0.00');
    expect(html).toContain('Please confirm your email address');

    const welcome = (await receivedEmail(ctx, 'alice@example.test'))!;
    expect(welcome.template).toBe('welcome');
    expect(welcome.text).toMatch(/http:\/\/localhost:3000\/verify-email\/[\w-]{40,}/);
  });

  it('confirms the email address through the emailed link, once', async () => {
    const vera = await createPerson(ctx, 'Vera Verify', { email: uniqueEmail('Vera Verify') });
    const welcome = (await receivedEmail(ctx, vera.email, 'welcome'))!;
    const link = /\/verify-email\/[\w-]+/.exec(welcome.text)![0];
    const verifiedAt = async () =>
      (await ctx.db.selectFrom('users').select('email_verified_at').where('id', '=', vera.id).executeTakeFirstOrThrow())
        .email_verified_at;
    expect(await verifiedAt()).toBeNull();
    const browser = new TestBrowser(ctx.app);
    expect((await browser.get(link)).status).toBe(303);
    expect(await verifiedAt()).toEqual(ctx.clock.now());
    expect((await browser.get(link)).status).toBe(404);
  });

  it.each([
    ['a missing name', { name: '', email: 'bob@example.test', password: 'a good password' }, 'name'],
    ['an invalid email', { name: 'Bob', email: 'not-an-email', password: 'a good password' }, 'email'],
    ['a short password', { name: 'Bob', email: 'bob@example.test', password: 'short' }, 'password'],
    ['a password over 72 bytes', { name: 'Bob', email: 'bob@example.test', password: 'é'.repeat(37) }, 'password'],
  ])('refuses %s with 422, the form again and nothing written', async (_label, form, field) => {
    await expectRefused(form, field);
  });

  it('refuses an email already registered, whatever its case, with 422 and nothing written', async () => {
    const taken = await createPerson(ctx, 'Tess Taken', { email: uniqueEmail('Tess Taken') });
    const html = await expectRefused(
      { name: 'Bob', email: taken.email.toUpperCase(), password: 'a good password' },
      'email',
    );
    expect(html).toContain('An account with this email address already exists');
  });

  it('answers an htmx request aimed at the form with the form partial only', async () => {
    const browser = new TestBrowser(ctx.app);
    await browser.get('/register');
    const res = await browser.post(
      '/register',
      { name: '', email: 'x', password: 'y' },
      { headers: { 'hx-request': 'true', 'hx-target': 'register-form' } },
    );
    expect(res.status).toBe(422);
    expect(res.headers.get('vary')).toContain('HX-Request');
    const html = await res.text();
    expect(html.trim().startsWith('<form id="register-form"')).toBe(true);
    expect(html).not.toContain('<html');
  });

  it('refuses a registration without the CSRF token with 403 and creates nothing', async () => {
    const before = await count('users');
    const browser = new TestBrowser(ctx.app);
    await browser.get('/register');
    const res = await browser.post(
      '/register',
      { name: 'Mallory', email: 'mallory@example.test', password: 'a good password' },
      { csrf: false },
    );
    expect(res.status).toBe(403);
    expect(await count('users')).toBe(before);
  });

  it('refuses a cross-site form post even with a token', async () => {
    const browser = new TestBrowser(ctx.app);
    await browser.get('/register');
    const before = await count('users');
    const res = await browser.post(
      '/register',
      { name: 'Mallory', email: 'mallory@example.test', password: 'a good password' },
      { headers: { 'sec-fetch-site': 'cross-site' } },
    );
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('Cross-site request refused');
    expect(await count('users')).toBe(before);
  });

  it('refuses a body-less unsafe request without a Content-Type', async () => {
    const browser = new TestBrowser(ctx.app);
    await browser.get('/login');
    const res = await ctx.app.request('/logout', {
      method: 'POST',
      headers: { cookie: [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
    });
    expect(res.status).toBe(403);
  });
});
