import { beforeEach, describe, expect, it } from 'vitest';
import { purchaseHosting, resumeSagas, retrySaga, syncServiceFromPanel } from '../../src/domain/hosting/purchase.ts';
import { runSaga } from '../../src/domain/hosting/saga.ts';
import { hostingSagasJob } from '../../jobs/hosting-sagas.ts';
import { getService } from '../../src/domain/hosting/services.ts';
import { checkStoreDomain } from '../../src/domain/hosting/store.ts';
import { AppError } from '../../src/lib/errors.ts';
import {
  balanceOf,
  cancelAll,
  domainName,
  postingsOf,
  serviceRow,
  staff,
  stepsOf,
  usd,
  useStoreWorld,
  type StoreWorld,
} from './purchase-helpers.ts';

const w: StoreWorld = useStoreWorld();
// Each test starts with no live service in Olive's organization (the panel's side removed too).
beforeEach(async () => {
  if (w.ctx) await cancelAll(w, w.olive.orgId);
});
const key = () => `k-${crypto.randomUUID()}`;
const buy = (domain: string, planId = w.starter, k = key()) =>
  purchaseHosting(w.ctx.deps, w.olive.actor, { planId, domain, key: k });
const rejection = async (p: Promise<unknown>): Promise<AppError> => {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(err instanceof AppError)) throw new Error(`expected an AppError, got ${String(err)}`);
  return err;
};
const ORDER = ['charge', 'customer', 'login', 'member', 'subscription', 'website', 'activated'];
const UNDO = ['charge', 'undo_website', 'undo_subscription', 'refund'];
const sorted = (steps: string[]) =>
  [...steps].sort((a, b) => [...ORDER, ...UNDO].indexOf(a) - [...ORDER, ...UNDO].indexOf(b));
/** The customer org the panel knows Olive's organization by (after her first purchase). */
const customerOrg = async () =>
  (
    await w.ctx.db
      .selectFrom('hosting_customers')
      .select('enhance_org_id')
      .where('organization_id', '=', w.olive.orgId)
      .executeTakeFirstOrThrow()
  ).enhance_org_id;

