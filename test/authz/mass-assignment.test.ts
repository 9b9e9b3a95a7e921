import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { apiClient, tokenFor } from '../api/client.ts';
import { TestBrowser } from '../helpers/browser.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { uniqueEmail } from '../helpers/people.ts';
import { browserFor, join, nextIp, person, type Person } from '../organizations/cast.ts';

/**
 * Mass assignment (issue 3, item 11): fields a client should never set — is_admin, role,
 * organization_id, owner_id and friends — sent along with registration, the profile,
 * organization settings, API keys and invitations are ignored. The organization tests
 * already cover organization creation and role changes; these are the remaining bodies.
 */

let ctx: TestContext;
let olive: Person; // owns Acme
let gus: Person; // owns Globex, a stranger to Acme
let acmeId: string;
let globexId: string;
const api = () => apiClient(ctx, '198.51.100.231');

/** Everything a hostile body names, in form (strings) and JSON shapes. */
const hostile = () => ({
  is_admin: true,
  role: 'owner',
  organization_id: globexId,
  owner_id: gus.id,
  created_by: gus.id,
  user_id: gus.id,
  status: 'active',
  email_verified_at: '2020-01-01T00:00:00Z',
  personal: true,
  predefined: true,
});
const asForm = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, String(v)]));

const userRow = (email: string) =>
  ctx.db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirstOrThrow();
const membershipsOf = (userId: string) =>
  ctx.db
    .selectFrom('organization_members as m')
    .innerJoin('organizations as o', 'o.id', 'm.organization_id')
    .innerJoin('roles as r', 'r.id', 'm.role_id')
    .select(['o.id', 'o.personal', 'o.created_by', 'r.name as role'])
    .where('m.user_id', '=', userId)
    .execute();
const organization = (id: string) =>
  ctx.db.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

beforeAll(async () => {
  ctx = await createTestContext({ RATE_LIMIT_AUTH_ACTIONS: '10000' });
});
afterAll(async () => ctx.close());
// Each test's own Olive and Gus, each with their own (personal) organization.
beforeEach(async () => {
  [olive, gus] = await Promise.all([person(ctx, 'Olive Owner'), person(ctx, 'Gus Globex')]);
  acmeId = olive.organization.id;
  globexId = gus.organization.id;
});

describe('registration', () => {
  /** The newcomer is an ordinary, unverified user who owns exactly one new personal organization, and nobody else's changed. */
  async function expectOrdinary(email: string) {
    const user = await userRow(email);
    expect(user).toMatchObject({ is_admin: false, status: 'active', email_verified_at: null });
    const orgs = await membershipsOf(user.id);
    expect(orgs).toEqual([{ id: user.active_organization_id, personal: true, created_by: user.id, role: 'owner' }]);
    expect((await membershipsOf(gus.id)).map((m) => m.id)).toEqual([globexId]);
    expect(
      (
        await ctx.db
          .selectFrom('organization_members')
          .select('user_id')
          .where('organization_id', '=', globexId)
          .execute()
      ).map((m) => m.user_id),
    ).toEqual([gus.id]);
  }

  it('through the form ignores is_admin, role, organization_id, owner_id and a verified date', async () => {
    const browser = new TestBrowser(ctx.app, nextIp());
    await browser.get('/register');
    const email = uniqueEmail('Mallory Form');
    const res = await browser.post('/register', {
      ...asForm(hostile()),
      name: 'Mallory Form',
      email,
      password: 'a long enough password',
    });
    expect(res.status).toBe(303);
    await expectOrdinary(email);
  });

  it('through the API ignores the same fields', async () => {
    const email = uniqueEmail('Mallory Api');
    const res = await api()('POST', '/auth/register', {
      body: { ...hostile(), name: 'Mallory Api', email, password: 'a long enough password' },
    });
    expect(res.status).toBe(201);
    expect(res.body.user.is_admin).toBe(false);
    await expectOrdinary(email);
  });
});

