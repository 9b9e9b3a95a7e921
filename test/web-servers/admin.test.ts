import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, tokenFor } from '../api/client.ts';
import { createPerson, signedIn, uniqueEmail } from '../helpers/people.ts';
import { balanceOf, customer, serverRow, serverWorld, settle, type ServerWorld } from './helpers.ts';

let world: ServerWorld;
beforeAll(async () => {
  world = await serverWorld();
});
afterAll(async () => {
  await world?.close();
});

let ipSeq = 0;
async function apiOf(email: string) {
  const ip = `198.51.100.${100 + ++ipSeq}`;
  const token = await tokenFor(world.ctx, email, ip);
  const client = apiClient(world.ctx, ip);
  return (method: string, path: string, body?: unknown) => client(method, path, { token, body });
}

async function serverOf(name: string, label: string) {
  const p = await customer(world, name);
  const call = await apiOf(p.email);
  const res = await call('POST', '/vps', {
    label,
    region: 'eu-central',
    plan_id: world.catalogue.plans.medium.id,
    image: 'debian12',
  });
  expect(res.status).toBe(201);
  return { person: p, id: res.body.id as string };
}

describe('/admin/servers', () => {
  it('lists every organization’s servers with filters, and the user and organization pages list theirs', async () => {
    const staff = await createPerson(world.ctx, 'Stella Staff', {
      isAdmin: true,
      verified: true,
      email: uniqueEmail('Stella Staff'),
    });
    const a = await serverOf('Arthur Acme', 'acme-web');
    const g = await serverOf('Greta Globex', 'globex-db');
    await settle(world);
    const b = await signedIn(world.ctx, staff.email);
    expect((await b.get('/admin/servers')).status).toBe(200);
    expect(b.lastHtml).toContain('acme-web');
    expect(b.lastHtml).toContain('globex-db');
    await b.get(`/admin/servers?organization=${a.person.organization.id}`);
    expect(b.lastHtml).toContain('acme-web');
    expect(b.lastHtml).not.toContain('globex-db');
    await b.get(
      `/admin/servers?q=globex&status=running&region=eu-central&plan=${world.catalogue.plans.medium.id}&provider=${world.catalogue.providerId}`,
    );
    expect(b.lastHtml).toContain('globex-db');
    expect(b.lastHtml).not.toContain('acme-web');
    expect((await b.get('/admin/servers?status=exploded')).status).toBe(422);
    await b.get(`/admin/users/${a.person.id}`);
    expect(b.lastHtml).toContain('acme-web');
    expect(b.lastHtml).not.toContain('globex-db');
    await b.get(`/admin/organizations/${g.person.organization.id}`);
    expect(b.lastHtml).toContain('globex-db');
    await b.get(`/admin/servers/${g.id}`);
    expect(b.lastHtml).toContain('globex-db');
  });

  it('reboots any server and deletes it with a reason (refunded to its wallet); a missing reason is 422', async () => {
    const staff = await createPerson(world.ctx, 'Sid Staff', {
      isAdmin: true,
      verified: true,
      email: uniqueEmail('Sid Staff'),
    });
    const s = await serverOf('Rory Reboot', 'rory-1');
    await settle(world);
    const b = await signedIn(world.ctx, staff.email);
    await b.get(`/admin/servers/${s.id}`);
    expect((await b.post(`/admin/servers/${s.id}/reboot`)).status).toBe(303);
    await settle(world);
    await b.get(`/admin/servers/${s.id}`);
    const history = b.lastHtml.slice(b.lastHtml.indexOf('id="actions-h"'));
    expect(history).toMatch(/reboot[\s\S]*create/);
    expect(history).toContain(staff.email);
    const noReason = await b.post(`/admin/servers/${s.id}/delete`, { reason: '' });
    expect(noReason.status).toBe(422);
    expect(b.lastHtml).toContain('Give a reason');
    const before = await balanceOf(world, s.person.organization.id);
    expect((await b.post(`/admin/servers/${s.id}/delete`, { reason: 'Abuse report 42' })).status).toBe(303);
    const row = await serverRow(world, s.id);
    expect(row).toMatchObject({ status: 'deleted', deleted_reason: 'Abuse report 42' });
    expect(await balanceOf(world, s.person.organization.id)).toBeGreaterThanOrEqual(before);
  });

  it('shows drift findings and marks one handled', async () => {
    const staff = await createPerson(world.ctx, 'Dora Drift', {
      isAdmin: true,
      verified: true,
      email: uniqueEmail('Dora Drift'),
    });
    const finding = await world.ctx.db
      .insertInto('server_drift')
      .values({
        provider_id: world.catalogue.providerId,
        kind: 'unknown_at_provider',
        provider_instance_id: '999999',
        label: 'stray-box',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const b = await signedIn(world.ctx, staff.email);
    await b.get('/admin/servers/drift');
    expect(b.lastHtml).toContain('stray-box');
    expect((await b.post(`/admin/servers/drift/${finding.id}/resolution`)).status).toBe(303);
    const row = await world.ctx.db
      .selectFrom('server_drift')
      .select('resolved_at')
      .where('id', '=', finding.id)
      .executeTakeFirstOrThrow();
    expect(row.resolved_at).not.toBeNull();
  });

  it('does not exist for customers (404)', async () => {
    const c = await customer(world, 'Cody Customer');
    const b = await signedIn(world.ctx, c.email);
    expect((await b.get('/admin/servers')).status).toBe(404);
  });
});

describe('/api/v1/admin/servers', () => {
  it('lists, reads, acts on and deletes any server for a platform admin’s token; customers get 403', async () => {
    const staff = await createPerson(world.ctx, 'Tara Token', {
      isAdmin: true,
      verified: true,
      email: uniqueEmail('Tara Token'),
    });
    const s = await serverOf('Ulla User', 'ulla-1');
    await settle(world);
    const call = await apiOf(staff.email);
    const list = await call('GET', `/admin/servers?organization_id=${s.person.organization.id}`);
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ total: 1, page: 1, pages: 1 });
    expect(list.body.data[0]).toMatchObject({
      id: s.id,
      label: 'ulla-1',
      organization_id: s.person.organization.id,
      status: 'running',
    });
    const got = await call('GET', `/admin/servers/${s.id}`);
    expect(got.body.provider_instance_id).toBeTruthy();
    const act = await call('POST', `/admin/servers/${s.id}/actions`, { type: 'reboot' });
    expect(act.status).toBe(202);
    expect(act.body.type).toBe('reboot');
    await settle(world);
    expect((await call('POST', `/admin/servers/${s.id}/deletion`, { reason: '' })).status).toBe(422);
    const del = await call('POST', `/admin/servers/${s.id}/deletion`, { reason: 'Terms breach' });
    expect(del.status).toBe(202);
    expect(del.body).toMatchObject({ id: s.id, status: 'deleted', currency: 'USD' });
    expect((await call('GET', '/admin/servers/drift')).status).toBe(200);

    const customerCall = await apiOf(s.person.email);
    expect((await customerCall('GET', '/admin/servers')).status).toBe(403);
    expect((await customerCall('GET', `/admin/servers/${s.id}`)).status).toBe(403);
  });
});
