import { Hono } from 'hono';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { apiClient, ISO_UTC, person, tokenFor } from '../api/client.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createApiKey, listApiKeys, revokeApiKey } from '../../src/domain/api-keys/keys.ts';
import { bearerAuth } from '../../src/web/api/v1/bearer-auth.ts';
import { cookieOf, requestActor } from '../authz/actors.ts';
import { PASSWORD, signedIn } from '../helpers/people.ts';
import { changeRole, joinAs, keyFor } from './helpers.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => ctx.close());

// Tests that move the clock put it back.
let start: Date;
beforeEach(() => {
  start = ctx.clock.now();
});
afterEach(() => ctx.clock.set(start));

describe('API keys over the JSON API', () => {
  it('creates a key for Bob with an access token, returning the secret once and never again', async () => {
    const bob = await person(ctx, 'Bob Brown');
    const call = apiClient(ctx, '198.51.100.40');
    const token = await tokenFor(ctx, bob.email, '198.51.100.40');
    const created = await call('POST', '/api-keys', {
      token,
      body: {
        name: 'ci',
        organization_id: bob.organizationId,
        permissions: ['vps_view', 'billing_view'],
        expires_at: '2999-01-31',
      },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'ci',
      organization_id: bob.organizationId,
      permissions: ['vps_view', 'billing_view'],
      last_used_at: null,
    });
    expect(created.body.key).toMatch(/^spk_[\w-]{43}$/);
    expect(created.body.prefix).toBe(created.body.key.slice(0, 12));
    expect(created.body.created_at).toMatch(ISO_UTC);
    expect(created.body.expires_at).toBe('2999-02-01T00:00:00.000Z');

    const list = await call('GET', '/api-keys', { token });
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ has_more: false, next_cursor: null });
    expect(list.body.data).toHaveLength(1);
    expect(list.body.data[0].id).toBe(created.body.id);
    expect(list.body.data[0].key).toBeUndefined();
    expect(JSON.stringify(list.body)).not.toContain(created.body.key);
  });

  it('refuses with 422 an unknown permission, one Bob lacks, an organization he is not in, and a past expiry', async () => {
    const owner = await person(ctx, 'Olga Owner');
    const bob = await person(ctx, 'Bob Bishop');
    await joinAs(ctx, owner.organizationId, bob.id, 'member');
    const call = apiClient(ctx, '198.51.100.41');
    const token = await tokenFor(ctx, bob.email, '198.51.100.41');
    const stranger = await person(ctx, 'Sam Stranger');
    const attempt = (body: Record<string, unknown>) =>
      call('POST', '/api-keys', {
        token,
        body: { name: 'k', organization_id: owner.organizationId, permissions: ['vps_view'], ...body },
      });

    const unknown = await attempt({ permissions: ['vps_view', 'root_access'] });
    expect(unknown.status).toBe(422);
    expect(unknown.body.error.fields.permissions).toMatch(/root_access/);
    const lacking = await attempt({ permissions: ['vps_view', 'members_manage'] });
    expect(lacking.status).toBe(422);
    expect(lacking.body.error.fields.permissions).toMatch(/members_manage/);
    const foreign = await attempt({ organization_id: stranger.organizationId });
    expect(foreign.status).toBe(422);
    expect(foreign.body.error.fields.organization_id).toBeDefined();
    const nonexistent = await attempt({ organization_id: '00000000-0000-4000-8000-000000000000' });
    expect(nonexistent.body).toEqual(foreign.body);
    const past = await attempt({ expires_at: '2000-01-01T00:00:00Z' });
    expect(past.status).toBe(422);
    expect(past.body.error.fields.expires_at).toBeDefined();
    const none = await attempt({ permissions: [] });
    expect(none.status).toBe(422);
    expect(none.body.error.fields.permissions).toBeDefined();
    expect(await ctx.db.selectFrom('api_keys').select('id').where('user_id', '=', bob.id).execute()).toHaveLength(0);

    // Within what he holds, fine; stray fields such as user_id are ignored.
    const ok = await attempt({ permissions: ['vps_view', 'vps_create'], user_id: owner.id });
    expect(ok.status).toBe(201);
    expect(
      (await ctx.db.selectFrom('api_keys').select('user_id').where('id', '=', ok.body.id).executeTakeFirstOrThrow())
        .user_id,
    ).toBe(bob.id);
  });

  it('lets a key with vps_view only not read the activity log, and one with settings_manage read it', async () => {
    const carol = await person(ctx, 'Carol Clay');
    const narrow = await keyFor(ctx, carol.email, '198.51.100.42', {
      organization_id: carol.organizationId,
      permissions: ['vps_view'],
    });
    const wide = await keyFor(ctx, carol.email, '198.51.100.42', {
      organization_id: carol.organizationId,
      permissions: ['vps_view', 'settings_manage'],
    });
    const call = apiClient(ctx, '198.51.100.42');
    const refused = await call('GET', '/activity', { token: narrow.key });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('forbidden');
    expect((await call('GET', '/activity', { token: wide.key })).status).toBe(200);
  });

  it('narrows Dave’s key as soon as he is demoted in the organization it belongs to', async () => {
    const owner = await person(ctx, 'Olive Owens');
    const dave = await person(ctx, 'Dave Dunn');
    await joinAs(ctx, owner.organizationId, dave.id, 'admin');
    const { key } = await keyFor(ctx, dave.email, '198.51.100.43', {
      organization_id: owner.organizationId,
      permissions: ['vps_view', 'settings_manage'],
    });
    const call = apiClient(ctx, '198.51.100.43');
    expect((await call('GET', '/activity', { token: key })).status).toBe(200);

    await changeRole(ctx, owner.organizationId, dave.id, 'viewer');
    expect((await call('GET', '/activity', { token: key })).status).toBe(403);
    expect((await call('GET', '/me', { token: key })).status).toBe(200);

    // Removed from the organization altogether, the key no longer authenticates.
    await ctx.db
      .deleteFrom('organization_members')
      .where('organization_id', '=', owner.organizationId)
      .where('user_id', '=', dave.id)
      .execute();
    expect((await call('GET', '/me', { token: key })).status).toBe(401);
  });

  it('fails on the next request once the key is revoked, has expired, or its owner is suspended', async () => {
    const erin = await person(ctx, 'Erin Ellis');
    const call = apiClient(ctx, '198.51.100.44');
    const org = { organization_id: erin.organizationId, permissions: ['vps_view'] };
    const revoked = await keyFor(ctx, erin.email, '198.51.100.44', org);
    const expiring = await keyFor(ctx, erin.email, '198.51.100.44', {
      ...org,
      expires_at: new Date(ctx.clock.now().getTime() + 3_600_000).toISOString(),
    });
    const suspended = await keyFor(ctx, erin.email, '198.51.100.44', org);
    for (const k of [revoked, expiring, suspended])
      expect((await call('GET', '/me', { token: k.key })).status).toBe(200);

    expect((await call('DELETE', `/api-keys/${revoked.id}`, { token: revoked.token })).status).toBe(204);
    const after = await call('GET', '/me', { token: revoked.key });
    expect(after.status).toBe(401);
    expect(after.headers.get('www-authenticate')).toContain('invalid_token');
    expect((await call('DELETE', `/api-keys/${revoked.id}`, { token: revoked.token })).status).toBe(404);

    ctx.clock.advance(3_600_001);
    expect((await call('GET', '/me', { token: expiring.key })).status).toBe(401);
    expect((await call('GET', '/me', { token: suspended.key })).status).toBe(200);

    await ctx.db.updateTable('users').set({ status: 'suspended' }).where('id', '=', erin.id).execute();
    expect((await call('GET', '/me', { token: suspended.key })).status).toBe(401);
  });

  it('answers 404 when a key names another organization in X-Organization-Id, even one its owner belongs to', async () => {
    const frank = await person(ctx, 'Frank Ford');
    const other = await person(ctx, 'Gina Gray');
    await joinAs(ctx, other.organizationId, frank.id, 'owner');
    const { key } = await keyFor(ctx, frank.email, '198.51.100.45', {
      organization_id: frank.organizationId,
      permissions: ['settings_manage'],
    });
    const call = apiClient(ctx, '198.51.100.45');
    for (const org of [other.organizationId, '00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
      const res = await call('GET', '/activity', { token: key, headers: { 'x-organization-id': org } });
      expect(res.status, org).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    }
    expect(
      (await call('GET', '/activity', { token: key, headers: { 'x-organization-id': frank.organizationId } })).status,
    ).toBe(200);
  });

  it('never gives a platform admin’s key admin powers', async () => {
    const ada = await person(ctx, 'Ada Admin', { isAdmin: true });
    const { key, token } = await keyFor(ctx, ada.email, '198.51.100.46', {
      organization_id: ada.organizationId,
      permissions: ['vps_view'],
    });
    const probe = new Hono();
    probe.use(async (c, next) => {
      c.set('clientIp', '198.51.100.46');
      await next();
    });
    probe.use(bearerAuth({ db: ctx.db, clock: ctx.clock }));
    probe.get('/', (c) =>
      c.json({
        actor: c.var.actor ? { ...c.var.actor, permissions: [...c.var.actor.permissions] } : null,
        apiActor: c.var.apiActor,
      }),
    );
    const asKey = await (await probe.request('/', { headers: { authorization: `Bearer ${key}` } })).json();
    expect(asKey.actor).toMatchObject({
      userId: ada.id,
      isPlatformAdmin: false,
      organizationId: ada.organizationId,
      permissions: ['vps_view'],
    });
    expect(asKey.actor.apiKeyId).toMatch(/^[0-9a-f-]{36}$/);
    expect(asKey.apiActor).toMatchObject({ via: 'api_key', user: { id: ada.id, isAdmin: false } });
    // Her access token, by contrast, is her.
    const asToken = await (await probe.request('/', { headers: { authorization: `Bearer ${token}` } })).json();
    expect(asToken.actor).toMatchObject({ isPlatformAdmin: true, apiKeyId: null });
    // Nor may it stand in for her in anything beyond its one permission.
    expect((await apiClient(ctx, '198.51.100.46')('GET', '/activity', { token: key })).status).toBe(403);
  });

  it('does not let a key create, list or revoke keys, or revoke itself as if it were an access token', async () => {
    const hana = await person(ctx, 'Hana Hill');
    const { key, id } = await keyFor(ctx, hana.email, '198.51.100.47', {
      organization_id: hana.organizationId,
      permissions: ['vps_view', 'settings_manage'],
    });
    const call = apiClient(ctx, '198.51.100.47');
    const create = await call('POST', '/api-keys', {
      token: key,
      body: { name: 'child', organization_id: hana.organizationId, permissions: ['vps_view'] },
    });
    expect(create.status).toBe(403);
    expect((await call('GET', '/api-keys', { token: key })).status).toBe(403);
    expect((await call('DELETE', `/api-keys/${id}`, { token: key })).status).toBe(403);
    expect((await call('DELETE', '/auth/tokens/current', { token: key })).status).toBe(403);
    expect((await call('GET', '/me', { token: key })).status).toBe(200);
    expect(
      await ctx.db
        .selectFrom('api_keys')
        .select('id')
        .where('user_id', '=', hana.id)
        .where('revoked_at', 'is', null)
        .execute(),
    ).toHaveLength(1);
  });

  it('only lets Bob revoke his own keys: someone else’s key id is 404', async () => {
    const bob = await person(ctx, 'Bob Bell');
    const eve = await person(ctx, 'Eve Evil');
    const bobs = await keyFor(ctx, bob.email, '198.51.100.48', {
      organization_id: bob.organizationId,
      permissions: ['vps_view'],
    });
    const eveToken = await tokenFor(ctx, eve.email, '198.51.100.48');
    const call = apiClient(ctx, '198.51.100.48');
    expect((await call('DELETE', `/api-keys/${bobs.id}`, { token: eveToken })).status).toBe(404);
    expect((await call('DELETE', '/api-keys/not-a-uuid', { token: eveToken })).status).toBe(404);
    expect((await call('GET', '/me', { token: bobs.key })).status).toBe(200);
  });

  it('records last use at most once a minute', async () => {
    const ivy = await person(ctx, 'Ivy Irons');
    const { key, id } = await keyFor(ctx, ivy.email, '198.51.100.49', {
      organization_id: ivy.organizationId,
      permissions: ['vps_view'],
    });
    const call = apiClient(ctx, '198.51.100.49');
    const lastUsed = async () =>
      (await ctx.db.selectFrom('api_keys').select('last_used_at').where('id', '=', id).executeTakeFirstOrThrow())
        .last_used_at;
    expect(await lastUsed()).toBeNull();
    await call('GET', '/me', { token: key });
    const first = await lastUsed();
    expect(first?.getTime()).toBe(ctx.clock.now().getTime());
    ctx.clock.advance(30_000);
    await call('GET', '/me', { token: key });
    expect((await lastUsed())?.getTime()).toBe(first!.getTime());
    ctx.clock.advance(31_000);
    await call('GET', '/me', { token: key });
    expect((await lastUsed())?.getTime()).toBe(ctx.clock.now().getTime());
  });

  it('refuses creating and revoking keys to an admin impersonating the owner, who may still look', async () => {
    const jo = await person(ctx, 'Jo Jones');
    const staff = await person(ctx, 'Kim Staff', { isAdmin: true });
    const { id } = await keyFor(ctx, jo.email, '198.51.100.51', {
      organization_id: jo.organizationId,
      permissions: ['vps_view'],
    });
    // Kim impersonates Jo through the admin page; the actor is the one production builds for that browser.
    const admin = await signedIn(ctx, staff.email, PASSWORD, '198.51.100.52');
    await admin.get(`/admin/users/${jo.id}`);
    expect((await admin.post(`/admin/users/${jo.id}/impersonation`, { password: PASSWORD })).status).toBe(303);
    const impersonated = await requestActor(ctx, { cookie: cookieOf(admin) });
    expect(impersonated).toMatchObject({
      userId: jo.id,
      impersonatorUserId: staff.id,
      organizationId: jo.organizationId,
    });
    await expect(
      createApiKey(ctx.deps, impersonated, {
        name: 'x',
        organization_id: jo.organizationId,
        permissions: ['vps_view'],
      }),
    ).rejects.toMatchObject({ status: 403 });
    await expect(revokeApiKey(ctx.deps, impersonated, id)).rejects.toMatchObject({ status: 403 });
    expect((await listApiKeys(ctx.db, impersonated)).map((k) => k.id)).toEqual([id]);
    expect(
      (await ctx.db.selectFrom('api_keys').select('revoked_at').where('id', '=', id).executeTakeFirstOrThrow())
        .revoked_at,
    ).toBeNull();
  });

  it('is described in the OpenAPI document', async () => {
    const doc = (await apiClient(ctx, '198.51.100.50')('GET', '/openapi.json')).body;
    expect(Object.keys(doc.paths['/api-keys'])).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/api-keys/{id}'])).toEqual(['delete']);
    expect(doc.paths['/api-keys'].post.security).toEqual([{ bearerAuth: [] }]);
    expect(JSON.stringify(doc.components.schemas.CreatedApiKey)).toMatch(/"required":\["key"\]/);
    expect(doc.components.schemas.ApiKey.properties.key).toBeUndefined();
    expect(doc.paths['/activity'].get.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['action', 'from', 'to', 'limit', 'cursor']),
    );
  });
});
