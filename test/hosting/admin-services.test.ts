import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/domain/access/actor.ts';
import { PREDEFINED_ROLES, type Permission } from '../../src/domain/access/permissions.ts';
import { purchaseHosting } from '../../src/domain/hosting/purchase.ts';
import { checkLedgerInvariants } from '../../src/domain/ledger/invariants.ts';
import { formatMoney } from '../../src/lib/money.ts';
import { createEnhanceClient, type EnhanceClient } from '../../src/providers/enhance/index.ts';
import { fundWallet } from '../helpers/money.ts';
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
let agency: { id: string; name: string };
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
  // On sale: hosting on, Starter at $5.00 a month.
  expect((await w.admin.post('/admin/hosting/state', { enabled: 'on' })).status).toBe(303);
  await w.ctx.db.updateTable('hosting_plans').set({ monthly_price: 5_000_000n, active: true }).execute();
  agency = plans[2]!;
  panel = createEnhanceClient({ baseUrl: w.emu.url, token: w.emu.token, masterOrgId: w.emu.masterOrgId });
});

let panel: EnhanceClient;

const ownerOf = (org: string, userId: string): Actor => ({
  userId,
  isPlatformAdmin: false,
  organizationId: org,
  roleName: 'owner',
  permissions: new Set<Permission>(PREDEFINED_ROLES.owner!),
  impersonatorUserId: null,
  apiKeyId: null,
  origin: { ip: '192.0.2.9', userAgent: 'vitest' },
});

type Person = Awaited<ReturnType<typeof createPerson>>;
const someone = (name: string) => createPerson(w.ctx, name, { verified: true, email: uniqueEmail(name) });

/**
 * A plan bought for a new domain through the real purchase (wallet funded and charged, saga run
 * against the emulator); by a new customer unless `who` (one website per plan per organization).
 */
async function bought(label: string, who?: Person, planId = starter.id) {
  const p = who ?? (await someone('Carl Customer'));
  await fundWallet(w.ctx.db, p.organization.id, 5_000_000n);
  return purchaseHosting(w.ctx.deps, ownerOf(p.organization.id, p.id), {
    planId,
    domain: `${label}-${u()}.test`,
    key: randomUUID(),
  });
}

const serviceRow = (id: string) =>
  w.ctx.db.selectFrom('hosting_services').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

const balance = async (org: string) =>
  (await w.ctx.db.selectFrom('wallets').select('balance').where('organization_id', '=', org).executeTakeFirstOrThrow())
    .balance;

/** The log's entries about service `id` (or any target), oldest first. */
const logOf = (id: string, action: string) =>
  w.ctx.db
    .selectFrom('activity_log')
    .select(['action', 'actor_user_id', 'organization_id', 'target_type', 'target_id', 'details'])
    .where('target_id', '=', id)
    .where('action', '=', action)
    .orderBy('occurred_at')
    .execute();

/** Posts a staff action from the service's page (with its CSRF token). */
async function staffAction(id: string, action: string, form: Record<string, string> = {}) {
  await w.admin.get(`${PAGE}/${id}`);
  return w.admin.post(`${PAGE}/${id}/${action}`, form);
}

