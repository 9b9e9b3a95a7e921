import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/domain/api-keys/keys.ts';
import { PERMISSIONS, type Permission } from '../../src/domain/access/permissions.ts';
import { apiClient, ISO_UTC, tokenFor } from '../api/client.ts';
import { signedIn } from '../helpers/people.ts';
import { usd } from '../helpers/servers.ts';
import { balanceOf, customer, serverRow, serverWorld, settle, type ServerWorld } from './helpers.ts';

let world: ServerWorld;
beforeAll(async () => {
  world = await serverWorld();
});
afterAll(async () => {
  await world?.close();
});

let ipSeq = 0;
async function api(name: string, funds = usd(50)) {
  const p = await customer(world, name, funds);
  const ip = `198.51.100.${++ipSeq}`;
  const token = await tokenFor(world.ctx, p.email, ip);
  const client = apiClient(world.ctx, ip);
  const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    client(method, path, { token, body, headers });
  return { person: p, call, client };
}

/** An API key of `p`'s organization holding only `permissions`. */
async function keyOf(p: Awaited<ReturnType<typeof customer>>, permissions: Permission[]) {
  const actor = {
    userId: p.id,
    isPlatformAdmin: false,
    organizationId: p.organization.id,
    roleName: 'owner',
    permissions: new Set(PERMISSIONS),
    impersonatorUserId: null,
    apiKeyId: null,
    origin: { ip: '192.0.2.1', userAgent: null },
  };
  return (
    await createApiKey(world.ctx.deps, actor, {
      name: `key ${Math.random()}`,
      organization_id: p.organization.id,
      permissions,
    })
  ).key;
}

const createBody = (over: Record<string, unknown> = {}) => ({
  label: `api-${Math.random().toString(36).slice(2, 8)}`,
  region: 'us-east',
  plan_id: world.catalogue.plans.small.id,
  image: 'debian12',
  ...over,
});

