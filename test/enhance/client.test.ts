import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEnhanceClient, enhanceApiBase, EnhanceError, primaryIp } from '../../src/providers/enhance/index.ts';
import { clientFor, onboard, rejection, startWorld, type World } from './helpers.ts';

describe('Enhance client against the emulator', () => {
  let w: World;
  beforeEach(async () => {
    w = await startWorld();
  });
  afterEach(async () => {
    await w.emu.close();
  });

  describe('transport', () => {
    it('appends /api to the panel URL unless it already ends in /api, and strips trailing slashes', async () => {
      expect(enhanceApiBase('https://panel.example.com')).toBe('https://panel.example.com/api');
      expect(enhanceApiBase('https://panel.example.com///')).toBe('https://panel.example.com/api');
      expect(enhanceApiBase('https://panel.example.com/api/')).toBe('https://panel.example.com/api');
      for (const baseUrl of [w.emu.url, `${w.emu.url}/`, `${w.emu.url}/api`]) {
        expect(await clientFor(w, { baseUrl }).health()).toEqual({ ok: true });
      }
    });

    it('accepts a token pasted with its "Bearer " prefix', async () => {
      expect(await clientFor(w, { token: `Bearer ${w.emu.token}` }).health()).toEqual({ ok: true });
    });

    it('sends Accept JSON on every request and Content-Type only with a body', async () => {
      const seen: Array<{ method: string; accept: string | null; type: string | null }> = [];
      const client = clientFor(w, {
        fetch: (async (input: RequestInfo | URL, init?: RequestInit) => {
          const h = new Headers(init?.headers);
          seen.push({ method: init?.method ?? 'GET', accept: h.get('accept'), type: h.get('content-type') });
          return fetch(input, init);
        }) as typeof fetch,
      });
      const orgId = await client.createCustomer('Headers Ltd');
      await client.getOrg(orgId);
      expect(seen).toEqual([
        { method: 'POST', accept: 'application/json', type: 'application/json' },
        { method: 'GET', accept: 'application/json', type: null },
      ]);
    });

    it('reports a wrong token as a configuration problem, white-label and without the token', async () => {
      const secret = 'sk-live-very-secret-token-123';
      const client = clientFor(w, { token: secret });
      const err = await rejection(client.getOrg(w.emu.masterOrgId));
      expect(err).toBeInstanceOf(EnhanceError);
      expect(err).toMatchObject({ kind: 'unauthorized', status: 401 });
      expect(err.message).toMatch(/API token/);
      expect(err.message).not.toMatch(/enhance/i);
      for (const text of [err.message, err.adminMessage, String(err.detail), JSON.stringify(err)])
        expect(text).not.toContain(secret);
      const health = await client.health();
      expect(health).toMatchObject({ ok: false });
      expect(health.ok === false && health.message).toMatch(/^API returned 401/);
    });

    it('keeps the token out of errors even when the panel echoes it back', async () => {
      w.emu.faults.fail('GET', /^\/orgs\//, 400, { code: 'invalid_input', detail: `bad token ${w.emu.token}` });
      const err = await rejection(clientFor(w).getOrg(w.emu.masterOrgId));
      expect(err.status).toBe(400);
      for (const text of [err.message, err.adminMessage, String(err.detail)]) expect(text).not.toContain(w.emu.token);
    });
  });

  describe('retries', () => {
    it('retries a GET after a 503 with backoff, and gives up after the retries', async () => {
      w.emu.faults.fail('GET', `/orgs/${w.emu.masterOrgId}`, 503, undefined, 2);
      const org = await clientFor(w).getOrg(w.emu.masterOrgId);
      expect(org.id).toBe(w.emu.masterOrgId);
      expect(w.waits).toHaveLength(2);
      expect(w.waits[1]!).toBeGreaterThan(w.waits[0]!);

      w.emu.faults.fail('GET', `/orgs/${w.emu.masterOrgId}`, 503, undefined, 3);
      const err = await rejection(clientFor(w).getOrg(w.emu.masterOrgId));
      expect(err).toMatchObject({ kind: 'unavailable', status: 503 });
      expect(err.adminMessage).toContain('after 3 attempts');
    });

    it('never repeats a POST: a 503 on create is thrown at once', async () => {
      w.emu.faults.fail('POST', /customers$/, 503);
      const err = await rejection(clientFor(w).createCustomer('Once Only'));
      expect(err).toMatchObject({ kind: 'unavailable', status: 503 });
      expect(w.waits).toEqual([]);
      expect(w.emu.requests().filter((r) => r.method === 'POST')).toHaveLength(1);
    });

    it('does not retry a 4xx', async () => {
      const err = await rejection(clientFor(w).getOrg('00000000-0000-4000-8000-000000000404'));
      expect(err).toMatchObject({ kind: 'not_found', status: 404 });
      expect(w.waits).toEqual([]);
    });

    it('times out an attempt, retries a GET, and reports a POST timeout without retrying', async () => {
      w.emu.faults.delay('GET', `/orgs/${w.emu.masterOrgId}`, 1_000);
      const org = await clientFor(w, { timeoutMs: 100 }).getOrg(w.emu.masterOrgId);
      expect(org.id).toBe(w.emu.masterOrgId);
      expect(w.waits).toHaveLength(1);

      w.emu.faults.delay('POST', /customers$/, 1_000);
      const err = await rejection(clientFor(w, { timeoutMs: 100 }).createCustomer('Slow Ltd'));
      expect(err).toMatchObject({ kind: 'timeout', status: null });
      expect(err.message).toMatch(/did not answer in time/);
      expect(w.waits).toHaveLength(1);
    });

    it('treats a repeated DELETE that finds nothing as done', async () => {
      const { client, orgId } = await onboard(w);
      const [plan] = await client.listPlans();
      const subId = await client.createSubscription(orgId, { planId: plan!.id });
      const siteId = await client.createWebsite(orgId, { domain: 'retry-delete.test', subscriptionId: subId });
      // The first DELETE happens but its answer is lost (a 502 from a proxy after the fact).
      const path = `/orgs/${orgId}/websites/${siteId}`;
      w.emu.state.websites.delete(siteId);
      w.emu.faults.fail('DELETE', path, 502);
      await client.deleteWebsite(orgId, siteId, { force: true });
      expect(w.waits).toHaveLength(1);
    });
  });

  describe('listings', () => {
    it('pages with limit 100 until offset reaches total', async () => {
      // An emulator whose pages hold two items: the client still asks for 100.
      await w.emu.close();
      w = await startWorld({ maxPageSize: 2 });
      const small = clientFor(w);
      for (let n = 0; n < 5; n++) await small.createCustomer(`Customer ${n}`);
      w.emu.clearRequests();
      const customers = await small.listCustomers();
      expect(customers.map((c) => c.name)).toEqual([0, 1, 2, 3, 4].map((n) => `Customer ${n}`));
      expect(w.emu.requests().map((r) => [r.query.offset, r.query.limit])).toEqual([
        ['0', '100'],
        ['2', '100'],
        ['4', '100'],
      ]);
    });

    it('reads {items} without total and a bare array as the whole listing', async () => {
      const answer = (body: unknown) =>
        (async () =>
          new Response(JSON.stringify(body), { headers: { 'content-type': 'application/json' } })) as typeof fetch;
      const group = { id: 'g1', name: 'EU', serverCount: 2, createdAt: '2026-01-01T00:00:00Z' };
      for (const body of [{ items: [group] }, [group], { items: [group], total: 1 }]) {
        const client = createEnhanceClient({
          baseUrl: 'https://panel.test',
          token: 't',
          masterOrgId: 'mo',
          fetch: answer(body),
        });
        expect(await client.listServerGroups()).toEqual([group]);
      }
    });

    it('reads plans with integer ids and resources, unlimited ones as null', async () => {
      const plans = await clientFor(w).listPlans();
      expect(plans.map((p) => [p.id, p.name])).toEqual([
        [1, 'Starter'],
        [2, 'Business'],
        [3, 'Agency'],
      ]);
      const agency = plans[2]!;
      expect(agency.resources.find((r) => r.name === 'mailboxes')).toEqual({ name: 'mailboxes', total: null });
      expect(plans[0]!.resources.find((r) => r.name === 'websites')).toEqual({ name: 'websites', total: 1 });
      expect(agency).toMatchObject({ allowServerGroupSelection: true, defaultPhpVersion: 'php83', planType: 'shared' });
      expect(agency.allowedPhpVersions).toContain('php83');
      expect((await clientFor(w).listServerGroups()).map((g) => g.name)).toContain('Europe (Frankfurt)');
    });
  });

  describe('onboarding', () => {
    it('creates a customer, a login, a member made owner (uuid ids), and finds the login by e-mail', async () => {
      const { client, orgId, loginId, memberId, email } = await onboard(w);
      const uuid = /^[0-9a-f-]{36}$/;
      for (const id of [orgId, loginId, memberId]) expect(id).toMatch(uuid);
      const members = await client.listMembers(orgId);
      expect(members).toHaveLength(1);
      expect(members[0]).toMatchObject({ id: memberId, loginId, email, roles: ['Owner', 'SuperAdmin'] });
      expect(await client.findLoginByEmail(email.toUpperCase(), orgId)).toMatchObject({ id: loginId });
      const org = await client.getOrg(orgId);
      expect(org).toMatchObject({ parentId: w.emu.masterOrgId, ownerId: memberId, ownerEmail: email });
      const logged = w.emu.requests().find((r) => r.path === '/logins');
      expect(JSON.stringify(logged?.body)).not.toContain('Sufficiently-Long-42');
    });

    it('refuses a second login for the same e-mail realm-wide with 409 detail "login"', async () => {
      const first = await onboard(w, 'dup@shop.test');
      const other = await first.client.createCustomer('Another Org');
      const err = await rejection(
        first.client.createLogin(other, { email: 'DUP@shop.test', name: 'Dup', password: 'Sufficiently-Long-42' }),
      );
      expect(err).toMatchObject({ kind: 'conflict', status: 409, detail: 'login' });
      expect(err.message).toBe('A hosting login already exists for that email address.');
      expect(await first.client.findLoginByEmail('dup@shop.test')).toMatchObject({ id: first.loginId });
      expect(await first.client.findLoginByEmail('nobody@shop.test')).toBeNull();
    });

    it('keeps one Owner when the owner changes', async () => {
      const { client, orgId, memberId } = await onboard(w);
      const login2 = await client.createLogin(orgId, {
        email: 'bob@shop.test',
        name: 'Bob',
        password: 'Another-Long-Pass-7',
      });
      const member2 = await client.addMember(orgId, { loginId: login2, roles: ['SuperAdmin'] });
      await client.setOwner(orgId, member2);
      const owners = (await client.listMembers(orgId)).filter((m) => m.roles.includes('Owner')).map((m) => m.id);
      expect(owners).toEqual([member2]);
      expect(owners).not.toContain(memberId);
    });

    it('mints a fresh single-use SSO URL on every call (201 bare JSON string)', async () => {
      const { client, orgId, memberId } = await onboard(w);
      const a = await client.memberSsoUrl(orgId, memberId);
      const b = await client.memberSsoUrl(orgId, memberId);
      expect(a).not.toBe(b);
      expect(a).toMatch(new RegExp(`^${w.emu.url}/api/login/sessions/sso\\?otp=`));
      const sso = w.emu.requests().filter((r) => r.path.endsWith('/sso'));
      expect(sso.map((r) => r.status)).toEqual([201, 201]);
      const first = await fetch(a);
      expect(first.status).toBe(200);
      expect(first.headers.get('set-cookie')).toMatch(/^id0=/);
      expect(((await first.json()) as any).memberships[0]).toMatchObject({ memberId, orgId, isMasterOrg: false });
      expect((await fetch(a)).status).toBe(401);
      expect((await fetch(b)).status).toBe(200);
    });

    it('answers 404 for stale org, member and website ids', async () => {
      const { client, orgId } = await onboard(w);
      const stale = '00000000-0000-4000-8000-0000000000aa';
      for (const p of [
        client.getOrg(stale),
        client.memberSsoUrl(orgId, stale),
        client.getWebsite(orgId, stale),
        client.listMembers(stale),
      ])
        expect(await rejection(p)).toMatchObject({ kind: 'not_found', status: 404 });
      expect(await client.orgExists(stale)).toBe(false);
      expect(await client.orgExists(orgId)).toBe(true);
    });
  });

  describe('subscriptions and websites', () => {
    async function hosted(domain = `shop-${crypto.randomUUID().slice(0, 6)}.test`) {
      const o = await onboard(w);
      const plans = await o.client.listPlans();
      const subId = await o.client.createSubscription(o.orgId, { planId: plans[0]!.id });
      const siteId = await o.client.createWebsite(o.orgId, { domain, subscriptionId: subId });
      return { ...o, plans, subId, siteId, domain };
    }

    it('creates a subscription with an integer id, once per customer and plan (409 detail "subscription")', async () => {
      const { client, orgId, subId, plans } = await hosted();
      expect(Number.isInteger(subId)).toBe(true);
      const err = await rejection(client.createSubscription(orgId, { planId: plans[0]!.id }));
      expect(err).toMatchObject({ kind: 'conflict', status: 409, detail: 'subscription' });
      const subs = await client.listSubscriptions(orgId);
      expect(subs).toHaveLength(1);
      expect(subs[0]).toMatchObject({ id: subId, planId: plans[0]!.id, planName: 'Starter', status: 'active' });
      expect(subs[0]!.resources.find((r) => r.name === 'websites')).toEqual({ name: 'websites', total: 1, usage: 1 });
    });

    it('creates a website with a uuid, a primary domain object and server IPs', async () => {
      const { client, orgId, siteId, subId, domain } = await hosted();
      expect(siteId).toMatch(/^[0-9a-f-]{36}$/);
      const site = await client.getWebsite(orgId, siteId);
      expect(site).toMatchObject({ id: siteId, orgId, subscriptionId: subId, status: 'active', phpVersion: 'php83' });
      expect(site.domain).toMatchObject({ domain, kind: 'primary' });
      expect(primaryIp(site)).toBe('203.0.113.10');
    });

    it('reports each domain-check state', async () => {
      const { client, orgId, domain, siteId } = await hosted();
      const other = await client.createCustomer('Other Org');
      expect(await client.checkDomain(orgId, 'fresh-domain.test')).toEqual({ status: 'notInUse', websiteId: null });
      expect(await client.checkDomain(orgId, domain)).toEqual({ status: 'inUseCurrentOrg', websiteId: siteId });
      expect(await client.checkDomain(other, domain)).toEqual({ status: 'inUseAnotherOrg', websiteId: siteId });
      expect((await client.checkDomain(orgId, 'example.com')).status).toBe('prohibited');
      await client.deleteWebsite(orgId, siteId);
      expect(await client.checkDomain(orgId, domain)).toEqual({ status: 'inUseDeletedSite', websiteId: siteId });
      await client.deleteWebsite(orgId, siteId, { force: true });
      expect((await client.checkDomain(orgId, domain)).status).toBe('notInUse');
    });

    it('refuses a domain that cannot be hosted with 403 detail "domain", and a full plan with 403', async () => {
      const { client, orgId, subId, domain } = await hosted();
      const taken = await rejection(client.createWebsite(orgId, { domain, subscriptionId: subId }));
      expect(taken).toMatchObject({ kind: 'forbidden', status: 403, detail: 'domain' });
      expect(taken.message).toBe('That domain cannot be hosted: it is not allowed, or it is already in use.');
      const full = await rejection(client.createWebsite(orgId, { domain: 'second-site.test', subscriptionId: subId }));
      expect(full).toMatchObject({ kind: 'forbidden', status: 403, detail: 'websites' });
      expect(full.message).not.toMatch(/enhance/i);
    });

    it('suspends with {status:"disabled", isSuspended:true}, lifts it, and the emulator refuses "suspended"', async () => {
      const { client, orgId, siteId } = await hosted();
      await client.setWebsiteSuspended(orgId, siteId, true);
      expect((await client.getWebsite(orgId, siteId)).status).toBe('disabled');
      expect(w.emu.requests().find((r) => r.method === 'PATCH')?.body).toEqual({
        status: 'disabled',
        isSuspended: true,
      });
      await client.setWebsiteSuspended(orgId, siteId, false);
      expect(await client.getWebsite(orgId, siteId)).toMatchObject({ status: 'active', suspendedBy: null });
      const err = await rejection(client.updateWebsite(orgId, siteId, { status: 'suspended' as never }));
      expect(err).toMatchObject({ kind: 'validation', status: 400, detail: 'status' });
      expect(err.message).toMatch(/^The hosting platform refused the request/);
    });

    it('soft-deletes a subscription and website by default and hard-deletes with force (master org only)', async () => {
      const { client, orgId, subId, siteId, plans } = await hosted();
      await client.deleteWebsite(orgId, siteId);
      expect((await client.getWebsite(orgId, siteId)).status).toBe('deleted');
      expect(await client.listWebsites(orgId)).toEqual([]);
      expect((await client.listWebsites(orgId, { showDeleted: true })).map((s) => s.id)).toEqual([siteId]);
      await client.deleteSubscription(orgId, subId);
      expect((await client.getSubscription(orgId, subId)).status).toBe('deleted');
      // A soft-deleted subscription still blocks a new one to the same plan.
      expect(await rejection(client.createSubscription(orgId, { planId: plans[0]!.id }))).toMatchObject({
        detail: 'subscription',
      });

      const customer = createEnhanceClient({
        baseUrl: w.emu.url,
        token: w.emu.issueToken(orgId),
        masterOrgId: w.emu.masterOrgId,
        retries: 0,
      });
      expect(await rejection(customer.deleteSubscription(orgId, subId, { force: true }))).toMatchObject({
        kind: 'forbidden',
        status: 403,
      });
      await client.deleteSubscription(orgId, subId, { force: true });
      await client.deleteWebsite(orgId, siteId, { force: true });
      expect(await rejection(client.getSubscription(orgId, subId))).toMatchObject({ status: 404 });
      expect(await rejection(client.getWebsite(orgId, siteId))).toMatchObject({ status: 404 });
      expect(await client.createSubscription(orgId, { planId: plans[0]!.id })).toBeGreaterThan(subId);
    });

    it('updates a subscription with PATCH', async () => {
      const { client, orgId, subId } = await hosted();
      await client.updateSubscription(orgId, subId, { isSuspended: true, friendlyName: 'Main site' });
      expect(w.emu.requests().at(-1)).toMatchObject({ method: 'PATCH', status: 204 });
      const sub = await client.getSubscription(orgId, subId);
      expect(sub).toMatchObject({ friendlyName: 'Main site', suspendedBy: w.emu.masterOrgId });
    });

    it('refuses a customer-scoped token on master-org-only endpoints with 403', async () => {
      const { orgId } = await onboard(w);
      const customer = createEnhanceClient({
        baseUrl: w.emu.url,
        token: w.emu.issueToken(orgId),
        masterOrgId: w.emu.masterOrgId,
      });
      for (const p of [
        customer.listPlans(),
        customer.listServerGroups(),
        customer.listLogins(),
        customer.createCustomer('X'),
      ]) {
        const err = await rejection(p);
        expect(err).toMatchObject({ kind: 'forbidden', status: 403 });
        expect(err.message).toMatch(/master organisation token/);
      }
      expect((await customer.getOrg(orgId)).id).toBe(orgId);
      expect(await customer.health()).toMatchObject({ ok: false });
    });
  });
});
