import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/domain/api-keys/keys.ts';
import { PERMISSIONS, type Permission } from '../../src/domain/access/permissions.ts';
import { runwayDays } from '../../src/domain/wallets/summary.ts';
import { apiClient, tokenFor } from '../api/client.ts';
import { PASSWORD, signedIn } from '../helpers/people.ts';
import { usd } from '../helpers/servers.ts';
import { customer, serverWorld, settle, type ServerWorld } from '../web-servers/helpers.ts';

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
  const call = (method: string, path: string, body?: unknown) => client(method, path, { token, body });
  const withKey = async (permissions: Permission[], method: string, path: string) => {
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
    return client(method, path, { token: key.key });
  };
  return { person: p, call, withKey };
}

const create = (call: Awaited<ReturnType<typeof api>>['call'], label: string, plan: 'small' | 'medium') =>
  call('POST', '/vps', { label, region: 'us-east', plan_id: world.catalogue.plans[plan].id, image: 'debian12' });

// Small: 15.00 a month, 0.020548 an hour (15 / 730, half up); medium: 30.00, 0.041096.
const SMALL_RATE = 20_548n;
const MEDIUM_RATE = 41_096n;

describe('GET /api/v1/billing/summary', () => {
  it('gives the balance, the month so far, the monthly estimate, the burn and the runway, exactly', async () => {
    const { call } = await api('Rita Runway');
    expect((await create(call, 'run-small', 'small')).status).toBe(201);
    expect((await create(call, 'run-medium', 'medium')).status).toBe(201);

    let res = await call('GET', '/billing/summary');
    expect(res.status).toBe(200);
    // 50.00 − 0.020548 − 0.041096 = 49.938356; burn 0.061644 an hour → 49.938356 / (0.061644 × 24) = 33.75… days.
    expect(res.body).toEqual({
      balance: '49.94',
      month_to_date: '0.061644',
      monthly_estimate: '45.00',
      hourly_burn: '0.061644',
      runway_days: 33.7,
      active_servers: 0,
      billed_servers: 2,
      currency: 'USD',
    });
    expect(usd(50) - SMALL_RATE - MEDIUM_RATE).toBe(49_938_356n);

    await settle(world);
    res = await call('GET', '/billing/summary');
    expect(res.body.active_servers).toBe(2);
    expect(res.body.billed_servers).toBe(2);
  });

  it('says null runway when nothing burns', async () => {
    const { call } = await api('Nina Nothing');
    const res = await call('GET', '/billing/summary');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ balance: '50.00', month_to_date: '0.00', runway_days: null, billed_servers: 0 });
  });

  it('needs billing_view: an API key with only vps_view is refused (403)', async () => {
    const { withKey } = await api('Vic Viewer');
    expect((await withKey(['vps_view'], 'GET', '/billing/summary')).status).toBe(403);
    expect((await withKey(['billing_view'], 'GET', '/billing/summary')).status).toBe(200);
  });

  it('counts the runway down to zero at or below a zero balance, and to a tenth rounded down', () => {
    expect(runwayDays(0n, 1n)).toBe(0);
    expect(runwayDays(-5_000_000n, 1_000n)).toBe(0);
    expect(runwayDays(5_000_000n, 0n)).toBe(null);
    // 24.00 at 1.00 an hour: exactly one day; a micro-unit less: 0.9 days.
    expect(runwayDays(24_000_000n, 1_000_000n)).toBe(1);
    expect(runwayDays(23_999_999n, 1_000_000n)).toBe(0.9);
  });
});

describe('the portal billing summary and the server page', () => {
  it('shows the runway beside the active servers and the monthly estimate, and hours and cost on the server page', async () => {
    const { person, call } = await api('Paula Portal');
    const created = await create(call, 'portal-one', 'small');
    const browser = await signedIn(world.ctx, person.email, PASSWORD);
    const billing = await (await browser.get('/billing')).text();
    // 49.979452 / (0.020548 × 24) = 101.34… days.
    expect(billing).toMatch(/data-testid="runway">101\.3 days</);
    expect(billing).toContain('at $0.0205 an hour');
    expect(billing).toMatch(/data-testid="monthly-estimate">\$15\.00</);

    // Two earlier hours of this month, written as the hourly job would.
    await sql`insert into server_charges (server_id, hour_start, organization_id, amount, rate, currency)
      select id, date_trunc('hour', now()) - (n || ' hours')::interval, organization_id, ${SMALL_RATE}, ${SMALL_RATE}, 'USD'
      from servers, generate_series(1, 2) n
      where id = ${created.body.id} and date_trunc('hour', now()) - (n || ' hours')::interval >= date_trunc('month', now())`.execute(
      world.ctx.db,
    );
    const hours = await sql<{
      n: number;
    }>`select count(*)::int as n from server_charges where server_id = ${created.body.id}
      and hour_start >= date_trunc('month', now())`.execute(world.ctx.db);
    const page = await (await browser.get(`/vps/${created.body.id}`)).text();
    const n = hours.rows[0]!.n;
    expect(page).toContain(`data-testid="server-hours">${n} ${n === 1 ? 'hour' : 'hours'}</span>`);
  });
});
