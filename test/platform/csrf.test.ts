import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestBrowser } from '../helpers/browser.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createPerson, PASSWORD, signedIn, uniqueEmail } from '../helpers/people.ts';

// Every case signs people in and posts many times: the sign-in limit is out of the way.
let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext({ RATE_LIMIT_AUTH_ACTIONS: '1000' });
});
afterAll(async () => ctx.close());

let ipSeq = 0;
const nextIp = () => `192.0.2.${++ipSeq}`;
const person = (name: string, opts: { isAdmin?: boolean } = {}) =>
  createPerson(ctx, name, { verified: true, email: uniqueEmail(name), ...opts });
const browserOf = async (p: { email: string }) => signedIn(ctx, p.email, PASSWORD, nextIp());

/** A signed-in victim, one form they may post, and what that form changes in the database. */
interface Case {
  victim: TestBrowser;
  path: string;
  method?: string;
  form: Record<string, string>;
  /** What the form changes, read from the database. */
  effect: () => Promise<unknown>;
  /** The answer to the form posted with the right token. */
  done: number;
}

const userRow = (id: string) =>
  ctx.db.selectFrom('users').select(['name', 'status', 'timezone']).where('id', '=', id).executeTakeFirstOrThrow();

const AREAS: Array<[area: string, arrange: () => Promise<Case>]> = [
  [
    'settings: the profile form',
    async () => {
      const pia = await person('Pia Profile');
      return {
        victim: await browserOf(pia),
        path: '/settings/profile',
        form: { name: 'Hijacked', phone: '', timezone: 'Asia/Tokyo' },
        effect: () => userRow(pia.id),
        done: 303,
      };
    },
  ],
  [
    'settings: signing out another device',
    async () => {
      const dee = await person('Dee Devices');
      const victim = await browserOf(dee);
      const phoneIp = nextIp();
      await signedIn(ctx, dee.email, PASSWORD, phoneIp);
      const phone = await ctx.db
        .selectFrom('sessions')
        .select('id')
        .where('user_id', '=', dee.id)
        .where('ip', '=', phoneIp)
        .executeTakeFirstOrThrow();
      const live = () =>
        ctx.db.selectFrom('sessions').select('id').where('user_id', '=', dee.id).orderBy('id').execute();
      return { victim, path: `/settings/sessions/${phone.id}`, method: 'DELETE', form: {}, effect: live, done: 200 };
    },
  ],
  [
    'portal: creating an organization',
    async () => {
      const ora = await person('Ora Organizer');
      const owned = () =>
        ctx.db
          .selectFrom('organization_members')
          .select('organization_id')
          .where('user_id', '=', ora.id)
          .orderBy('organization_id')
          .execute();
      return {
        victim: await browserOf(ora),
        path: '/organizations',
        form: { name: 'Mallory Holdings' },
        effect: owned,
        done: 303,
      };
    },
  ],
  [
    'portal: signing out',
    async () => {
      const sol = await person('Sol Signout');
      const live = () => ctx.db.selectFrom('sessions').select('id').where('user_id', '=', sol.id).execute();
      return { victim: await browserOf(sol), path: '/logout', form: {}, effect: live, done: 303 };
    },
  ],
  [
    'admin: suspending a customer',
    async () => {
      const admin = await person('Ada Admin', { isAdmin: true });
      const cara = await person('Cara Customer');
      return {
        victim: await browserOf(admin),
        path: `/admin/users/${cara.id}/suspension`,
        form: {},
        effect: () => userRow(cara.id),
        done: 303,
      };
    },
  ],
  [
    'admin: crediting a wallet',
    async () => {
      const admin = await person('Abe Admin', { isAdmin: true });
      const will = await person('Will Wallet');
      const balance = async () =>
        (
          await ctx.db
            .selectFrom('wallets')
            .select('balance')
            .where('organization_id', '=', will.organization.id)
            .executeTakeFirstOrThrow()
        ).balance;
      const form = { adjustment_id: randomUUID(), direction: 'credit', amount: '500.00', reason: 'Forged' };
      return {
        victim: await browserOf(admin),
        path: `/admin/billing/organizations/${will.organization.id}/adjustments`,
        form,
        effect: balance,
        done: 303,
      };
    },
  ],
];

describe('CSRF: a signed-in session’s form needs that session’s token', () => {
  it.each(AREAS)(
    '%s is refused with 403 without the token, with a wrong one or another session’s, and nothing changes',
    async (_area, arrange) => {
      const c = await arrange();
      const mallory = await browserOf(await person('Mallory Maker'));
      expect(mallory.csrf).toMatch(/.{16,}/);
      expect(c.victim.csrf).not.toBe(mallory.csrf);
      const before = await c.effect();
      const method = c.method ?? 'POST';

      const forged: Array<[string, () => Promise<Response>]> = [
        ['no token', () => c.victim.post(c.path, c.form, { method, csrf: false })],
        ['a made-up token', () => c.victim.post(c.path, { ...c.form, _csrf: 'x'.repeat(32) }, { method })],
        ['an empty token', () => c.victim.post(c.path, { ...c.form, _csrf: '' }, { method })],
        ["another session's token", () => c.victim.post(c.path, { ...c.form, _csrf: mallory.csrf }, { method })],
        [
          "another session's token in the htmx header",
          () => c.victim.post(c.path, c.form, { method, csrf: false, headers: { 'x-csrf-token': mallory.csrf } }),
        ],
      ];
      for (const [label, send] of forged) {
        const res = await send();
        expect(res.status, label).toBe(403);
        expect(await res.text(), label).toContain('Your form expired');
        expect(await c.effect(), label).toEqual(before);
      }

      // The same form with the right token does what it says: the refusals above were the token's.
      const res = await c.victim.post(c.path, c.form, { method });
      expect(res.status).toBe(c.done);
      expect(await c.effect()).not.toEqual(before);
    },
  );
});