describe('POST /api/v1/vps', () => {
  it('creates an instance (201), charges the first hour, and returns the generated root password once', async () => {
    const { person, call } = await api('Ada Api');
    const res = await call('POST', '/vps', createBody({ label: 'api-one', backups: true }));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      label: 'api-one',
      status: 'provisioning',
      region: 'us-east',
      plan: { id: world.catalogue.plans.small.id, name: world.catalogue.plans.small.name },
      image: 'debian12',
      backups: true,
      private_ip: false,
      hourly_price: '0.024658',
      monthly_price: '18.00',
      currency: 'USD',
    });
    expect(res.body.created_at).toMatch(ISO_UTC);
    expect(res.body.root_password).toMatch(/^\S{24}$/);
    expect(await balanceOf(world, person.organization.id)).toBe(usd(50) - 24_658n);
    // Never stored.
    const row = await serverRow(world, res.body.id);
    expect(JSON.stringify(row)).not.toContain(res.body.root_password);
    // Read back, it has no password.
    const got = await call('GET', `/vps/${res.body.id}`);
    expect(got.status).toBe(200);
    expect(got.body.root_password).toBeUndefined();
    await settle(world);
    const running = await call('GET', `/vps/${res.body.id}`);
    expect(running.body.status).toBe('running');
    expect(running.body.ipv4.length).toBeGreaterThan(0);
  });

  it('does not return a password that was given', async () => {
    const { call } = await api('Gil Given');
    const res = await call('POST', '/vps', createBody({ root_password: 'Correct-Horse-42-battery' }));
    expect(res.status).toBe(201);
    expect(res.body.root_password).toBeUndefined();
  });

  it('honours Idempotency-Key: a retry finds the first instance, charges once and repeats no password', async () => {
    const { person, call } = await api('Ida Idem');
    const first = await call('POST', '/vps', createBody({ label: 'idem-1' }), { 'idempotency-key': 'create-idem-1' });
    const again = await call('POST', '/vps', createBody({ label: 'idem-1' }), { 'idempotency-key': 'create-idem-1' });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body.id).toBe(first.body.id);
    expect(again.body.root_password).toBeUndefined();
    const servers = await world.ctx.db
      .selectFrom('servers')
      .select('id')
      .where('organization_id', '=', person.organization.id)
      .execute();
    expect(servers).toHaveLength(1);
    expect(await balanceOf(world, person.organization.id)).toBe(usd(50) - 20_548n);
    const badKey = await call('POST', '/vps', createBody(), { 'idempotency-key': 'has space' });
    expect(badKey.status).toBe(400);
    expect(badKey.body.error.code).toBe('invalid_idempotency_key');
    const reused = await call('POST', '/vps', createBody({ label: 'idem-2' }), { 'idempotency-key': 'create-idem-1' });
    expect(reused.status).toBe(422);
    expect(reused.body.error.code).toBe('idempotency_key_reused');
  });

  it('keeps no root password with an Idempotency-Key, typed or generated', async () => {
    const { call } = await api('Kim Kept');
    const typed = 'Typed-Root-Secret-913';
    const a = await call('POST', '/vps', createBody({ label: 'kept-1', root_password: typed }), {
      'idempotency-key': 'kept-typed',
    });
    const b = await call('POST', '/vps', createBody({ label: 'kept-2' }), { 'idempotency-key': 'kept-generated' });
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    const generated = b.body.root_password as string;
    expect(generated).toBeTruthy();
    const kept = await world.ctx.db
      .selectFrom('idempotency_keys')
      .select(['request_hash', 'response_body'])
      .where('key', 'in', ['kept-typed', 'kept-generated'])
      .execute();
    expect(kept).toHaveLength(2);
    const stored = JSON.stringify(kept);
    expect(stored).not.toContain(typed);
    expect(stored).not.toContain(generated);
    const replay = await call('POST', '/vps', createBody({ label: 'kept-2' }), { 'idempotency-key': 'kept-generated' });
    expect(replay.status).toBe(201);
    expect(replay.body.id).toBe(b.body.id);
    expect(replay.body.root_password).toBeUndefined();
  });

  it('refuses bad input with 422 naming the fields, and an unfunded wallet with 422', async () => {
    const { call } = await api('Val Invalid');
    const bad = await call('POST', '/vps', createBody({ label: 'no spaces', region: 'mars-1', root_password: 'weak' }));
    expect(bad.status).toBe(422);
    expect(bad.body.error.code).toBe('validation_failed');
    expect(Object.keys(bad.body.error.fields)).toEqual(expect.arrayContaining(['label']));
    const missing = await call('POST', '/vps', { label: 'x' });
    expect(missing.status).toBe(422);
    const poor = await api('Pete Poor', 0n);
    const broke = await poor.call('POST', '/vps', createBody());
    expect(broke.status).toBe(422);
    expect(broke.body.error.message).not.toMatch(/linode/i);
  });
});

