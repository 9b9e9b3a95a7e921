import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction } from '../../src/db/index.ts';
import { createSession } from '../../src/domain/accounts/sessions.ts';
import { createOrganization } from '../../src/domain/organizations/create.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { apiClient, ISO_UTC, person, tokenFor } from './client.ts';
import { fundWallet } from '../helpers/money.ts';

let ctx: TestContext;
let started: Date;
const call = () => apiClient(ctx, '198.51.100.20');

beforeAll(async () => {
  ctx = await createTestContext();
  started = ctx.clock.now();
});
afterEach(() => ctx.clock.set(started));
afterAll(async () => ctx.close());

/** A verified person with a live access token of their own. */
async function withToken(name: string) {
  const p = await person(ctx, name);
  return { ...p, token: await tokenFor(ctx, p.email, '198.51.100.20') };
}

describe('GET /api/v1/me', () => {
  it('shows Frank, every organization he belongs to with its balance as a decimal string, and the active one', async () => {
    const frank = await withToken('Frank Fisher');
    const { token } = frank;
    await fundWallet(ctx.db, frank.organizationId, 12_345_678n);
    const acme = await inTransaction(ctx.db, (trx) =>
      createOrganization(trx, { name: 'Acme Hosting', ownerId: frank.id, personal: false, currency: 'USD' }),
    );

    const res = await call()('GET', '/me', { token });

    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['active_organization', 'organizations', 'user']);
    expect(res.body.user).toMatchObject({
      id: frank.id,
      email: frank.email,
      name: 'Frank Fisher',
      active_organization_id: frank.organizationId,
    });
    expect(res.body.user.email_verified_at).toMatch(ISO_UTC);
    expect(res.body.organizations.map((o: { id: string; balance: string }) => [o.id, o.balance])).toEqual([
      [frank.organizationId, '12.35'],
      [acme.id, '0.00'],
    ]);
    expect(res.body.active_organization).toEqual(res.body.organizations[0]);
    expect(JSON.stringify(res.body)).not.toMatch(/password|totp_secret/);
    expect(res.headers.get('ratelimit-limit')).toBe(String(ctx.config.RATE_LIMIT_AUTHENTICATED));
  });

  it('answers 401 with the envelope and a WWW-Authenticate challenge when no token is sent', async () => {
    const res = await call()('GET', '/me');
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('unauthenticated');
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="api"');
  });

  it('ignores a valid session cookie: the API only reads bearer tokens', async () => {
    const frank = await person(ctx, 'Frank Cookie');
    const session = await createSession(
      ctx.db,
      ctx.config,
      frank.id,
      'full',
      { ip: '198.51.100.20', userAgent: null },
      ctx.clock.now(),
    );
    const cookie = `${ctx.config.cookieName}=${session.token}`;
    // The cookie is good: the HTML app accepts it.
    const page = await ctx.app.request('/dashboard', { headers: { cookie, 'x-forwarded-for': '198.51.100.20' } });
    expect(page.status).toBe(200);

    const res = await call()('GET', '/me', { headers: { cookie } });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('unauthenticated');
  });

  it('ignores a token passed in the query string', async () => {
    const { token } = await withToken('Quincy Query');
    expect((await call()('GET', '/me', { token })).status).toBe(200);
    const res = await call()('GET', `/me?access_token=${token}`);
    expect(res.status).toBe(401);
  });

  it('refuses unknown, malformed and non-bearer credentials alike', async () => {
    const { token } = await withToken('Mona Malformed');
    for (const authorization of ['Bearer spt_not-a-real-token', `Basic ${token}`, `Bearer ${token} extra`, 'Bearer']) {
      const res = await call()('GET', '/me', { headers: { authorization } });
      expect(res.status, authorization).toBe(401);
      expect(res.body.error.code).toBe('unauthenticated');
    }
    expect(
      (await call()('GET', '/me', { headers: { authorization: 'Bearer spt_nope' } })).headers.get('www-authenticate'),
    ).toContain('invalid_token');
  });

  it('stops accepting a token when Sid is suspended, and accepts it again when he is reactivated', async () => {
    const sid = await withToken('Sid Suspended');
    expect((await call()('GET', '/me', { token: sid.token })).status).toBe(200);
    await ctx.db.updateTable('users').set({ status: 'suspended' }).where('id', '=', sid.id).execute();
    expect((await call()('GET', '/me', { token: sid.token })).status).toBe(401);
    await ctx.db.updateTable('users').set({ status: 'active' }).where('id', '=', sid.id).execute();
    expect((await call()('GET', '/me', { token: sid.token })).status).toBe(200);
  });

  it('accepts a token to the last millisecond of its life and not after', async () => {
    const { token } = await withToken('Eve Expiring');
    ctx.clock.advance(ctx.config.API_TOKEN_DAYS * 86_400_000 - 1);
    expect((await call()('GET', '/me', { token })).status).toBe(200);
    ctx.clock.advance(1);
    const res = await call()('GET', '/me', { token });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('unauthenticated');
  });
});