describe('buying web hosting', () => {
  it('charges the first month, sets up the panel account, subscription and website, and goes live', async () => {
    const before = await balanceOf(w, w.olive.orgId);
    const domain = domainName();
    const s = await buy(`  https://${domain.toUpperCase()}/ `);
    expect(s).toMatchObject({ status: 'active', domain, saga_state: 'done', failure: null });
    expect(sorted(await stepsOf(w, s.id))).toEqual(ORDER);
    expect(await balanceOf(w, w.olive.orgId)).toBe(before - usd(5));
    expect(await postingsOf(w, s.id)).toEqual(['hosting_charge']);
    const charge = await w.ctx.db.selectFrom('hosting_charges').selectAll().where('service_id', '=', s.id).execute();
    expect(charge).toHaveLength(1);
    expect(charge[0]).toMatchObject({ kind: 'purchase', amount: usd(5), refunded: 0n });
    expect(s.period_start).toEqual(charge[0]!.period_start);
    expect(s.period_end).toEqual(charge[0]!.period_end);
    expect(s.period_end!.getTime() - s.period_start!.getTime()).toBeGreaterThanOrEqual(28 * 86_400_000);
    // At the panel: a customer org with Olive's login as its owner, a subscription and the website.
    const org = await customerOrg();
    const site = await w.panel.getWebsite(org, s.enhance_website_id!);
    expect(site.domain.domain).toBe(domain);
    expect(site.subscriptionId).toBe(s.enhance_subscription_id);
    expect((s.server_ips as { ip: string }[]).map((x) => x.ip)).toEqual(site.serverIps.map((x) => x.ip));
    const members = await w.panel.listMembers(org);
    expect(members.find((m) => m.email === w.olive.email)?.roles).toContain('Owner');
    // No password was ever stored or e-mailed: the login's create carried one the request log redacts.
    const login = w.emu.requests().find((r) => r.method === 'POST' && r.path === '/logins');
    expect(login?.body).toMatchObject({ email: w.olive.email, password: '[redacted]' });
    const mail = await w.ctx.db.selectFrom('emails').selectAll().execute();
    expect(JSON.stringify(mail)).not.toMatch(/password:/i);
    // The welcome is queued once, with the activation.
    const notices = await w.ctx.db.selectFrom('hosting_notices').selectAll().where('service_id', '=', s.id).execute();
    expect(notices.map((n) => n.kind)).toEqual(['welcome']);
  });

  it('reuses the organization’s panel account for a second plan, and replaces a stale one', async () => {
    const org = await customerOrg();
    const s = await buy(domainName(), w.business);
    expect(s.status).toBe('active');
    expect(s.enhance_org_id).toBe(org);
    // The panel loses the customer org: the next purchase makes a new one and stores it.
    await w.panel.request('DELETE', `/orgs/${org}`);
    await cancelAll(w, w.olive.orgId);
    const again = await buy(domainName());
    expect(again.status).toBe('active');
    expect(again.enhance_org_id).not.toBe(org);
    expect(await customerOrg()).toBe(again.enhance_org_id);
  });

  it('makes one service and one charge of a double submit, even at the same moment', async () => {
    const k = key();
    const domain = domainName('twice');
    await cancelAll(w, w.olive.orgId);
    const before = await balanceOf(w, w.olive.orgId);
    const all = await Promise.all([1, 2, 3, 4].map(() => buy(domain, w.starter, k)));
    expect(new Set(all.map((s) => s.id)).size).toBe(1);
    expect(await postingsOf(w, all[0]!.id)).toEqual(['hosting_charge']);
    expect(await balanceOf(w, w.olive.orgId)).toBe(before - usd(5));
    expect((await serviceRow(w, all[0]!.id)).status).toBe('active');
  });

  it('sells a domain once when two purchases with different keys race for it', async () => {
    const domain = domainName('race');
    const results = await Promise.allSettled([buy(domain, w.business), buy(domain, w.business)]);
    const ok = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    expect(ok).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect((refused[0]!.reason as AppError).fields?.domain).toMatch(/already/);
    const rows = await w.ctx.db.selectFrom('hosting_services').select('id').where('domain', '=', domain).execute();
    expect(rows).toHaveLength(1);
    expect(await postingsOf(w, rows[0]!.id)).toEqual(['hosting_charge']);
  });

  it('refuses without enough money (422) and creates nothing, here or at the panel', async () => {
    w.emu.clearRequests();
    const err = await rejection(
      purchaseHosting(w.ctx.deps, w.gus.actor, { planId: w.starter, domain: domainName(), key: key() }),
    );
    expect(err.status).toBe(422);
    expect(err.code).toBe('insufficient_funds');
    expect(err.message).toMatch(/does not cover the first month/);
    const rows = await w.ctx.db
      .selectFrom('hosting_services')
      .where('organization_id', '=', w.gus.orgId)
      .selectAll()
      .execute();
    expect(rows).toEqual([]);
    expect(w.emu.requests().filter((r) => r.method !== 'GET' && !r.path.endsWith('/domains/check'))).toEqual([]);
  });

  it('refuses bad input with field errors, and a viewer outright', async () => {
    const err = await rejection(buy('not a domain', 'nope'));
    expect(err.status).toBe(422);
    expect(err.fields).toMatchObject({
      plan_id: 'Choose a plan from the list.',
      domain: expect.stringMatching(/domain name/),
    });
    expect((await rejection(buy('http://x'))).fields?.domain).toMatch(/domain name/);
    const viewer = await rejection(
      purchaseHosting(w.ctx.deps, w.vera.actor, { planId: w.starter, domain: domainName(), key: key() }),
    );
    expect(viewer.status).toBe(403);
  });
});