describe('instances', () => {
  it('lists with filters and pages, renames with PATCH, and deletes with 202 after which it reads as deleted', async () => {
    const { person, call } = await api('Lou List');
    const a = (await call('POST', '/vps', createBody({ label: 'list-a' }))).body;
    const b = (await call('POST', '/vps', createBody({ label: 'list-b', region: 'eu-central' }))).body;
    await settle(world);
    const all = await call('GET', '/vps');
    expect(all.status).toBe(200);
    expect(all.body.data.map((i: { label: string }) => i.label)).toEqual(['list-b', 'list-a']);
    expect(all.body).toMatchObject({ has_more: false, next_cursor: null });
    const paged = await call('GET', '/vps?limit=1');
    expect(paged.body.has_more).toBe(true);
    const next = await call('GET', `/vps?limit=1&cursor=${paged.body.next_cursor}`);
    expect(next.body.data[0].id).toBe(a.id);
    expect((await call('GET', '/vps?region=eu-central')).body.data.map((i: { id: string }) => i.id)).toEqual([b.id]);
    expect((await call('GET', '/vps?q=list-a')).body.data.map((i: { id: string }) => i.id)).toEqual([a.id]);
    expect((await call('GET', '/vps?status=exploded')).status).toBe(422);

    const renamed = await call('PATCH', `/vps/${a.id}`, { label: 'list-renamed' });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toEqual({ id: a.id, label: 'list-renamed' });
    expect((await call('GET', `/vps/${a.id}`)).body.label).toBe('list-renamed');

    const before = await balanceOf(world, person.organization.id);
    const del = await call('DELETE', `/vps/${b.id}`);
    expect(del.status).toBe(202);
    expect(del.body).toMatchObject({ id: b.id, status: 'deleted', currency: 'USD' });
    expect(await balanceOf(world, person.organization.id)).toBe(
      before + BigInt(Math.round(Number(del.body.refunded) * 1e6)),
    );
    const gone = await call('GET', `/vps/${b.id}`);
    expect(gone.body.status).toBe('deleted');
    expect((await call('GET', '/vps')).body.data.map((i: { id: string }) => i.id)).toEqual([a.id]);
  });

  it('runs every action type through POST /actions (202 with the action) and lists them', async () => {
    const { call } = await api('Alf Actions');
    const s = (await call('POST', '/vps', createBody({ label: 'acts-1' }))).body;
    await settle(world);
    const act = async (body: Record<string, unknown>) => {
      const res = await call('POST', `/vps/${s.id}/actions`, body);
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      expect(res.body).toMatchObject({ type: body.type, error: null });
      expect(['pending', 'running', 'completed']).toContain(res.body.status);
      expect(res.body.created_at).toMatch(ISO_UTC);
      await settle(world);
      return res.body;
    };
    await act({ type: 'reboot' });
    await act({ type: 'shutdown' });
    const reset = await act({ type: 'reset_password' });
    expect(reset.root_password).toMatch(/^\S{24}$/);
    await act({ type: 'boot' });
    const rebuilt = await act({
      type: 'rebuild',
      image: 'ubuntu24.04',
      root_password: 'Rebuilt-Horse-42-battery',
    });
    expect(rebuilt.root_password).toBeUndefined();
    await act({ type: 'resize', plan_id: world.catalogue.plans.medium.id });
    const after = (await call('GET', `/vps/${s.id}`)).body;
    expect(after).toMatchObject({
      status: 'running',
      image: 'ubuntu24.04',
      plan: { id: world.catalogue.plans.medium.id },
    });
    const list = await call('GET', `/vps/${s.id}/actions`);
    expect(list.body.data.map((x: { type: string }) => x.type)).toEqual(
      expect.arrayContaining(['reboot', 'shutdown', 'reset_password', 'boot', 'rebuild', 'resize']),
    );
    const unknown = await call('POST', `/vps/${s.id}/actions`, { type: 'explode' });
    expect(unknown.status).toBe(422);
    const offlineOnly = await call('POST', `/vps/${s.id}/actions`, { type: 'reset_password' });
    expect([409, 422]).toContain(offlineOnly.status);
    expect(offlineOnly.body.error.message).not.toMatch(/linode/i);
  });

  it('answers a busy instance with 409 server_busy', async () => {
    const { call } = await api('Bo Busy');
    const s = (await call('POST', '/vps', createBody())).body;
    const res = await call('POST', `/vps/${s.id}/actions`, { type: 'reboot' });
    expect(res.status).toBe(409);
    expect(res.body.error.message).not.toMatch(/linode/i);
  });

  it('enables backups, snapshots, schedules, lists, restores and cancels them; sets reverse DNS', async () => {
    const { call } = await api('Bree Backups');
    const s = (await call('POST', '/vps', createBody())).body;
    await settle(world);
    expect((await call('POST', `/vps/${s.id}/backups`)).status).toBe(202);
    await settle(world);
    expect((await call('POST', `/vps/${s.id}/backups/snapshots`, { label: 'snap-1' })).status).toBe(202);
    await settle(world);
    expect((await call('POST', `/vps/${s.id}/backups/schedule`, { day: 'Monday', window: 'W4' })).status).toBe(202);
    const list = await call('GET', `/vps/${s.id}/backups`);
    expect(list.status).toBe(200);
    expect(list.body.enabled).toBe(true);
    expect(list.body.snapshot.current).toMatchObject({ label: 'snap-1', kind: 'snapshot', available: true });
    const restored = await call('POST', `/vps/${s.id}/restores`, { backup_id: list.body.snapshot.current.id });
    expect(restored.status, JSON.stringify(restored.body)).toBe(202);
    await settle(world);
    expect((await call('DELETE', `/vps/${s.id}/backups`)).status).toBe(202);
    expect((await call('GET', `/vps/${s.id}`)).body.backups).toBe(false);

    const ips = await call('GET', `/vps/${s.id}/ips`);
    expect(ips.status).toBe(200);
    const v4 = ips.body.data.find((a: { type: string; public: boolean }) => a.type === 'ipv4' && a.public);
    expect(v4.rdns).toBeNull();
    world.cloud.emu.setResolvableNames({ 'api.example.com': v4.address });
    expect(
      (await call('POST', `/vps/${s.id}/reverse-dns`, { address: v4.address, name: 'api.example.com' })).status,
    ).toBe(202);
    const set = await call('GET', `/vps/${s.id}/ips`);
    expect(set.body.data.find((a: { address: string }) => a.address === v4.address).rdns).toBe('api.example.com');
    const refused = await call('POST', `/vps/${s.id}/reverse-dns`, {
      address: v4.address,
      name: 'elsewhere.example.com',
    });
    expect(refused.status).toBe(422);
    expect(JSON.stringify(refused.body)).not.toMatch(/linode/i);
    const reset = await call('DELETE', `/vps/${s.id}/reverse-dns/${encodeURIComponent(v4.address)}`);
    expect(reset.status).toBe(202);
    expect(reset.body.type).toBe('set_rdns');
    const after = await call('GET', `/vps/${s.id}/ips`);
    expect(after.body.data.find((a: { address: string }) => a.address === v4.address).rdns).not.toBe('api.example.com');
    expect((await call('DELETE', `/vps/${s.id}/reverse-dns/203.0.113.99`)).status).toBe(404);
  });
});

