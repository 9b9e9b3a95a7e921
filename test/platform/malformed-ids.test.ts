import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, tokenFor } from '../api/client.ts';
import { ROUTES } from '../authz/routes.ts';
import type { TestBrowser } from '../helpers/browser.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createPerson, PASSWORD, signedIn, uniqueEmail } from '../helpers/people.ts';

/**
 * PostgreSQL refuses a malformed uuid with an error, so an id from a URL, a form or a header
 * must be checked before it is queried: a malformed one names nothing (404), never a 500.
 */
let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext({
    RATE_LIMIT_AUTH_ACTIONS: '10000',
    RATE_LIMIT_AUTHENTICATED: '100000',
    RATE_LIMIT_ADMIN: '100000',
  });
});
afterAll(async () => ctx.close());

let ipSeq = 0;
const nextIp = () => `203.0.113.${++ipSeq}`;

/** Shaped like a uuid to a loose pattern, or not at all; none of them is one. */
const MALFORMED = [
  '-'.repeat(36),
  'g'.repeat(8) + '-0000-4000-8000-' + '0'.repeat(12),
  `${randomUUID()}x`,
  "' or 1=1 --",
  'not-an-organization',
];

async function cast() {
  const mia = await createPerson(ctx, 'Mia Member', { verified: true, email: uniqueEmail('Mia Member') });
  const ada = await createPerson(ctx, 'Ada Admin', { verified: true, isAdmin: true, email: uniqueEmail('Ada Admin') });
  return {
    mia,
    browsers: {
      member: await signedIn(ctx, mia.email, PASSWORD, nextIp()),
      admin: await signedIn(ctx, ada.email, PASSWORD, nextIp()),
    } as Record<string, TestBrowser>,
    tokens: {
      member: await tokenFor(ctx, mia.email, nextIp()),
      admin: await tokenFor(ctx, ada.email, nextIp()),
    } as Record<string, string>,
  };
}

describe('a malformed organization id', () => {
  it('in X-Organization-Id is an organization the API caller is not in: 404 on every API route', async () => {
    const { tokens } = await cast();
    const api = apiClient(ctx, nextIp());
    const routes = Object.keys(ROUTES).filter((k) => k.includes(' /api/'));
    expect(routes.length).toBeGreaterThan(20);
    for (const header of MALFORMED) {
      for (const key of routes) {
        const [method, path] = key.split(' ') as [string, string];
        const res = await api(method, path.replace(/^\/api\/v1/, '').replace(/:\w+/g, randomUUID()), {
          token: tokens.member,
          headers: { 'x-organization-id': header },
        });
        expect(res.status, `${key} with X-Organization-Id ${header}`).toBe(404);
        expect(res.body.error.code).toBe('not_found');
      }
    }
    // The token still works: nothing above was mistaken for a sign-out.
    expect((await api('GET', '/me', { token: tokens.member })).status).toBe(200);
  });

  it('named by an API key’s caller is refused the same way', async () => {
    const { mia, tokens } = await cast();
    const api = apiClient(ctx, nextIp());
    const made = await api('POST', '/api-keys', {
      token: tokens.member,
      body: { name: 'Probe', organization_id: mia.organization.id, permissions: ['billing_view'] },
    });
    expect(made.status).toBe(201);
    for (const header of MALFORMED)
      expect(
        (await api('GET', '/wallet', { token: made.body.key, headers: { 'x-organization-id': header } })).status,
        header,
      ).toBe(404);
  });

  it('posted to the organization switcher is not found, and the active organization stays', async () => {
    const { mia, browsers } = await cast();
    for (const id of MALFORMED) {
      const res = await browsers.member!.post('/active-organization', { organization_id: id });
      expect(res.status, id).toBe(404);
    }
    const user = await ctx.db
      .selectFrom('users')
      .select('active_organization_id')
      .where('id', '=', mia.id)
      .executeTakeFirstOrThrow();
    expect(user.active_organization_id ?? mia.organization.id).toBe(mia.organization.id);
  });
});

describe('a malformed id anywhere', () => {
  it('in a path parameter or a form field of any page or API route answers 4xx, never 500', async () => {
    const { browsers, tokens } = await cast();
    const failures: string[] = [];
    for (const key of Object.keys(ROUTES).filter((k) => /:\w+/.test(k))) {
      const [method, path] = key.split(' ') as [string, string];
      for (const bad of MALFORMED) {
        const url = path.replace(/:\w+/g, encodeURIComponent(bad));
        const fields = {
          organization_id: bad,
          role_id: bad,
          user_id: bad,
          to: bad,
          payment_id: bad,
          adjustment_id: bad,
        };
        for (const who of ['member', 'admin']) {
          let status: number;
          if (path.startsWith('/api/')) {
            const body = method === 'GET' || method === 'DELETE' ? undefined : fields;
            status = (
              await apiClient(ctx, nextIp())(method, url.replace(/^\/api\/v1/, ''), { token: tokens[who], body })
            ).status;
          } else {
            const browser = browsers[who]!;
            status = (method === 'GET' ? await browser.get(url) : await browser.post(url, fields, { method })).status;
          }
          if (status >= 500) failures.push(`${who} ${method} ${url}: ${status}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });
});
