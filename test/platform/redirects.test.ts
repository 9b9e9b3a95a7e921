import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBrowser } from '../helpers/browser.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createPerson, PASSWORD, signedIn, uniqueEmail } from '../helpers/people.ts';

// Every case signs in: the sign-in limits are out of the way.
let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext({ RATE_LIMIT_AUTH_ACTIONS: '10000', LOGIN_IP_LOCKOUT_ATTEMPTS: '10000' });
});
afterAll(async () => ctx.close());

let ipSeq = 0;
const nextIp = () => `198.51.100.${++ipSeq}`;

/** What a browser does with these: drops tab/CR/LF, reads `\` as `/`, resolves dot segments, decodes nothing in a path. */
const HOSTILE: Array<[what: string, next: string]> = [
  ['a tab inside the leading slashes', '/\t/evil.example'],
  ['a newline inside the leading slashes', '/\n/evil.example'],
  ['a carriage return inside the leading slashes', '/\r/evil.example'],
  ['a protocol-relative URL', '//evil.example'],
  ['a slash and a backslash', '/\\evil.example'],
  ['a backslash and a slash', '\\/evil.example'],
  ['an absolute URL', 'https://evil.example/'],
  ['an absolute URL of a look-alike host', 'http://localhost:3000.evil.example/dashboard'],
  ['a leading space', ' //evil.example'],
  ['dot segments that resolve to two slashes', '/.//evil.example'],
  ['a parent segment that resolves to two slashes', '/a/..//evil.example'],
  ['encoded dot segments that resolve to two slashes', '/%2e%2e//evil.example'],
  ['an encoded tab', '/%09/evil.example'],
  ['an encoded backslash', '/%5C/evil.example'],
  ['a double-encoded protocol-relative URL', '%2F%2Fevil.example'],
  ['a double-encoded tab', '%2F%09%2Fevil.example'],
  ['a javascript: URL', 'javascript:alert(document.cookie)'],
  ['a data: URL', 'data:text/html,<script>alert(1)</script>'],
  ['something far too long', `/${'a'.repeat(400)}`],
];

describe('the destination after sign-in (`next`)', () => {
  it.each(HOSTILE)('%s lands on the default page and is never offered back in the form', async (_what, next) => {
    const nia = await createPerson(ctx, 'Nia Next', { verified: true, email: uniqueEmail('Nia Next') });
    const browser = new TestBrowser(ctx.app, nextIp());
    const page = await browser.get(`/login?next=${encodeURIComponent(next)}`);
    expect(page.status).toBe(200);
    expect(browser.lastHtml).not.toContain('name="next"');

    const res = await browser.post('/login', { email: nia.email, password: PASSWORD, next });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/dashboard');
  });

  it('a newline in `next` on the sign-in page is an ordinary page, not a server error', async () => {
    const res = await ctx.app.request('/login?next=%2F%0A%2Fevil.example');
    expect(res.status).toBe(200);
    expect(await res.text()).not.toContain('evil.example');
  });

  it('a path of this site, with its query string and fragment, survives the sign-in', async () => {
    const sam = await createPerson(ctx, 'Sam Survivor', { verified: true, email: uniqueEmail('Sam Survivor') });
    for (const next of [
      '/settings/profile',
      '/invoices?page=2&sort=date',
      '/organization/members#invitations',
      '/activity?q=a%2Fb',
    ]) {
      const browser = new TestBrowser(ctx.app, nextIp());
      await browser.get(`/login?next=${encodeURIComponent(next)}`);
      const res = await browser.post('/login', { email: sam.email, password: PASSWORD, next });
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe(next);
    }
  });

  it('the sign-in form keeps a same-site `next` for the password step', async () => {
    const browser = new TestBrowser(ctx.app, nextIp());
    await browser.get('/login?next=%2Finvoices%3Fpage%3D2');
    expect(browser.lastHtml).toContain('name="next" value="/invoices?page=2"');
  });
});

