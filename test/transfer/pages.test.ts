import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { PERMISSIONS } from '../../src/domain/access/permissions.ts';
import { runTransferHour } from '../../src/domain/transfer/engine.ts';
import { buyPack } from '../../src/domain/transfer/manage.ts';
import { monthStartOf } from '../../src/domain/transfer/units.ts';
import { apiClient, tokenFor } from '../api/client.ts';
import { fundWallet } from '../helpers/money.ts';
import { createPerson, PASSWORD, signedIn, uniqueEmail } from '../helpers/people.ts';
import { GB, grow, insertServer, setPrice, transferPlan, useTransferWorld, walletBalance } from './helpers.ts';

/**
 * The customer's /billing/transfer and its API, and the staff page: what they show after a
 * real hourly run against the emulator, packs bought from the wallet (guarded, once per form
 * or Idempotency-Key), and every refused form answered with 422 and nothing changed.
 */
const w = useTransferWorld({ RATE_LIMIT_AUTH_ACTIONS: '10000', LOGIN_IP_LOCKOUT_ATTEMPTS: '10000' });
let ip = 0;

async function customer(name: string) {
  const p = await createPerson(w.ctx, name, { email: uniqueEmail(name), verified: true });
  return { person: p, org: p.organization.id };
}

async function pack(opts: { price?: bigint; sizeGb?: number; active?: boolean } = {}) {
  const row = await w.ctx.db
    .insertInto('transfer_packs')
    .values({
      name: `Pack ${Math.random().toString(36).slice(2, 8)}`,
      size_gb: opts.sizeGb ?? 100,
      price: opts.price ?? 2_000_000n,
      currency: 'USD',
      active: opts.active ?? true,
      created_at: new Date(),
      updated_at: new Date(),
    })
    .returning(['id', 'name'])
    .executeTakeFirstOrThrow();
  return row;
}

const creditsOf = (org: string) =>
  w.ctx.db.selectFrom('transfer_credits').selectAll().where('organization_id', '=', org).execute();

/** A customer with a 1 GB server in us-east that used 3 GB this month, read by a real hourly run. */
async function usedThisMonth(name: string) {
  const c = await customer(name);
  const plan = await transferPlan(w, 1);
  const s = await insertServer(w, {
    organizationId: c.org,
    planId: plan,
    createdAt: monthStartOf(w.ctx.clock.now()),
  });
  await setPrice(w, 'us-east', 10_000n);
  grow(w, s.instanceId, 3n * GB);
  await runTransferHour(w.ctx.deps, { trigger: 'test' });
  return { ...c, server: s };
}

describe('/billing/transfer', () => {
  it('shows usage per pool and server, the overage charged, credits and packs; buys a pack once, refusing what the wallet cannot cover', async () => {
    const { person, org, server } = await usedThisMonth('Tara Transfer');
    // 2 GB over at 0.01: 0.02 charged, the wallet below zero.
    expect(await walletBalance(w.ctx.db, org)).toBe(-20_000n);
    const offer = await pack({ price: 5_000_000n, sizeGb: 50 });
    const browser = await signedIn(w.ctx, person.email, PASSWORD, `203.0.113.${++ip}`);

    let res = await browser.get('/billing/transfer');
    expect(res.status).toBe(200);
    let html = await res.text();
    expect(html).toContain('Region pools');
    expect(html).toContain('3.00 GB');
    expect(html).toContain('1.00 GB');
    expect(html).toContain(`data-testid="server-${server.id}"`);
    expect(html).toContain(offer.name);
    expect(html).toContain('$0.02');
    expect((await browser.get('/billing')).status).toBe(200);
    expect(browser.lastHtml).toContain('href="/billing/transfer"');

    // The wallet cannot cover the pack: the form again with 422, nothing bought or charged.
    const purchaseId = randomUUID();
    res = await browser.post('/billing/transfer/packs', { pack_id: offer.id, purchase_id: purchaseId });
    expect(res.status).toBe(422);
    expect(await res.text()).toContain('does not cover');
    expect(await creditsOf(org)).toHaveLength(0);
    expect(await walletBalance(w.ctx.db, org)).toBe(-20_000n);

    // Unknown and withdrawn packs: 422 on pack_id.
    const withdrawn = await pack({ active: false });
    for (const packId of [randomUUID(), 'nonsense', withdrawn.id]) {
      res = await browser.post('/billing/transfer/packs', { pack_id: packId, purchase_id: randomUUID() });
      expect(res.status).toBe(422);
      expect(await res.text()).toContain('Choose one of the packs on offer.');
    }

    await fundWallet(w.ctx.db, org, 10_000_000n);
    res = await browser.post('/billing/transfer/packs', { pack_id: offer.id, purchase_id: purchaseId });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/billing/transfer');
    // The same form again (a double submit): bought once.
    res = await browser.post('/billing/transfer/packs', { pack_id: offer.id, purchase_id: purchaseId });
    expect(res.status).toBe(303);
    const credits = await creditsOf(org);
    expect(credits).toHaveLength(1);
    expect(credits[0]!.total_bytes).toBe(50n * GB);
    expect(await walletBalance(w.ctx.db, org)).toBe(-20_000n + 10_000_000n - 5_000_000n);
    const audit = await w.ctx.db
      .selectFrom('activity_log')
      .select('action')
      .where('organization_id', '=', org)
      .where('action', '=', 'transfer.pack_bought')
      .execute();
    expect(audit).toHaveLength(1);

    html = await (await browser.get('/billing/transfer')).text();
    expect(html).toContain(`data-testid="credit-${credits[0]!.id}"`);
    expect(html).toContain('50.00 GB');
  });
});