/** The service page after an action, with its flash. */
const pageOf = async (id: string) => {
  await w.admin.get(`${PAGE}/${id}`);
  return w.admin.lastHtml;
};

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

  it('answers the filter form sent by htmx with the results region only', async () => {
    const s = await makeService({ org: xavier.organization.id, domain: `region-${u()}.example.com` });
    const res = await w.admin.get(`${PAGE}?q=${s.domain}`, {
      'hx-request': 'true',
      'hx-target': 'hosting-service-results',
    });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html.trimStart()).toMatch(/^<div id="hosting-service-results">/);
    expect(html).toContain(s.domain);
    expect(html).not.toContain('<html');
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
        { service_id: s.id, step: 'charge', detail: JSON.stringify({ amount: '5.00' }) },
        { service_id: s.id, step: 'website', detail: JSON.stringify({ website_id: s.enhance_website_id }) },
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

describe("staff's actions", () => {
  it('suspends an active website at the panel (staff) and enables it again, each in the log under the staff member', async () => {
    const s = await bought('suspend');
    expect(s).toMatchObject({ status: 'active', saga_state: 'done' });
    expect(await pageOf(s.id)).toContain('Suspend the website');

    const res = await staffAction(s.id, 'suspend');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`${PAGE}/${s.id}`);
    expect(await serviceRow(s.id)).toMatchObject({ status: 'suspended', suspended_by: 'staff' });
    const site = await panel.getWebsite(s.enhance_org_id!, s.enhance_website_id!);
    expect(site.status).toBe('disabled');
    const html = await pageOf(s.id);
    expect(html).toContain(`${s.domain} is suspended`);
    expect(html).toContain('Enable the website again');
    expect(html).not.toContain('Suspend the website');
    const suspended = await logOf(s.id, 'admin.hosting_service_suspended');
    expect(suspended).toEqual([
      expect.objectContaining({
        actor_user_id: w.adaId,
        target_type: 'hosting_service',
        details: { domain: s.domain },
      }),
    ]);
    expect(html).toContain('Suspended a hosting service&#39;s website');

    // Twice: refused with the reason, nothing more logged.
    expect((await staffAction(s.id, 'suspend')).status).toBe(409);
    expect(w.admin.lastHtml).toContain('Only an active service can be suspended.');
    expect(await logOf(s.id, 'admin.hosting_service_suspended')).toHaveLength(1);

    expect((await staffAction(s.id, 'unsuspend')).status).toBe(303);
    expect(await serviceRow(s.id)).toMatchObject({ status: 'active', suspended_by: null, suspended_at: null });
    expect((await panel.getWebsite(s.enhance_org_id!, s.enhance_website_id!)).status).toBe('active');
    expect(await pageOf(s.id)).toContain(`${s.domain} is active again`);
    expect(await logOf(s.id, 'admin.hosting_service_unsuspended')).toEqual([
      expect.objectContaining({
        actor_user_id: w.adaId,
        details: { domain: s.domain, suspended_by: 'staff', still_overdue: false },
      }),
    ]);
    expect((await staffAction(s.id, 'unsuspend')).status).toBe(409);
  });

  it('answers a panel that refuses with its words for staff (503) and changes nothing', async () => {
    const s = await bought('refused');
    w.emu.faults.fail('PATCH', /\/websites\/[0-9a-f-]{36}$/, 500, undefined, 5);
    const res = await staffAction(s.id, 'suspend');
    w.emu.faults.clear();
    expect(res.status).toBe(503);
    expect(w.admin.lastHtml).toContain('The control panel did not do it');
    expect(await serviceRow(s.id)).toMatchObject({ status: 'active', suspended_by: null });
    expect(await logOf(s.id, 'admin.hosting_service_suspended')).toEqual([]);
  });

  it("syncs one service, and all of an organization's, from the panel", async () => {
    const yara = await someone('Yara Sync');
    const a = await bought('sync-a', yara);
    const b = await bought('sync-b', yara, business.id);
    const ips = (await panel.getWebsite(a.enhance_org_id!, a.enhance_website_id!)).serverIps;
    expect(ips.length).toBeGreaterThan(0);
    await w.ctx.db
      .updateTable('hosting_services')
      .set({ server_ips: '[]', php_version: null })
      .where('id', 'in', [a.id, b.id])
      .execute();

    expect((await staffAction(a.id, 'sync')).status).toBe(303);
    expect((await serviceRow(a.id)).server_ips).toEqual(ips);
    expect((await serviceRow(b.id)).server_ips).toEqual([]);
    expect(await pageOf(a.id)).toContain(
      `Synced from the control panel: the website is active there; server IPs ${ips[0]!.ip}`,
    );
    expect(await logOf(a.id, 'admin.hosting_service_synced')).toEqual([
      expect.objectContaining({
        actor_user_id: w.adaId,
        details: expect.objectContaining({ website_status: 'active' }),
      }),
    ]);

    // The organization: b is synced; a third whose website the panel cannot read is reported, not fatal.
    const c = await bought('sync-c', yara, agency.id);
    await w.ctx.db.updateTable('hosting_services').set({ server_ips: '[]' }).where('id', '=', b.id).execute();
    w.emu.faults.fail('GET', new RegExp(`/websites/${c.enhance_website_id}$`), 404, undefined, 5);
    const res = await staffAction(a.id, 'organization-sync');
    w.emu.faults.clear();
    expect(res.status).toBe(303);
    expect((await serviceRow(b.id)).server_ips).toEqual(
      (await panel.getWebsite(b.enhance_org_id!, b.enhance_website_id!)).serverIps,
    );
    const html = await pageOf(a.id);
    expect(html).toContain(`${yara.organization.name.replace(/'/g, '&#39;')}: 2 services synced`);
    expect(html).toContain(`not synced: ${c.domain}`);
    const entries = await logOf(yara.organization.id, 'admin.hosting_organization_synced');
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      actor_user_id: w.adaId,
      target_type: 'organization',
      details: { failed: c.domain },
    });
    expect(Number(entries[0]!.details.synced)).toBeGreaterThanOrEqual(2);

    // A panel that does not answer (5xx on every try) stops the sync at the first service: the
    // rest are reported as not tried instead of each waiting out its own retries.
    w.emu.faults.fail('GET', /\/websites\/[0-9a-f-]{36}$/, 503, undefined, 1000);
    const before = w.emu.requests().filter((r) => r.method === 'GET' && /\/websites\//.test(r.path)).length;
    const down = await staffAction(a.id, 'organization-sync');
    const tried = w.emu.requests().filter((r) => r.method === 'GET' && /\/websites\//.test(r.path)).length - before;
    w.emu.faults.clear();
    expect(down.status).toBe(303);
    const [last] = (await logOf(yara.organization.id, 'admin.hosting_organization_synced')).slice(-1);
    expect(last).toMatchObject({ details: { synced: 0 } });
    expect(String(last!.details.failed).split(', ').sort()).toEqual([a.domain, b.domain, c.domain].sort());
    // One service's calls (the client's retries), not three services'.
    expect(tried).toBeGreaterThan(0);
    expect(tried).toBeLessThanOrEqual(4);
  });

  it('retries a purchase the panel left running, and refuses one that finished', async () => {
    w.emu.faults.fail('POST', /\/websites$/, 503);
    const s = await bought('retry');
    expect(s).toMatchObject({ status: 'provisioning', saga_state: 'running', saga_attempts: 1 });
    const html = await pageOf(s.id);
    expect(html).toContain("Retry the purchase's next step now");
    expect(html).toContain('503');

    expect((await staffAction(s.id, 'saga-retry')).status).toBe(303);
    expect(await serviceRow(s.id)).toMatchObject({ status: 'active', saga_state: 'done', saga_attempts: 2 });
    expect(await pageOf(s.id)).toContain(`The purchase of ${s.domain} is complete: the service is active.`);
    expect(await logOf(s.id, 'admin.hosting_saga_retried')).toEqual([
      expect.objectContaining({
        actor_user_id: w.adaId,
        details: { domain: s.domain, saga_state: 'done', status: 'active', error: null },
      }),
    ]);

    expect((await staffAction(s.id, 'saga-retry')).status).toBe(409);
    expect(w.admin.lastHtml).toContain('there is no step to retry');
    expect(await logOf(s.id, 'admin.hosting_saga_retried')).toHaveLength(1);
  });

  it('cancels now without a refund, now with the unused days refunded, or at the end of the period', async () => {
    const zoe = await someone('Zoe Cancel');
    const org = zoe.organization.id;
    // Without a refund: the website is deleted at the panel, the wallet unchanged.
    const plain = await bought('cancel-plain', zoe);
    const before = await balance(org);
    expect((await staffAction(plain.id, 'cancel', { when: 'now', refund: 'none' })).status).toBe(303);
    expect(await serviceRow(plain.id)).toMatchObject({ status: 'cancelled' });
    expect(await balance(org)).toBe(before);
    await expect(panel.getWebsite(plain.enhance_org_id!, plain.enhance_website_id!)).rejects.toMatchObject({
      status: 404,
    });
    expect(await pageOf(plain.id)).toContain(`${plain.domain} is cancelled, without a refund.`);
    expect(await logOf(plain.id, 'hosting.service_cancelled')).toEqual([
      expect.objectContaining({ actor_user_id: w.adaId, details: expect.objectContaining({ staff: true }) }),
    ]);
    expect((await staffAction(plain.id, 'cancel', { when: 'now', refund: 'none' })).status).toBe(409);

    // With a refund: the unused whole days go back to the wallet, and the charge shows it.
    const refunded = await bought('cancel-refund', zoe, business.id);
    const mid = await balance(org);
    w.ctx.clock.advance(3_600_000); // an hour in: every whole day but the first is unused
    expect((await staffAction(refunded.id, 'cancel', { when: 'now', refund: 'prorated' })).status).toBe(303);
    const charge = await w.ctx.db
      .selectFrom('hosting_charges')
      .select(['amount', 'refunded'])
      .where('service_id', '=', refunded.id)
      .executeTakeFirstOrThrow();
    expect(charge.refunded).toBeGreaterThan(0n);
    expect(charge.refunded).toBeLessThan(charge.amount);
    expect(await balance(org)).toBe(mid + charge.refunded);
    const html = await pageOf(refunded.id);
    expect(html).toContain(
      `${refunded.domain} is cancelled; ${formatMoney(charge.refunded, 'USD', 4)} refunded to the organization&#39;s wallet.`,
    );

    // A refund only goes with "now"; at the period's end, no refund and the service stays active.
    const later = await bought('cancel-later');
    expect((await staffAction(later.id, 'cancel', { when: 'period_end', refund: 'prorated' })).status).toBe(422);
    expect(w.admin.lastHtml).toContain('A refund is given only when the hosting ends now.');
    expect((await staffAction(later.id, 'cancel', { when: 'sometime', refund: 'none' })).status).toBe(422);
    expect(w.admin.lastHtml).toContain('Choose when the hosting ends.');
    expect(await serviceRow(later.id)).toMatchObject({ status: 'active', cancel_at_period_end: false });
    expect((await staffAction(later.id, 'cancel', { when: 'period_end', refund: 'none' })).status).toBe(303);
    expect(await serviceRow(later.id)).toMatchObject({ status: 'active', cancel_at_period_end: true });
    expect(await pageOf(later.id)).toContain(`${later.domain} will end at the end of its paid period.`);
  });

  it('is refused to customers (404) and changes nothing', async () => {
    const s = await bought('not-yours');
    await w.customer.get('/dashboard');
    for (const action of ['suspend', 'unsuspend', 'cancel', 'saga-retry', 'sync', 'organization-sync'])
      expect((await w.customer.post(`${PAGE}/${s.id}/${action}`, { when: 'now', refund: 'none' })).status).toBe(404);
    expect(await serviceRow(s.id)).toMatchObject({ status: 'active', cancel_at_period_end: false });
  });

  it('leaves every wallet equal to its ledger', async () => {
    expect(await checkLedgerInvariants(w.ctx.db)).toEqual([]);
  });
});
