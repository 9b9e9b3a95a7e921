import { beforeAll, describe, expect, it } from 'vitest';
import { createPerson, uniqueEmail } from '../helpers/people.ts';
import { settingsFor, useHostingWorld } from './helpers.ts';

/**
 * Staff's hosting services screens (issue 17 item 7): the list with its filters and paging, one
 * service's details (panel ids, saga journal, charges with refunds, its log), and that no one
 * but platform staff reaches them. Service rows are built directly; the actions (further down)
 * run against the file's emulator through the real client.
 */

const w = useHostingWorld();
const PAGE = '/admin/hosting/services';
const u = () => Math.random().toString(36).slice(2, 8);

let starter: { id: string; name: string };
let business: { id: string; name: string };
let wendy: { id: string; organization: { id: string; name: string } };
let xavier: { id: string; organization: { id: string; name: string } };

beforeAll(async () => {
  // The integration as staff set it up: connected to the emulator, plans synced.
  await w.admin.get('/admin/hosting');
  expect((await w.admin.post('/admin/hosting/settings', settingsFor(w), { method: 'PUT' })).status).toBe(303);
  expect((await w.admin.post('/admin/hosting/plan-syncs', {})).status).toBe(303);
  const plans = await w.ctx.db.selectFrom('hosting_plans').select(['id', 'name']).orderBy('enhance_plan_id').execute();
  [starter, business] = [plans[0]!, plans[1]!];
  wendy = await createPerson(w.ctx, 'Wendy Web', { verified: true, email: uniqueEmail('Wendy') });
  xavier = await createPerson(w.ctx, 'Xavier Xylo', { verified: true, email: uniqueEmail('Xavier') });
});

interface ServiceInput {
  org: string;
  plan?: string;
  domain?: string;
  status?: 'provisioning' | 'active' | 'suspended' | 'cancelled' | 'failed';
  saga?: 'running' | 'done' | 'compensating' | 'compensated';
  createdAt?: Date;
  over?: Record<string, unknown>;
}