describe('GET /api/v1/billing/transfer, POST /api/v1/billing/transfer/packs', () => {
  it('answers usage with pools, servers and credits; buys with an Idempotency-Key once; 422 for funds and packs', async () => {
    const { person, org, server } = await usedThisMonth('Aldo Api');
    const addr = `198.51.100.${++ip}`;
    const token = await tokenFor(w.ctx, person.email, addr);
    const call = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
      apiClient(w.ctx, addr)(method, path, { token, body, headers });

    let res = await call('GET', '/billing/transfer');
    expect(res.status).toBe(200);
    const pool = res.body.pools.find((p: { region: string }) => p.region === 'us-east');
    expect(pool).toMatchObject({
      used_gb: '3.000000',
      included_gb: '1.000000',
      overage_gb: '2.000000',
      charged: '0.02',
      price_per_gb: '0.010000',
      closed: false,
    });
    expect(res.body.servers).toEqual([expect.objectContaining({ id: server.id, used_gb: '3.000000', deleted: false })]);

    const offer = await pack({ price: 1_000_000n, sizeGb: 10 });
    res = await call('POST', '/billing/transfer/packs', { pack_id: offer.id }, { 'idempotency-key': randomUUID() });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('insufficient_funds');
    res = await call('POST', '/billing/transfer/packs', { pack_id: randomUUID() }, { 'idempotency-key': randomUUID() });
    expect(res.status).toBe(422);
    expect(res.body.error.fields.pack_id).toBeDefined();
    expect(await creditsOf(org)).toHaveLength(0);

    await fundWallet(w.ctx.db, org, 5_000_000n);
    const key = randomUUID();
    res = await call('POST', '/billing/transfer/packs', { pack_id: offer.id }, { 'idempotency-key': key });
    expect(res.status).toBe(201);
    expect(res.body.credit).toMatchObject({ source: 'pack', total_gb: '10.000000', remaining_gb: '10.000000' });
    expect(res.body.balance).toBe('3.98');
    const again = await call('POST', '/billing/transfer/packs', { pack_id: offer.id }, { 'idempotency-key': key });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(res.body);
    expect(await creditsOf(org)).toHaveLength(1);
    expect(await walletBalance(w.ctx.db, org)).toBe(3_980_000n);

    res = await call('GET', '/billing/transfer');
    expect(res.body.credit_remaining_gb).toBe('10.000000');
    const doc = await apiClient(w.ctx, addr)('GET', '/openapi.json');
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/billing/transfer', '/billing/transfer/packs']),
    );
  });
});