describe('the domain check', () => {
  const check = (domain: string) => checkStoreDomain(w.ctx.deps, w.olive.actor, domain);

  it('says why each unavailable domain cannot be bought, before any money moves', async () => {
    expect(await check('example.com')).toMatchObject({ state: 'prohibited', available: false });
    const other = await w.panel.createCustomer('Someone Else');
    const [starter] = await w.panel.listPlans();
    const sub = await w.panel.createSubscription(other, { planId: starter!.id });
    const taken = domainName('taken');
    await w.panel.createWebsite(other, { domain: taken, subscriptionId: sub });
    const v = await check(taken);
    expect(v).toMatchObject({ state: 'inUseAnotherOrg', available: false });
    expect(v.message).toMatch(/another customer/);
    expect(v.message).not.toMatch(/enhance/i);
    const before = await balanceOf(w, w.olive.orgId);
    const err = await rejection(buy(taken, w.business));
    expect(err.fields?.domain).toMatch(/another customer/);
    expect(await balanceOf(w, w.olive.orgId)).toBe(before);
    expect((await rejection(buy('example.com', w.business))).fields?.domain).toMatch(/cannot be hosted/);
    const fresh = domainName('free');
    expect(await check(fresh)).toMatchObject({ state: 'notInUse', available: true });
    expect((await rejection(check('-bad-.test'))).fields?.domain).toMatch(/domain name/);
  });

  it('answers a live service’s domain locally: ours, or being set up for someone else', async () => {
    const mine = await buy(domainName('mine'));
    expect(await check(mine.domain)).toMatchObject({ state: 'inUseCurrentOrg', available: false });
    const gus = await checkStoreDomain(w.ctx.deps, w.gus.actor, mine.domain);
    expect(gus).toMatchObject({ state: 'inUseAnotherOrg', available: false });
  });

  it('frees a domain a deleted website still holds, and the purchase goes through', async () => {
    const other = await w.panel.createCustomer('Gone Customer');
    const [, business] = await w.panel.listPlans();
    const sub = await w.panel.createSubscription(other, { planId: business!.id });
    const domain = domainName('reborn');
    const old = await w.panel.createWebsite(other, { domain, subscriptionId: sub });
    await w.panel.deleteWebsite(other, old);
    expect(await check(domain)).toMatchObject({ state: 'inUseDeletedSite', available: true });
    await cancelAll(w, w.olive.orgId);
    const s = await buy(domain, w.business);
    expect(s.status).toBe('active');
    expect(w.emu.state.websites.has(old)).toBe(false);
  });
});

describe('a purchase that fails is undone and refunded once', () => {
  const cases: [string, () => void, RegExp, string[]][] = [
    ['customer', () => w.emu.faults.fail('POST', /^\/orgs\/[^/]+\/customers$/, 403), /refused/, []],
    ['login', () => w.emu.faults.fail('GET', '/logins', 403), /refused/, ['customer']],
    ['member', () => w.emu.faults.fail('POST', /\/members$/, 403), /refused/, ['customer', 'login']],
    [
      'subscription',
      () => w.emu.faults.fail('POST', /\/subscriptions$/, 404),
      /could not be found/,
      ['customer', 'login', 'member'],
    ],
    [
      'website',
      () => w.emu.faults.fail('POST', /\/websites$/, 403, { code: 'forbidden', detail: 'domain' }),
      /cannot be hosted/,
      ['customer', 'login', 'member', 'subscription'],
    ],
    [
      'activation',
      () => w.emu.faults.fail('GET', /\/websites\/[0-9a-f-]{36}$/, 404),
      /could not be found/,
      ['customer', 'login', 'member', 'subscription', 'website'],
    ],
  ];

  for (const [point, arm, message, done] of cases)
    it(`at the ${point} step`, async () => {
      await cancelAll(w, w.olive.orgId);
      await w.ctx.db.deleteFrom('hosting_customers').where('organization_id', '=', w.olive.orgId).execute();
      const before = await balanceOf(w, w.olive.orgId);
      const subsBefore = w.emu.state.subscriptions.size;
      const sitesBefore = [...w.emu.state.websites.values()].filter((x) => x.status !== 'deleted').length;
      arm();
      const s = await buy(domainName(point));
      w.emu.faults.clear();
      expect(s.status).toBe('failed');
      expect(s.saga_state).toBe('compensated');
      expect(s.failure).toMatch(message);
      expect(s.failure).not.toMatch(/enhance/i);
      expect(s.saga_error).toBeTruthy();
      expect(sorted(await stepsOf(w, s.id))).toEqual(
        sorted(['charge', ...done, 'undo_website', 'undo_subscription', 'refund']),
      );
      expect(await postingsOf(w, s.id)).toEqual(expect.arrayContaining(['hosting_charge', 'hosting_refund']));
      expect(await postingsOf(w, s.id)).toHaveLength(2);
      expect(await balanceOf(w, w.olive.orgId)).toBe(before);
      const charge = await w.ctx.db
        .selectFrom('hosting_charges')
        .selectAll()
        .where('service_id', '=', s.id)
        .executeTakeFirstOrThrow();
      expect(charge.refunded).toBe(charge.amount);
      // Nothing left at the panel: no subscription or live website made by this purchase.
      expect(w.emu.state.subscriptions.size).toBe(subsBefore);
      expect([...w.emu.state.websites.values()].filter((x) => x.status !== 'deleted').length).toBe(sitesBefore);
      // Resuming a compensated saga changes nothing: still one refund.
      await resumeSagas(w.ctx.deps, { serviceId: s.id });
      expect(await postingsOf(w, s.id)).toHaveLength(2);
      // The domain is free again for the next purchase.
      expect((await serviceRow(w, s.id)).status).toBe('failed');
    });
});