/** A service row as the saga would leave it (no panel calls). */
async function makeService(i: ServiceInput) {
  const now = w.ctx.clock.now();
  return w.ctx.db
    .insertInto('hosting_services')
    .values({
      organization_id: i.org,
      plan_id: i.plan ?? starter.id,
      master_org_id: w.emu.masterOrgId,
      domain: i.domain ?? `site-${u()}.example.com`,
      status: i.status ?? 'active',
      monthly_price: 5_000_000n,
      purchase_key: `k-${u()}`,
      period_start: now,
      period_end: new Date(now.getTime() + 30 * 86_400_000),
      saga_state: i.saga ?? 'done',
      created_at: i.createdAt ?? now,
      ...(i.over ?? {}),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** The domains the list shows, in order. */
const listed = (html: string) =>
  [...html.matchAll(/<a class="link" href="\/admin\/hosting\/services\/[0-9a-f-]{36}">([^<]+)<\/a>/g)].map((m) => m[1]);

describe('the list of every hosting service', () => {
  it('filters by status, saga state, organization name, domain and plan, newest first', async () => {
    const tag = u();
    const t0 = w.ctx.clock.now().getTime();
    const at = (min: number) => new Date(t0 - min * 60_000);
    await makeService({ org: wendy.organization.id, domain: `alpha-${tag}.example.com`, createdAt: at(5) });
    await makeService({
      org: wendy.organization.id,
      domain: `beta-${tag}.example.org`,
      status: 'suspended',
      plan: business.id,
      createdAt: at(4),
      over: { suspended_at: at(1), suspended_by: 'staff', overdue_since: at(2) },
    });
    await makeService({
      org: xavier.organization.id,
      domain: `gamma-${tag}.example.com`,
      status: 'provisioning',
      saga: 'running',
      createdAt: at(3),
      over: { saga_error: 'POST /orgs/x/websites answered 503', period_start: null, period_end: null },
    });
    await makeService({
      org: xavier.organization.id,
      domain: `delta-${tag}.example.net`,
      status: 'failed',
      saga: 'compensated',
      createdAt: at(2),
    });

    const list = async (query: string) => {
      const res = await w.admin.get(`${PAGE}?${query}`);
      expect(res.status).toBe(200);
      return listed(w.admin.lastHtml);
    };
    expect(await list(`q=${tag}`)).toEqual([
      `delta-${tag}.example.net`,
      `gamma-${tag}.example.com`,
      `beta-${tag}.example.org`,
      `alpha-${tag}.example.com`,
    ]);
    expect(w.admin.lastHtml).toContain('4 services');
    // Domain search is case-insensitive and matches any part.
    expect(await list(`q=${tag.toUpperCase()}.EXAMPLE.COM`)).toEqual([
      `gamma-${tag}.example.com`,
      `alpha-${tag}.example.com`,
    ]);
    expect(await list(`q=${tag}&status=suspended`)).toEqual([`beta-${tag}.example.org`]);
    // The row shows plan, organization, overdue since and the saga.
    expect(w.admin.lastHtml).toContain(business.name);
    expect(w.admin.lastHtml).toContain('Wendy Web');
    expect(w.admin.lastHtml).toContain(`datetime="${at(2).toISOString()}"`);
    expect(await list(`q=${tag}&saga=running`)).toEqual([`gamma-${tag}.example.com`]);
    expect(w.admin.lastHtml).toContain('Xavier Xylo');
    expect(await list(`q=${tag}&organization=wendy`)).toEqual([`beta-${tag}.example.org`, `alpha-${tag}.example.com`]);
    expect(await list(`q=${tag}&plan=${business.id}`)).toEqual([`beta-${tag}.example.org`]);
    expect(await list(`q=${tag}&organization=xavier&status=failed`)).toEqual([`delta-${tag}.example.net`]);
    expect(await list(`q=nothing-like-${tag}`)).toEqual([]);
    expect(w.admin.lastHtml).toContain('No hosting services.');
    // A LIKE wildcard typed into the search matches itself only.
    expect(await list(`q=%25${tag}`)).toEqual([]);
  });

  it('answers filters it cannot use with messages and 422, never a 500', async () => {
    const res = await w.admin.get(`${PAGE}?status=deleted&plan=not-a-uuid&saga=sideways`);
    expect(res.status).toBe(422);
    expect(w.admin.lastHtml).toContain('Choose a status from the list.');
    expect(w.admin.lastHtml).toContain('Choose a plan from the list.');
    expect(w.admin.lastHtml).toContain('Choose a saga state from the list.');
  });

  it('pages 50 at a time, keeping the filters in the links', async () => {
    const tag = `page${u()}`;
    const t0 = w.ctx.clock.now().getTime();
    for (let i = 0; i < 52; i++)
      await makeService({
        org: xavier.organization.id,
        domain: `${tag}-${String(i).padStart(2, '0')}.example.com`,
        createdAt: new Date(t0 - i * 1000),
      });
    const first = await w.admin.get(`${PAGE}?q=${tag}`);
    expect(first.status).toBe(200);
    const one = listed(w.admin.lastHtml);
    expect(one).toHaveLength(50);
    expect(one[0]).toBe(`${tag}-00.example.com`);
    expect(w.admin.lastHtml).toContain('Page 1 of 2');
    expect(w.admin.lastHtml).toContain(`href="${PAGE}?q=${tag}&amp;page=2"`);
    await w.admin.get(`${PAGE}?q=${tag}&page=2`);
    expect(listed(w.admin.lastHtml)).toEqual([`${tag}-50.example.com`, `${tag}-51.example.com`]);
  });

  it('is for platform staff only: a customer gets 404, and the admin navigation links to it', async () => {
    const s = await makeService({ org: wendy.organization.id });
    expect((await w.customer.get(PAGE)).status).toBe(404);
    expect((await w.customer.get(`${PAGE}/${s.id}`)).status).toBe(404);
    await w.admin.get('/admin/hosting');
    expect(w.admin.lastHtml).toContain(`href="${PAGE}"`);
    expect(w.admin.lastHtml).toContain('>Hosting services</a>');
  });
});

describe('one service', () => {
  it('shows the service, its panel ids, the saga journal, the charges with refunds and its log', async () => {
    const now = w.ctx.clock.now();
    const s = await makeService({
      org: wendy.organization.id,
      domain: `shown-${u()}.example.com`,
      over: {
        enhance_org_id: '11111111-2222-4333-8444-555555555555',
        enhance_subscription_id: 4242,
        enhance_website_id: '66666666-7777-4888-8999-000000000000',
        server_ips: JSON.stringify([{ ip: '203.0.113.7', isPrimary: true }]),
        saga_attempts: 2,
        saga_error: 'the panel said 409 on the website',
      },
    });
    await w.ctx.db
      .insertInto('hosting_saga_steps')
      .values([
        { service_id: s.id, step: 'charge', detail: JSON.stringify({ amount: '5.00' }) as never },
        { service_id: s.id, step: 'website', detail: JSON.stringify({ website_id: s.enhance_website_id }) as never },
      ])
      .execute();
    await w.ctx.db
      .insertInto('hosting_charges')
      .values({
        service_id: s.id,
        organization_id: wendy.organization.id,
        period_start: now,
        period_end: s.period_end!,
        amount: 5_000_000n,
        refunded: 1_250_000n,
        kind: 'purchase',
      })
      .execute();
    await w.ctx.db
      .insertInto('activity_log')
      .values({
        action: 'admin.hosting_plan_updated',
        actor_user_id: w.adaId,
        target_type: 'hosting_service',
        target_id: s.id,
        details: JSON.stringify({ note: 'matched by target' }),
      })
      .execute();

    const res = await w.admin.get(`${PAGE}/${s.id}`);
    expect(res.status).toBe(200);
    const html = w.admin.lastHtml;
    expect(html).toContain(`<title>${s.domain} · SkyPanel</title>`);
    expect(html).toContain('Wendy Web');
    expect(html).toContain(starter.name);
    expect(html).toContain('11111111-2222-4333-8444-555555555555');
    expect(html).toContain('4242');
    expect(html).toContain('66666666-7777-4888-8999-000000000000');
    expect(html).toContain('203.0.113.7');
    expect(html).toContain('First month charged');
    expect(html).toContain('amount: 5.00');
    expect(html).toContain('2 attempts');
    expect(html).toContain('the panel said 409 on the website');
    expect(html).toContain('$5.00');
    expect(html).toContain('$1.25');
    expect(html).toContain('matched by target');
  });

  it('answers an unknown or malformed id with 404', async () => {
    expect((await w.admin.get(`${PAGE}/${crypto.randomUUID()}`)).status).toBe(404);
    expect((await w.admin.get(`${PAGE}/not-an-id`)).status).toBe(404);
  });
});