describe('the profile', () => {
  it('saves name, phone and time zone only, not is_admin, status, email or the active organization', async () => {
    const vera = await person(ctx, 'Vera Viewer');
    await join(ctx, acmeId, vera.id, 'viewer');
    const browser = await browserFor(ctx, vera);
    await browser.get('/settings/profile');
    const res = await browser.post('/settings/profile', {
      ...asForm(hostile()),
      name: 'Vera V',
      phone: '',
      timezone: 'UTC',
      email: uniqueEmail('Vera Hijack'),
      active_organization_id: globexId,
    });
    expect(res.status).toBe(303);
    expect(await userRow(vera.email)).toMatchObject({
      name: 'Vera V',
      is_admin: false,
      email: vera.email,
      active_organization_id: acmeId,
    });
    expect(await membershipsOf(vera.id)).toContainEqual(expect.objectContaining({ id: acmeId, role: 'viewer' }));
  });
});

describe('organization settings', () => {
  it('through the form change only the active organization, never another, its owner or anyone’s admin flag', async () => {
    const browser = await browserFor(ctx, olive);
    await browser.get('/organization/settings');
    const res = await browser.post('/organization/settings', {
      ...asForm(hostile()),
      name: 'Acme Form',
      website: '',
      address: '',
      tax_id: '',
    });
    expect(res.status).toBe(303);
    expect(await organization(acmeId)).toMatchObject({ name: 'Acme Form', personal: true, created_by: olive.id });
    expect(await organization(globexId)).toMatchObject({ name: gus.organization.name, created_by: gus.id });
    expect((await userRow(olive.email)).is_admin).toBe(false);
    expect(await membershipsOf(olive.id)).toEqual([
      { id: acmeId, personal: true, created_by: olive.id, role: 'owner' },
    ]);
  });

  it('through the API likewise', async () => {
    const token = await tokenFor(ctx, olive.email, '198.51.100.232');
    const res = await api()('PATCH', `/organizations/${acmeId}`, { token, body: { ...hostile(), name: 'Acme Api' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: acmeId, name: 'Acme Api', role: 'owner' });
    expect(await organization(globexId)).toMatchObject({ name: gus.organization.name, created_by: gus.id });
    expect((await userRow(olive.email)).is_admin).toBe(false);
  });
});

describe('API keys and invitations', () => {
  it('a key is always the creator’s own, whatever user_id the body names', async () => {
    const token = await tokenFor(ctx, olive.email, '198.51.100.233');
    const res = await api()('POST', '/api-keys', {
      token,
      body: {
        ...hostile(),
        organization_id: acmeId,
        name: 'mine',
        permissions: ['vps_view'],
        revoked_at: null,
        last_used_at: '2020-01-01T00:00:00Z',
      },
    });
    expect(res.status).toBe(201);
    expect(
      await ctx.db
        .selectFrom('api_keys')
        .select(['user_id', 'organization_id', 'permissions', 'last_used_at'])
        .where('id', '=', res.body.id)
        .executeTakeFirstOrThrow(),
    ).toEqual({ user_id: olive.id, organization_id: acmeId, permissions: ['vps_view'], last_used_at: null });
  });

  it('an invitation belongs to the organization in the URL and is pending, from the caller', async () => {
    const token = await tokenFor(ctx, olive.email, '198.51.100.234');
    const viewer = await ctx.db
      .selectFrom('roles')
      .select('id')
      .where('organization_id', '=', acmeId)
      .where('name', '=', 'viewer')
      .executeTakeFirstOrThrow();
    const res = await api()('POST', `/organizations/${acmeId}/invitations`, {
      token,
      body: {
        ...hostile(),
        email: uniqueEmail('Newcomer'),
        role_id: viewer.id,
        status: 'accepted',
        invited_by: gus.id,
        expires_at: '2099-01-01T00:00:00Z',
      },
    });
    expect(res.status).toBe(201);
    const row = await ctx.db
      .selectFrom('invitations')
      .selectAll()
      .where('id', '=', res.body.id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ organization_id: acmeId, status: 'pending', invited_by: olive.id, role_id: viewer.id });
    expect(row.expires_at.getTime()).toBe(ctx.clock.now().getTime() + 7 * 86_400_000);
  });
});