describe('firewalls under an instance', () => {
  it('attaches one of the organization’s firewalls, lists it, shows it on the page, and detaches it', async () => {
    const { person, call } = await api('Fern Firewall');
    const s = (await call('POST', '/vps', createBody({ label: 'fw-1' }))).body;
    await settle(world);
    const fw = await call('POST', '/firewalls', {
      label: 'web-only',
      rules: {
        inbound_policy: 'DROP',
        outbound_policy: 'ACCEPT',
        inbound: [{ action: 'ACCEPT', protocol: 'TCP', ports: '443', addresses: ['0.0.0.0/0'] }],
      },
    });
    expect(fw.status, JSON.stringify(fw.body)).toBe(201);
    expect((await call('GET', `/vps/${s.id}/firewalls`)).body.data).toEqual([]);
    const attached = await call('POST', `/vps/${s.id}/firewalls`, { firewall_id: fw.body.id });
    expect(attached.status, JSON.stringify(attached.body)).toBe(200);
    expect(attached.body.servers.map((x: { id: string }) => x.id)).toEqual([s.id]);
    const listed = await call('GET', `/vps/${s.id}/firewalls`);
    expect(listed.body.data.map((f: { id: string }) => f.id)).toEqual([fw.body.id]);
    const b = await signedIn(world.ctx, person.email);
    await b.get(`/vps/${s.id}`);
    expect(b.lastHtml).toContain(`href="/firewalls/${fw.body.id}"`);
    expect((await call('DELETE', `/vps/${s.id}/firewalls/${fw.body.id}`)).status).toBe(204);
    expect((await call('GET', `/vps/${s.id}/firewalls`)).body.data).toEqual([]);

    // Another organization's firewall, or another organization's instance: 404 either way.
    const other = await api('Otto Other');
    const theirs = (await other.call('POST', '/vps', createBody({ label: 'fw-theirs' }))).body;
    await settle(world);
    expect((await call('POST', `/vps/${theirs.id}/firewalls`, { firewall_id: fw.body.id })).status).toBe(404);
    expect((await other.call('POST', `/vps/${theirs.id}/firewalls`, { firewall_id: fw.body.id })).status).toBe(404);
    expect((await other.call('GET', `/vps/${s.id}/firewalls`)).status).toBe(404);
    expect((await other.call('DELETE', `/vps/${s.id}/firewalls/${fw.body.id}`)).status).toBe(404);
  });
});