/** Posts the profile form as `browser` with its token, but with exactly the headers given (no Sec-Fetch-Site unless named). */
function postProfile(browser: TestBrowser, form: Record<string, string>, headers: Record<string, string>) {
  const cookie = [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  return ctx.app.request('/settings/profile', {
    method: 'POST',
    headers: {
      cookie,
      'content-type': 'application/x-www-form-urlencoded',
      'x-forwarded-for': '198.51.100.200',
      ...headers,
    },
    body: new URLSearchParams({ _csrf: browser.csrf, ...form }),
  });
}

describe('CSRF: where the request comes from', () => {
  it('refuses a form from another origin when the browser sends no Sec-Fetch-Site, even with the right token', async () => {
    const pia = await person('Pia Origin');
    const browser = await browserOf(pia);
    for (const origin of [
      'https://evil.example',
      'http://localhost:3000.evil.example',
      'http://localhost:3001',
      'https://localhost:3000',
    ]) {
      const res = await postProfile(browser, { name: 'From elsewhere', timezone: 'UTC' }, { origin });
      expect(res.status, origin).toBe(403);
      expect(await res.text(), origin).toContain('Cross-site request refused');
    }
    expect((await userRow(pia.id)).name).toBe('Pia Origin');
  });

  it('refuses a form whose Origin is `null` or no origin at all as cross-site (403, never a server error), even with the right token', async () => {
    const noa = await person('Noa Nullorigin');
    const browser = await browserOf(noa);
    // A sandboxed frame or a data: URL sends `Origin: null`; the rest are not origins.
    for (const origin of [
      'null',
      '',
      'http://[::1',
      'not a url',
      'localhost:3000',
      'file:///etc/passwd',
      'http://localhost:3000 http://evil.example',
    ]) {
      const res = await postProfile(
        browser,
        { name: 'From nowhere', timezone: 'UTC' },
        { origin, host: 'localhost:3000' },
      );
      expect(res.status, origin).toBe(403);
      expect(await res.text(), origin).toContain('Cross-site request refused');
    }
    expect((await userRow(noa.id)).name).toBe('Noa Nullorigin');
  });

  it('accepts a form from its own origin when the browser sends no Sec-Fetch-Site', async () => {
    const pia = await person('Pia Home');
    const browser = await browserOf(pia);
    // PUBLIC_URL is http://localhost:3000 in tests.
    const res = await postProfile(
      browser,
      { name: 'Pia at home', timezone: 'UTC' },
      { origin: 'http://localhost:3000' },
    );
    expect(res.status).toBe(303);
    expect((await userRow(pia.id)).name).toBe('Pia at home');
    // Behind a proxy the Host header names the site: an Origin on that host is this site too.
    const proxied = await postProfile(
      browser,
      { name: 'Pia proxied', timezone: 'UTC' },
      { origin: 'https://panel.example', host: 'panel.example' },
    );
    expect(proxied.status).toBe(303);
    expect((await userRow(pia.id)).name).toBe('Pia proxied');
  });

  it('leaves a request with neither Sec-Fetch-Site nor Origin to the token', async () => {
    const nat = await person('Nat Noheaders');
    const browser = await browserOf(nat);
    const refused = await ctx.app.request('/settings/profile', {
      method: 'POST',
      headers: {
        cookie: [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ name: 'No token', timezone: 'UTC' }),
    });
    expect(refused.status).toBe(403);
    expect((await userRow(nat.id)).name).toBe('Nat Noheaders');
    const accepted = await postProfile(browser, { name: 'Nat with token', timezone: 'UTC' }, {});
    expect(accepted.status).toBe(303);
    expect((await userRow(nat.id)).name).toBe('Nat with token');
  });

  it('refuses a signed-in form from another site or a sibling subdomain (Sec-Fetch-Site), even with the right token', async () => {
    const sia = await person('Sia Sitecheck');
    const browser = await browserOf(sia);
    for (const site of ['cross-site', 'same-site']) {
      const res = await browser.post(
        '/settings/profile',
        { name: 'From a sibling', timezone: 'UTC' },
        { headers: { 'sec-fetch-site': site } },
      );
      expect(res.status, site).toBe(403);
      expect(await res.text()).toContain('Cross-site request refused');
    }
    expect((await userRow(sia.id)).name).toBe('Sia Sitecheck');
  });
});

describe('CSRF: the token as pages print it', () => {
  it('is masked afresh in every response (never the session’s token itself), and each masked copy is accepted', async () => {
    const p = await person('Bree Breach');
    const b = await browserOf(p);
    const { csrf_token: secret } = await ctx.db
      .selectFrom('sessions')
      .select('csrf_token')
      .where('user_id', '=', p.id)
      .orderBy('created_at', 'desc')
      .executeTakeFirstOrThrow();
    const printed: string[] = [];
    for (let i = 0; i < 3; i++) {
      await b.get('/settings/profile');
      expect(b.lastHtml).not.toContain(secret);
      printed.push(/name="csrf-token" content="([^"]+)"/.exec(b.lastHtml)![1]!);
    }
    expect(new Set(printed).size).toBe(3);
    for (const token of printed) {
      const res = await b.post('/settings/profile', { name: 'Bree Breach', phone: '', timezone: 'UTC', _csrf: token });
      expect(res.status).toBe(303);
    }
  });
});