describe('going back to the referring page', () => {
  const REFERERS: Array<[what: string, referer: string, back: string]> = [
    ['a page of this site', 'http://localhost:3000/settings/profile?tab=1', '/settings/profile'],
    ['a path that a browser reads as another host', 'http://localhost:3000//evil.example/x', '/dashboard'],
    ['a look-alike host', 'http://localhost:3000.evil.example/settings', '/dashboard'],
    ['another site', 'https://evil.example/settings', '/dashboard'],
    ['no URL at all', 'not a url', '/dashboard'],
  ];

  it.each(REFERERS)(
    'after asking for a new confirmation email, the Referer of %s (%s) leads to %s',
    async (_what, referer, back) => {
      const una = await createPerson(ctx, 'Una Unverified', { email: uniqueEmail('Una Unverified') });
      const browser = await signedIn(ctx, una.email, PASSWORD, nextIp());
      await browser.get('/dashboard');
      const res = await browser.post('/email-verification', {}, { headers: { referer } });
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe(back);
    },
  );

  it.each(REFERERS)(
    'after switching organization, the Referer of %s (%s) leads to %s',
    async (_what, referer, back) => {
      const sol = await createPerson(ctx, 'Sol Switcher', { verified: true, email: uniqueEmail('Sol Switcher') });
      const browser = await signedIn(ctx, sol.email, PASSWORD, nextIp());
      await browser.get('/dashboard');
      const res = await browser.post(
        '/active-organization',
        { organization_id: sol.organization.id },
        { headers: { referer } },
      );
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe(back);
    },
  );
});

describe('a form sent by someone no longer signed in', () => {
  const nameOf = async (id: string) =>
    (await ctx.db.selectFrom('users').select('name').where('id', '=', id).executeTakeFirstOrThrow()).name;

  it('whose session ended while the form was open: 403 as a page of the site with the way back to the form, and an htmx form reloads its page, which then asks to sign in', async () => {
    const ivy = await createPerson(ctx, 'Ivy Idle', { verified: true, email: uniqueEmail('Ivy Idle') });
    const browser = await signedIn(ctx, ivy.email, PASSWORD, nextIp());
    await browser.get('/settings/profile');
    // Signed out on another device: this tab still has the form and the session's token.
    await ctx.db.deleteFrom('sessions').where('user_id', '=', ivy.id).execute();
    const form = { name: 'Ivy Changed', phone: '', timezone: 'UTC' };
    const res = await browser.post('/settings/profile', form, {
      headers: { referer: 'http://localhost/settings/profile?tab=1' },
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(browser.lastHtml).toContain('Form not accepted');
    expect(browser.lastHtml).toContain('Your form expired. Reload the page and try again.');
    expect(browser.lastHtml).toContain('href="/settings/profile?tab=1" data-testid="error-back"');
    const htmx = await browser.post('/settings/profile', form, {
      headers: { referer: 'http://localhost/settings/profile', 'hx-request': 'true' },
    });
    expect(htmx.status).toBe(403);
    expect(htmx.headers.get('hx-refresh')).toBe('true');
    expect(await nameOf(ivy.id)).toBe('Ivy Idle');
    const reloaded = await browser.get('/settings/profile');
    expect(reloaded.status).toBe(303);
    expect(reloaded.headers.get('location')).toBe(`/login?next=${encodeURIComponent('/settings/profile')}`);
  });

  it('a visitor with a public page open posting a signed-in form: 401 with a page that offers to sign in and come back; htmx is sent there; another site is never the way back', async () => {
    const ivy = await createPerson(ctx, 'Ivy Visitor', { verified: true, email: uniqueEmail('Ivy Visitor') });
    const browser = new TestBrowser(ctx.app, nextIp());
    await browser.get('/login');
    const form = { name: 'Ivy Changed', phone: '', timezone: 'UTC' };
    const res = await browser.post('/settings/profile', form, {
      headers: { referer: 'http://localhost/settings/profile?tab=1' },
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(browser.lastHtml).toContain('Sign in to continue');
    expect(browser.lastHtml).toContain('You are not signed in, or your session has ended.');
    expect(browser.lastHtml).toContain(
      `href="/login?next=${encodeURIComponent('/settings/profile?tab=1')}" data-testid="error-sign-in"`,
    );
    const htmx = await browser.post('/settings/profile', form, {
      headers: { referer: 'http://localhost/settings/profile', 'hx-request': 'true' },
    });
    expect(htmx.status).toBe(401);
    expect(htmx.headers.get('hx-redirect')).toBe(`/login?next=${encodeURIComponent('/settings/profile')}`);
    const foreign = await browser.post('/settings/profile', form, {
      headers: { referer: 'https://evil.example/settings/profile', 'hx-request': 'true' },
    });
    expect(foreign.headers.get('hx-redirect')).toBe(`/login?next=${encodeURIComponent('/dashboard')}`);
    expect(await nameOf(ivy.id)).toBe('Ivy Visitor');
  });
});