describe('transient failures and crashes', () => {
  it('leaves a saga the panel could not answer running, and the job finishes it after the backoff', async () => {
    await cancelAll(w, w.olive.orgId);
    w.emu.faults.fail('POST', /\/websites$/, 503);
    const s = await buy(domainName('later'));
    expect(s).toMatchObject({ status: 'provisioning', saga_state: 'running', saga_attempts: 1 });
    expect(s.saga_claimed_until!.getTime()).toBeGreaterThan(w.ctx.clock.now().getTime());
    expect(await resumeSagas(w.ctx.deps)).not.toHaveProperty('done');
    w.ctx.clock.advance(61_000);
    // The job's handler (jobs/hosting-sagas.ts) resumes it.
    expect(await hostingSagasJob(w.ctx.deps, {}, null)).toMatchObject({ done: 1 });
    const after = await serviceRow(w, s.id);
    expect(after).toMatchObject({ status: 'active', saga_state: 'done', saga_attempts: 2, saga_error: null });
    expect(await postingsOf(w, s.id)).toEqual(['hosting_charge']);
  });

  it('gives up after five attempts: undone and refunded once', async () => {
    await cancelAll(w, w.olive.orgId);
    const before = await balanceOf(w, w.olive.orgId);
    w.emu.faults.fail('POST', /\/websites$/, 502, undefined, 20);
    const s = await buy(domainName('never'));
    for (let n = 0; n < 6; n++) {
      w.ctx.clock.advance(17 * 60_000);
      await resumeSagas(w.ctx.deps, { serviceId: s.id });
    }
    w.emu.faults.clear();
    const after = await serviceRow(w, s.id);
    expect(after).toMatchObject({ status: 'failed', saga_state: 'compensated' });
    expect(after.failure).toMatch(/could not set up the website in time/);
    expect(await postingsOf(w, s.id)).toHaveLength(2);
    expect(await balanceOf(w, w.olive.orgId)).toBe(before);
    expect(after.enhance_subscription_id).not.toBeNull();
    expect(w.emu.state.subscriptions.has(after.enhance_subscription_id!)).toBe(false);
  });

  it('resumes a saga whose worker died after the panel made the subscription, without a second one', async () => {
    await cancelAll(w, w.olive.orgId);
    const s = await purchaseHosting(
      w.ctx.deps,
      w.olive.actor,
      { planId: w.starter, domain: domainName('crash'), key: key() },
      { run: false },
    );
    expect(await runSaga(w.ctx.deps, s.id, { haltAfter: 'member' })).toBe('halted');
    // The dead worker had asked the panel for the subscription, but never wrote it down.
    const row = await serviceRow(w, s.id);
    const [starter] = await w.panel.listPlans();
    const sub = await w.panel.createSubscription(row.enhance_org_id!, { planId: starter!.id });
    // Its lock went with it: the next sweep takes the saga over at once, no lease to wait out.
    expect(await resumeSagas(w.ctx.deps)).toMatchObject({ done: 1 });
    const after = await serviceRow(w, s.id);
    expect(after).toMatchObject({ status: 'active', enhance_subscription_id: sub });
    const subs = [...w.emu.state.subscriptions.values()].filter(
      (x) => x.subscriberId === row.enhance_org_id && x.planId === starter!.id,
    );
    expect(subs).toHaveLength(1);
    expect(await postingsOf(w, s.id)).toEqual(['hosting_charge']);
  });

  it('resumes after the panel made the website but the worker died: the website is adopted', async () => {
    await cancelAll(w, w.olive.orgId);
    const domain = domainName('adopt');
    const s = await purchaseHosting(
      w.ctx.deps,
      w.olive.actor,
      { planId: w.starter, domain, key: key() },
      { run: false },
    );
    expect(await runSaga(w.ctx.deps, s.id, { haltAfter: 'subscription' })).toBe('halted');
    const row = await serviceRow(w, s.id);
    const site = await w.panel.createWebsite(row.enhance_org_id!, {
      domain,
      subscriptionId: row.enhance_subscription_id!,
    });
    await resumeSagas(w.ctx.deps);
    expect(await serviceRow(w, s.id)).toMatchObject({ status: 'active', enhance_website_id: site });
  });

  it('keeps compensating while the panel cannot undo, and refunds once when it can', async () => {
    const before = await balanceOf(w, w.olive.orgId);
    w.emu.faults.fail('POST', /\/websites$/, 403, { code: 'forbidden', detail: 'domain' });
    w.emu.faults.fail('DELETE', /\/subscriptions\/\d+$/, 503, undefined, 3);
    const s = await buy(domainName('undo'));
    expect(s).toMatchObject({ status: 'provisioning', saga_state: 'compensating' });
    expect(await postingsOf(w, s.id)).toEqual(['hosting_charge']);
    expect((await getService(w.ctx.db, w.olive.actor, s.id)).undoing).toBe(true);
    await w.olive.browser.get(`/hosting/${s.id}`);
    expect(w.olive.browser.lastHtml).toContain('data-testid="hosting-undoing"');
    w.ctx.clock.advance(2 * 60_000);
    await resumeSagas(w.ctx.deps);
    w.emu.faults.clear();
    const after = await serviceRow(w, s.id);
    expect(after).toMatchObject({ status: 'failed', saga_state: 'compensated' });
    expect(after.failure).toMatch(/cannot be hosted/);
    expect(w.emu.state.subscriptions.has(after.enhance_subscription_id!)).toBe(false);
    expect(await postingsOf(w, s.id)).toHaveLength(2);
    expect(await balanceOf(w, w.olive.orgId)).toBe(before);
  });

  it('lets staff sync a service from the panel: server IPs and PHP version follow the website', async () => {
    const s = await buy(domainName('sync'));
    const site = w.emu.state.websites.get(s.enhance_website_id!)!;
    site.serverIps = [{ ip: '198.51.100.77', isPrimary: true }];
    site.phpVersion = 'php82';
    const synced = await syncServiceFromPanel(w.ctx.deps, s.id);
    expect(synced).toMatchObject({ websiteStatus: 'active', phpVersion: 'php82' });
    const after = await serviceRow(w, s.id);
    expect(after.server_ips).toEqual([{ ip: '198.51.100.77', isPrimary: true }]);
    expect(after.php_version).toBe('php82');
  });

  it('lets staff retry a waiting saga now, and refuses one that has finished', async () => {
    await cancelAll(w, w.olive.orgId);
    w.emu.faults.fail('POST', /\/websites$/, 503);
    const s = await buy(domainName('retry'));
    expect(s.status).toBe('provisioning');
    const customerTry = await rejection(retrySaga(w.ctx.deps, w.olive.actor, s.id));
    expect(customerTry.status).toBe(403);
    const done = await retrySaga(w.ctx.deps, staff(w.samId), s.id);
    expect(done).toMatchObject({ status: 'active', saga_state: 'done' });
    expect((await rejection(retrySaga(w.ctx.deps, staff(w.samId), s.id))).status).toBe(409);
  });

  it('two workers never run one saga at once', async () => {
    await cancelAll(w, w.olive.orgId);
    const s = await purchaseHosting(
      w.ctx.deps,
      w.olive.actor,
      { planId: w.starter, domain: domainName('pair'), key: key() },
      { run: false },
    );
    const [a, b, job] = await Promise.all([
      runSaga(w.ctx.deps, s.id),
      runSaga(w.ctx.deps, s.id),
      resumeSagas(w.ctx.deps),
    ]);
    expect([a, b].filter((o) => o === 'done').length + (job.done ?? 0)).toBe(1);
    const row = await serviceRow(w, s.id);
    const subs = [...w.emu.state.subscriptions.values()].filter((x) => x.subscriberId === row.enhance_org_id);
    expect(subs).toHaveLength(1);
    expect(await serviceRow(w, s.id)).toMatchObject({ status: 'active' });
    expect(await postingsOf(w, s.id)).toEqual(['hosting_charge']);
  });
});

describe('reading services', () => {
  it('answers another organization’s service as not found', async () => {
    const mine = await w.ctx.db
      .selectFrom('hosting_services')
      .select('id')
      .where('organization_id', '=', w.olive.orgId)
      .executeTakeFirstOrThrow();
    expect((await rejection(getService(w.ctx.db, w.gus.actor, mine.id))).status).toBe(404);
    expect((await getService(w.ctx.db, w.vera.actor, mine.id)).id).toBe(mine.id);
  });
});
