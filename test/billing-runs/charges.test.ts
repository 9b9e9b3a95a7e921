import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/domain/api-keys/keys.ts';
import { PERMISSIONS, type Permission } from '../../src/domain/access/permissions.ts';
import { apiClient, tokenFor } from '../api/client.ts';
import { usd } from '../helpers/servers.ts';
import { customer, serverWorld, type ServerWorld } from '../web-servers/helpers.ts';

let world: ServerWorld;
beforeAll(async () => {
  world = await serverWorld();
});
afterAll(async () => {
  await world?.close();
});

let ipSeq = 0;
async function api(name: string) {
  const p = await customer(world, name, usd(50));
  const ip = `198.51.101.${++ipSeq}`;
  const token = await tokenFor(world.ctx, p.email, ip);
  const client = apiClient(world.ctx, ip);
  const call = (method: string, path: string, body?: unknown) => client(method, path, { token, body });
  const withKey = async (permissions: Permission[], path: string) => {
    const key = await createApiKey(
      world.ctx.deps,
      {
        userId: p.id,
        isPlatformAdmin: false,
        organizationId: p.organization.id,
        roleName: 'owner',
        permissions: new Set(PERMISSIONS),
        impersonatorUserId: null,
        apiKeyId: null,
        origin: { ip: '192.0.2.1', userAgent: null },
      },
      { name: `key ${Math.random()}`, organization_id: p.organization.id, permissions },
    );
    return client('GET', path, { token: key.key });
  };
  return { person: p, call, withKey };
}

const SMALL_RATE = 20_548n;

/** Earlier hours of a server, written as the hourly job would: `hoursAgo` → amount. */
async function history(serverId: string, hours: Array<[number, bigint]>) {
  for (const [ago, amount] of hours)
    await sql`insert into server_charges (server_id, hour_start, organization_id, amount, rate, currency)
      select id, date_trunc('hour', now()) - make_interval(hours => ${ago}), organization_id, ${amount}, ${SMALL_RATE}, 'USD'
      from servers where id = ${serverId}`.execute(world.ctx.db);
}

describe('GET /api/v1/vps/{id}/charges', () => {
  it('lists the charges newest hour first with rate and capped, a page at a time', async () => {
    const { call } = await api('Carla Charges');
    const created = await call('POST', '/vps', {
      label: 'charged',
      region: 'us-east',
      plan_id: world.catalogue.plans.small.id,
      image: 'debian12',
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    // Three hours ago the full rate; two hours ago the cap cut it to 0.005; an hour ago nothing is left.
    await history(id, [
      [3, SMALL_RATE],
      [2, 5_000n],
      [1, 0n],
    ]);
    const hour = (ago: number) => {
      const now = new Date();
      now.setUTCMinutes(0, 0, 0);
      return new Date(now.getTime() - ago * 3_600_000).toISOString();
    };

    const first = await call('GET', `/vps/${id}/charges?limit=2`);
    expect(first.status).toBe(200);
    expect(first.body.data).toEqual([
      { hour_start: hour(0), amount: '0.020548', rate: '0.020548', capped: false, currency: 'USD' },
      { hour_start: hour(1), amount: '0.00', rate: '0.020548', capped: true, currency: 'USD' },
    ]);
    expect(first.body.has_more).toBe(true);
    const second = await call('GET', `/vps/${id}/charges?limit=2&cursor=${encodeURIComponent(first.body.next_cursor)}`);
    expect(second.body.data).toEqual([
      { hour_start: hour(2), amount: '0.005000', rate: '0.020548', capped: true, currency: 'USD' },
      { hour_start: hour(3), amount: '0.020548', rate: '0.020548', capped: false, currency: 'USD' },
    ]);
    expect(second.body).toMatchObject({ has_more: false, next_cursor: null });
  });

  it('answers another organization’s server as not found, and a forged cursor as 422', async () => {
    const owner = await api('Olga Owner');
    const created = await owner.call('POST', '/vps', {
      label: 'mine',
      region: 'us-east',
      plan_id: world.catalogue.plans.small.id,
      image: 'debian12',
    });
    const other = await api('Otto Other');
    const foreign = await other.call('GET', `/vps/${created.body.id}/charges`);
    expect(foreign.status).toBe(404);
    expect(foreign.body.error.code).toBe('not_found');
    expect((await other.call('GET', '/vps/not-a-uuid/charges')).status).toBe(404);
    const forged = await owner.call('GET', `/vps/${created.body.id}/charges?cursor=yesterday`);
    expect(forged.status).toBe(422);
    expect(forged.body.error.fields).toHaveProperty('cursor');
    expect((await owner.call('GET', `/vps/${created.body.id}/charges?limit=0`)).status).toBe(422);
  });

  it('needs vps_view, as the server itself: billing_view alone is refused (403)', async () => {
    const owner = await api('Vera Viewer');
    const created = await owner.call('POST', '/vps', {
      label: 'seen',
      region: 'us-east',
      plan_id: world.catalogue.plans.small.id,
      image: 'debian12',
    });
    expect((await owner.withKey(['vps_view'], `/vps/${created.body.id}/charges`)).status).toBe(200);
    expect((await owner.withKey(['billing_view'], `/vps/${created.body.id}/charges`)).status).toBe(403);
  });
});