describe('access', () => {
  it('another organization’s instance id is 404 on every endpoint', async () => {
    const owner = await api('Olaf Owner');
    const s = (await owner.call('POST', '/vps', createBody({ label: 'theirs' }))).body;
    await settle(world);
    const stranger = await api('Stan Stranger');
    const calls: Array<[string, string, unknown?]> = [
      ['GET', `/vps/${s.id}`],
      ['PATCH', `/vps/${s.id}`, { label: 'mine' }],
      ['DELETE', `/vps/${s.id}`],
      ['POST', `/vps/${s.id}/actions`, { type: 'reboot' }],
      ['GET', `/vps/${s.id}/actions`],
      ['GET', `/vps/${s.id}/backups`],
      ['POST', `/vps/${s.id}/backups`],
      ['DELETE', `/vps/${s.id}/backups`],
      ['POST', `/vps/${s.id}/backups/schedule`, { day: 'Monday', window: 'W4' }],
      ['POST', `/vps/${s.id}/backups/snapshots`, { label: 'x' }],
      ['POST', `/vps/${s.id}/restores`, { backup_id: '1' }],
      ['GET', `/vps/${s.id}/ips`],
      ['POST', `/vps/${s.id}/reverse-dns`, { address: '192.0.2.1', name: null }],
      ['DELETE', `/vps/${s.id}/reverse-dns/192.0.2.1`],
    ];
    for (const [method, path, body] of calls) {
      const res = await stranger.call(method, path, body);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.error.code).toBe('not_found');
      expect(JSON.stringify(res.body)).not.toContain('theirs');
    }
    expect(await serverRow(world, s.id)).toMatchObject({ label: 'theirs', status: 'running' });
  });

  it('an API key needs the permission: vps_view reads but cannot act; vps_delete alone deletes (no password)', async () => {
    const { person, call, client } = await api('Kay Keys');
    const s = (await call('POST', '/vps', createBody({ label: 'keyed' }))).body;
    await settle(world);
    const viewKey = await keyOf(person, ['vps_view']);
    const asView = (m: string, p: string, b?: unknown) => client(m, p, { token: viewKey, body: b });
    expect((await asView('GET', `/vps/${s.id}`)).status).toBe(200);
    expect((await asView('POST', `/vps/${s.id}/actions`, { type: 'reboot' })).status).toBe(403);
    expect((await asView('DELETE', `/vps/${s.id}`)).status).toBe(403);
    expect((await asView('POST', '/vps', createBody())).status).toBe(403);
    const deleteKey = await keyOf(person, ['vps_delete']);
    const res = await client('DELETE', `/vps/${s.id}`, { token: deleteKey });
    expect(res.status).toBe(202);
    expect((await serverRow(world, s.id)).status).toBe('deleted');
  });

  it('documents the endpoints in the OpenAPI document', async () => {
    const res = await world.ctx.app.request('/api/v1/openapi.json');
    const doc = (await res.json()) as { paths: Record<string, Record<string, unknown>> };
    for (const path of [
      '/vps',
      '/vps/{id}',
      '/vps/{id}/actions',
      '/vps/{id}/backups',
      '/vps/{id}/ips',
      '/vps/{id}/reverse-dns',
      '/vps/{id}/restores',
    ])
      expect(doc.paths[path], path).toBeDefined();
    expect(Object.keys(doc.paths['/vps/{id}']!)).toEqual(expect.arrayContaining(['get', 'patch', 'delete']));
  });
});