describe('/admin/billing/transfer', () => {
  it('sets region prices, creates and withdraws packs, grants credit with a reason (audited); bad input is the form again with 422', async () => {
    const ada = await createPerson(w.ctx, 'Ada Admin', {
      email: uniqueEmail('Ada Admin'),
      isAdmin: true,
      verified: true,
    });
    const admin = await signedIn(w.ctx, ada.email, PASSWORD, `192.0.2.${++ip}`);
    const { org } = await usedThisMonth('Gus Granted');
    let res = await admin.get('/admin/billing/transfer');
    expect(res.status).toBe(200);
    let html = await res.text();
    expect(html).toContain('Price per GB by region');
    expect(html).toContain('Gus Granted'.split(' ')[0]!);

    const providerId = w.catalogue.providerId;
    res = await admin.post('/admin/billing/transfer/prices', {
      provider_id: providerId,
      region_id: 'ap-south',
      price_per_gb: 'cheap',
    });
    expect(res.status).toBe(422);
    expect(await res.text()).toContain('Enter a price like 0.01');
    res = await admin.post('/admin/billing/transfer/prices', {
      provider_id: providerId,
      region_id: 'ap-south',
      price_per_gb: '0.015',
    });
    expect(res.status).toBe(303);
    const price = await w.ctx.db
      .selectFrom('transfer_region_prices')
      .select('price_per_gb')
      .where('provider_id', '=', providerId)
      .where('region_id', '=', 'ap-south')
      .executeTakeFirstOrThrow();
    expect(price.price_per_gb).toBe(15_000n);

    res = await admin.post('/admin/billing/transfer/packs', { name: 'Big', size_gb: 'lots', price: '-1' });
    expect(res.status).toBe(422);
    html = await res.text();
    expect(html).toContain('Enter a whole number of GB.');
    res = await admin.post('/admin/billing/transfer/packs', { name: 'Terabyte', size_gb: '1000', price: '8.00' });
    expect(res.status).toBe(303);
    const made = await w.ctx.db
      .selectFrom('transfer_packs')
      .selectAll()
      .where('name', '=', 'Terabyte')
      .executeTakeFirstOrThrow();
    expect([made.size_gb, made.price, made.active]).toEqual([1000, 8_000_000n, true]);
    res = await admin.post(`/admin/billing/transfer/packs/${made.id}`, {
      pack: made.id,
      name: 'Terabyte',
      size_gb: '0',
      price: '9.00',
      active: 'true',
    });
    expect(res.status).toBe(422);
    expect(await res.text()).toContain('Between 1 and 1,000,000 GB.');
    res = await admin.post(`/admin/billing/transfer/packs/${made.id}`, {
      pack: made.id,
      name: 'Terabyte',
      size_gb: '1024',
      price: '9.00',
      active: 'true',
    });
    expect(res.status).toBe(303);
    const edited = await w.ctx.db
      .selectFrom('transfer_packs')
      .select(['size_gb', 'price'])
      .where('id', '=', made.id)
      .executeTakeFirstOrThrow();
    expect([edited.size_gb, edited.price]).toEqual([1024, 9_000_000n]);
    res = await admin.post(`/admin/billing/transfer/packs/${made.id}/active`, { active: 'false' });
    expect(res.status).toBe(303);
    expect(
      (await w.ctx.db.selectFrom('transfer_packs').select('active').where('id', '=', made.id).executeTakeFirstOrThrow())
        .active,
    ).toBe(false);

    const grantId = randomUUID();
    res = await admin.post('/admin/billing/transfer/grants', {
      grant_id: grantId,
      organization_id: org,
      gb: '5',
      reason: '',
    });
    expect(res.status).toBe(422);
    expect(await res.text()).toContain('Say why');
    expect(await creditsOf(org)).toHaveLength(0);
    res = await admin.post('/admin/billing/transfer/grants', {
      grant_id: grantId,
      organization_id: org,
      gb: '5',
      reason: 'Sorry for the outage',
    });
    expect(res.status).toBe(303);
    // The same form twice grants once.
    await admin.post('/admin/billing/transfer/grants', {
      grant_id: grantId,
      organization_id: org,
      gb: '5',
      reason: 'Sorry for the outage',
    });
    const credits = await creditsOf(org);
    expect(credits.map((c) => [c.source, c.total_bytes, c.reason, c.granted_by])).toEqual([
      ['grant', 5n * GB, 'Sorry for the outage', ada.id],
    ]);
    const audit = await w.ctx.db
      .selectFrom('activity_log')
      .select(['actor_user_id', 'details'])
      .where('action', '=', 'admin.transfer_credit_granted')
      .where('organization_id', '=', org)
      .execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]!.actor_user_id).toBe(ada.id);

    html = await (await admin.get('/admin/billing/transfer')).text();
    expect(html).toContain('hourly');
    expect(html).toContain('Withdrawn'.toLowerCase());
  });
});

describe('buyPack', () => {
  it('five concurrent purchases with one purchase id buy once; a wallet short of the price changes nothing', async () => {
    const { person, org } = await customer('Connie Current');
    const offer = await pack({ price: 3_000_000n, sizeGb: 30 });
    const actor = {
      userId: person.id,
      isPlatformAdmin: false,
      organizationId: org,
      roleName: 'owner',
      permissions: new Set(PERMISSIONS),
      impersonatorUserId: null,
      apiKeyId: null,
      origin: { ip: '192.0.2.9', userAgent: null },
    };
    await expect(buyPack(w.ctx.deps, actor, { pack_id: offer.id, purchase_id: randomUUID() })).rejects.toMatchObject({
      code: 'insufficient_funds',
      status: 422,
    });
    expect(await creditsOf(org)).toHaveLength(0);
    expect(await walletBalance(w.ctx.db, org)).toBe(0n);

    await fundWallet(w.ctx.db, org, 4_000_000n);
    const purchaseId = randomUUID();
    const results = await Promise.all(
      Array.from({ length: 5 }, () => buyPack(w.ctx.deps, actor, { pack_id: offer.id, purchase_id: purchaseId })),
    );
    expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
    expect(new Set(results.map((r) => r.credit.id)).size).toBe(1);
    expect(await creditsOf(org)).toHaveLength(1);
    expect(await walletBalance(w.ctx.db, org)).toBe(1_000_000n);
    // A second, different purchase: the balance no longer covers it.
    await expect(buyPack(w.ctx.deps, actor, { pack_id: offer.id, purchase_id: randomUUID() })).rejects.toMatchObject({
      code: 'insufficient_funds',
    });
    expect(await walletBalance(w.ctx.db, org)).toBe(1_000_000n);
  });
});
