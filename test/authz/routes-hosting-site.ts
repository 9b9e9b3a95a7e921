import { sql } from 'kysely';
import { hostingClient } from '../../src/domain/hosting/connector.ts';
import { COLUMNS } from '../../src/domain/hosting/integration.ts';
import type { EnhanceClient } from '../../src/providers/enhance/index.ts';
import { selfSigned } from '../hosting/site-helpers.ts';
import type { Call, Done, Requirement } from './routes.ts';

/**
 * The matrix's entries for a hosting service's site tabs (issue 17, helper B): the pages under
 * /hosting/:id (domains, dns, ssl, php, node, sso) and /api/v1/hosting/services/{id}/(domains,
 * dns, ssl, php, node, sso). Each call sets the integration to the demo one, answered in process by the
 * app's own Enhance emulator (routes-hosting.ts points it elsewhere for its calls), and gets a
 * service of its own with a live website there (Acme's, or Globex's for the foreign record);
 * nested routes name a domain or DNS record of that service (the foreign one: of a Globex
 * service, so 404).
 */

const u = () => Math.random().toString(36).slice(2, 10);
const problem = (ok: boolean, what: string) => (ok ? null : what);
const db = (c: Call) => c.fx.ctx.db;
const emu = (c: Call) => {
  const e = c.fx.ctx.deps.emulators.enhance;
  if (!e) throw new Error('the matrix needs the demo Enhance emulator (EMULATORS_ENABLED)');
  return e;
};
const title = (t: string) => `<title>${t} · SkyPanel</title>`;

/** The demo integration, answered by the app's emulator; its client. */
async function demo(c: Call): Promise<EnhanceClient> {
  const e = emu(c);
  const values = { enabled: true, demo: true, api_url: null, master_org_id: e.masterOrgId, token_ciphertext: null };
  const row = await db(c)
    .insertInto('hosting_integration')
    .values({ id: 1, ...values })
    .onConflict((oc) => oc.column('id').doUpdateSet(values))
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();
  return hostingClient(c.fx.ctx.deps, row);
}

/** The emulator's Starter plan as a local plan (once), with room for any number of websites. */
async function planOf(c: Call, client: EnhanceClient): Promise<string> {
  const e = emu(c);
  const [starter] = await client.listPlans();
  const websites = e.state.plans.get(starter!.id)!.resources.find((r) => r.name === 'websites');
  if (websites) websites.total = null;
  await db(c)
    .insertInto('hosting_plans')
    .values({
      master_org_id: e.masterOrgId,
      enhance_plan_id: starter!.id,
      upstream_name: starter!.name,
      name: starter!.name,
      monthly_price: 5_000_000n,
      resources: JSON.stringify(starter!.resources),
      allowances: '[]',
      selections: '[]',
      php_versions: starter!.allowedPhpVersions,
      default_php_version: starter!.defaultPhpVersion,
    })
    .onConflict((oc) => oc.columns(['master_org_id', 'enhance_plan_id']).doNothing())
    .execute();
  const p = await db(c)
    .selectFrom('hosting_plans')
    .select('id')
    .where('master_org_id', '=', e.masterOrgId)
    .where('enhance_plan_id', '=', starter!.id)
    .executeTakeFirstOrThrow();
  return p.id;
}

/** The organization's customer account at the emulator (made once, as a purchase would) and its subscription to `plan` (Starter by default). */
async function customerOf(c: Call, client: EnhanceClient, orgId: string, plan = 'Starter') {
  const e = emu(c);
  const row = await db(c)
    .selectFrom('hosting_customers')
    .select(['enhance_org_id'])
    .where('organization_id', '=', orgId)
    .where('master_org_id', '=', e.masterOrgId)
    .executeTakeFirst();
  let enhanceOrg = row && e.state.orgs.get(row.enhance_org_id)?.status === 'active' ? row.enhance_org_id : null;
  if (!enhanceOrg) {
    enhanceOrg = await client.createCustomer(`Matrix ${u()}`);
    const loginId = await client.createLogin(enhanceOrg, {
      email: `matrix-${u()}@mail.test`,
      name: 'Matrix',
      password: 'Sufficiently-Long-42',
    });
    const memberId = await client.addMember(enhanceOrg, { loginId, roles: ['SuperAdmin'] });
    await client.setOwner(enhanceOrg, memberId);
    const values = { enhance_org_id: enhanceOrg, login_id: loginId, member_id: memberId };
    await db(c)
      .insertInto('hosting_customers')
      .values({ organization_id: orgId, master_org_id: e.masterOrgId, ...values })
      .onConflict((oc) => oc.columns(['organization_id', 'master_org_id']).doUpdateSet(values))
      .execute();
  }
  const starter = (await client.listPlans()).find((p) => p.name === plan);
  // Room for any number of websites on this plan too (planOf lifts Starter's).
  const websites = e.state.plans.get(starter!.id)!.resources.find((r) => r.name === 'websites');
  if (websites) websites.total = null;
  const subs = await client.listSubscriptions(enhanceOrg);
  const subId =
    subs.find((s) => s.planId === starter!.id && s.status === 'active')?.id ??
    (await client.createSubscription(enhanceOrg, { planId: starter!.id }));
  return { enhanceOrg, subId };
}

interface Made {
  id: string;
  domain: string;
  enhanceOrg: string;
  websiteId: string;
  primaryId: string;
  client: EnhanceClient;
}

/** An active service of `orgId` with a live website at the app's emulator (its subscription on `plan`: Agency allows Node.js). */
async function service(c: Call, orgId: string, plan = 'Starter'): Promise<Made> {
  const client = await demo(c);
  const planId = await planOf(c, client);
  const { enhanceOrg, subId } = await customerOf(c, client, orgId, plan);
  const domain = `s${u()}.matrix.test`;
  const websiteId = await client.createWebsite(enhanceOrg, { domain, subscriptionId: subId });
  const now = c.fx.ctx.clock.now();
  const row = await db(c)
    .insertInto('hosting_services')
    .values({
      organization_id: orgId,
      plan_id: planId,
      master_org_id: emu(c).masterOrgId,
      domain,
      status: 'active',
      monthly_price: 5_000_000n,
      enhance_org_id: enhanceOrg,
      enhance_subscription_id: subId,
      enhance_website_id: websiteId,
      php_version: 'php83',
      period_start: now,
      period_end: new Date(now.getTime() + 30 * 86_400_000),
      purchase_key: crypto.randomUUID(),
      saga_state: 'done',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const [primary] = await client.listWebsiteDomains(enhanceOrg, websiteId);
  return { id: row.id, domain, enhanceOrg, websiteId, primaryId: primary!.domainId, client };
}

const made = new WeakMap<Call, Made>();
const of = (c: Call) => made.get(c)!;

/** The record `:id`: a fresh Acme service (kept for the call), or a Globex one. */
const serviceRecord: Requirement['record'] = {
  of: 'org',
  own: async (c) => {
    const s = await service(c, c.fx.acme.id);
    made.set(c, s);
    c.made.domain = s.domain;
    return s.id;
  },
  // Kept too, so a body can name its parts (the call is refused before they matter).
  foreign: async (c) => {
    const s = await service(c, c.fx.globex.id);
    made.set(c, s);
    return s.id;
  },
};

/** The record `:id` on a plan with Node.js (Agency); `own` installs Node.js 18 and 20 (18 the default). */
const nodeRecord: Requirement['record'] = {
  of: 'org',
  own: async (c) => {
    const s = await service(c, c.fx.acme.id, 'Agency');
    made.set(c, s);
    c.made.domain = s.domain;
    await s.client.installNodeVersion(s.websiteId, '18');
    await s.client.installNodeVersion(s.websiteId, '20');
    return s.id;
  },
  foreign: async (c) => {
    const s = await service(c, c.fx.globex.id, 'Agency');
    made.set(c, s);
    return s.id;
  },
};
const node = (c: Call) => site(c).extras.node ?? { installed: [], default: null };

/** For nested routes: the Acme service is made by setup and named by `:id`; the record is what `inner` makes in a service. */
function nested(inner: (c: Call, s: Made) => Promise<string>): Pick<Requirement, 'setup' | 'params' | 'record'> {
  return {
    setup: async (c) => {
      const s = await service(c, c.fx.acme.id);
      made.set(c, s);
      return { serviceId: s.id, domain: s.domain };
    },
    params: (c) => ({ id: c.made.serviceId! }),
    record: {
      of: 'org',
      own: (c) => inner(c, of(c)),
      foreign: async (c) => inner(c, await service(c, c.fx.globex.id)),
    },
  };
}

const alias = async (c: Call, s: Made) =>
  s.client.addWebsiteDomain(s.enhanceOrg, s.websiteId, { domain: `a${u()}.matrix.test`, kind: 'alias' });
const txt = (c: Call, s: Made) =>
  s.client.createDnsRecord(s.enhanceOrg, s.websiteId, s.primaryId, { kind: 'TXT', name: `t${u()}`, value: 'matrix' });

let certificate: Promise<{ cert: string; key: string }> | null = null;
/** One certificate for *.matrix.test, made once. */
const wildcard = () => (certificate ??= selfSigned('matrix.test', 3650));
const withCertificate = async (c: Call, s: Made) => {
  await s.client.uploadCertificate(s.primaryId, await wildcard());
  return s.primaryId;
};

const site = (c: Call) => emu(c).state.websites.get(of(c).websiteId)!;
const zone = (c: Call) => of(c).client.getDnsZone(of(c).enhanceOrg, of(c).websiteId, of(c).primaryId);
const serviceRow = (c: Call) =>
  db(c).selectFrom('hosting_services').selectAll().where('id', '=', of(c).id).executeTakeFirstOrThrow();

const page = (c: Call, tab: string, ...shows: string[]): Done => ({
  status: 200,
  shows: [title(`${tab} · ${c.made.domain}`), ...shows],
});
const back = (c: Call, tab: string, effect: Done['effect']): Done => ({
  status: 303,
  location: new RegExp(`^/hosting/${of(c).id}/${tab}`),
  effect,
});

const view = (tab: string, shows: string): Requirement => ({
  auth: 'session',
  permission: 'hosting_view',
  record: serviceRecord,
  done: (c) => page(c, tab, shows),
});

export const HOSTING_SITE_ROUTES: Record<string, Requirement> = {
  // Pages ------------------------------------------------------------------------------------
  'GET /hosting/:id/domains': view('Domains', 'data-testid="domains"'),
  'GET /hosting/:id/dns': view('DNS', 'data-testid="dns-records"'),
  'GET /hosting/:id/ssl': view('SSL', 'data-testid="certificates"'),
  'GET /hosting/:id/php': view('PHP', 'data-testid="php-current"'),
  'GET /hosting/:id/ssl/progress': {
    auth: 'session',
    permission: 'hosting_view',
    record: serviceRecord,
    done: { status: 200, shows: ['id="ssl-certificates"'] },
  },
  'POST /hosting/:id/domains': {
    auth: 'session',
    permission: 'hosting_manage',
    record: serviceRecord,
    body: () => ({ domain: `a${u()}.matrix.test`, kind: 'alias' }),
    done: (c) =>
      back(c, 'domains', () =>
        problem(
          site(c).domains.some((d) => d.domain === c.body!.domain && d.kind === 'alias'),
          'the alias was not added',
        ),
      ),
  },
  'POST /hosting/:id/domains/primary': {
    auth: 'session',
    permission: 'hosting_manage',
    record: serviceRecord,
    body: async (c) => {
      const id = await alias(c, of(c));
      c.made.aliasId = id;
      return { domain_id: id };
    },
    done: (c) =>
      back(c, 'domains', async () => {
        const d = site(c).domains.find((x) => x.id === c.made.aliasId);
        return problem(
          d?.kind === 'primary' && (await serviceRow(c)).domain === d.domain,
          'the alias did not become primary',
        );
      }),
  },
  'POST /hosting/:id/domains/:domainId/deletion': {
    auth: 'session',
    permission: 'hosting_manage',
    ...nested(alias),
    done: (c) =>
      back(c, 'domains', () =>
        problem(!site(c).domains.some((d) => d.id === c.params.domainId), 'the domain is still there'),
      ),
  },
  'POST /hosting/:id/dns': {
    auth: 'session',
    permission: 'hosting_manage',
    record: serviceRecord,
    body: () => ({ kind: 'TXT', name: `n${u()}`, value: 'matrix record', ttl: '300' }),
    done: (c) =>
      back(c, 'dns', async () =>
        problem(
          (await zone(c)).records.some((r) => r.name === c.body!.name && r.value === 'matrix record'),
          'the record was not added',
        ),
      ),
  },
  'POST /hosting/:id/dns/:recordId': {
    auth: 'session',
    permission: 'hosting_manage',
    ...nested(txt),
    body: () => ({ value: 'changed by the matrix' }),
    done: (c) =>
      back(c, 'dns', async () =>
        problem(
          (await zone(c)).records.find((r) => r.id === c.params.recordId)?.value === 'changed by the matrix',
          'the record was not changed',
        ),
      ),
  },
  'POST /hosting/:id/dns/:recordId/deletion': {
    auth: 'session',
    permission: 'hosting_manage',
    ...nested(txt),
    done: (c) =>
      back(c, 'dns', async () =>
        problem(!(await zone(c)).records.some((r) => r.id === c.params.recordId), 'the record is still there'),
      ),
  },
  'POST /hosting/:id/ssl/letsencrypt': {
    auth: 'session',
    permission: 'hosting_manage',
    record: serviceRecord,
    body: (c) => ({ domain_id: of(c).primaryId }),
    done: (c) =>
      back(c, 'ssl', async () => {
        const { rows } = await sql`select 1 from hosting_ssl_requests where service_id = ${of(c).id}`.execute(db(c));
        return problem(rows.length === 1, 'the request was not recorded');
      }),
  },
  'POST /hosting/:id/ssl/upload': {
    auth: 'session',
    permission: 'hosting_manage',
    record: serviceRecord,
    body: async (c) => ({ domain_id: of(c).primaryId, ...(await wildcard()) }),
    done: (c) =>
      back(c, 'ssl', async () =>
        problem((await of(c).client.getCertificate(of(c).primaryId))?.issuer === 'Uploaded', 'nothing was installed'),
      ),
  },
  'POST /hosting/:id/ssl/:domainId/https': {
    auth: 'session',
    permission: 'hosting_manage',
    ...nested(withCertificate),
    body: () => ({ force_https: 'on' }),
    done: (c) =>
      back(c, 'ssl', async () =>
        problem(
          (await of(c).client.getCertificate(of(c).primaryId))?.forceHttps === true,
          'the redirect was not turned on',
        ),
      ),
  },
  'POST /hosting/:id/php': {
    auth: 'session',
    permission: 'hosting_manage',
    record: serviceRecord,
    body: () => ({ php_version: 'php81' }),
    done: (c) => back(c, 'php', () => problem(site(c).phpVersion === 'php81', 'the PHP version did not change')),
  },
  'POST /hosting/:id/node/install': {
    auth: 'session',
    permission: 'hosting_manage',
    record: nodeRecord,
    body: () => ({ install: '22' }),
    done: (c) => back(c, 'php', () => problem(node(c).installed.includes('22'), 'Node.js 22 was not installed')),
  },
  'POST /hosting/:id/node/default': {
    auth: 'session',
    permission: 'hosting_manage',
    record: nodeRecord,
    body: () => ({ default: '20' }),
    done: (c) => back(c, 'php', () => problem(node(c).default === '20', 'the default Node.js did not change')),
  },
  'POST /hosting/:id/sso': {
    auth: 'session',
    permission: 'hosting_manage',
    record: serviceRecord,
    done: { status: 303, location: /\/api\/login\/sessions\/sso\?otp=/ },
  },

  // JSON API -----------------------------------------------------------------------------------
  'GET /api/v1/hosting/services/:id/domains': {
    auth: 'token',
    permission: 'hosting_view',
    record: serviceRecord,
    done: { status: 200, shows: '"kind":"primary"' },
  },
  'POST /api/v1/hosting/services/:id/domains': {
    auth: 'token',
    permission: 'hosting_manage',
    record: serviceRecord,
    body: () => ({ domain: `a${u()}.matrix.test`, kind: 'alias' }),
    done: (c) => ({
      status: 201,
      effect: () =>
        problem(
          site(c).domains.some((d) => d.domain === c.body!.domain),
          'the alias was not added',
        ),
    }),
  },
  'PATCH /api/v1/hosting/services/:id/domains/:domain_id': {
    auth: 'token',
    permission: 'hosting_manage',
    ...nested(alias),
    body: () => ({ primary: true as unknown as string }),
    done: (c) => ({
      status: 200,
      effect: () =>
        problem(
          site(c).domains.find((d) => d.id === c.params.domain_id)?.kind === 'primary',
          'the domain did not become primary',
        ),
    }),
  },
  'DELETE /api/v1/hosting/services/:id/domains/:domain_id': {
    auth: 'token',
    permission: 'hosting_manage',
    ...nested(alias),
    done: (c) => ({
      status: 204,
      effect: () => problem(!site(c).domains.some((d) => d.id === c.params.domain_id), 'the domain is still there'),
    }),
  },
  'GET /api/v1/hosting/services/:id/dns': {
    auth: 'token',
    permission: 'hosting_view',
    record: serviceRecord,
    done: { status: 200, shows: '"origin"' },
  },
  'POST /api/v1/hosting/services/:id/dns': {
    auth: 'token',
    permission: 'hosting_manage',
    record: serviceRecord,
    body: () => ({ kind: 'A', name: `n${u()}`, value: '203.0.113.77' }),
    done: (c) => ({
      status: 201,
      effect: async () =>
        problem(
          (await zone(c)).records.some((r) => r.name === c.body!.name),
          'the record was not added',
        ),
    }),
  },
  'PATCH /api/v1/hosting/services/:id/dns/:record_id': {
    auth: 'token',
    permission: 'hosting_manage',
    ...nested(txt),
    body: () => ({ value: 'patched by the matrix' }),
    done: (c) => ({
      status: 200,
      effect: async () =>
        problem(
          (await zone(c)).records.find((r) => r.id === c.params.record_id)?.value === 'patched by the matrix',
          'the record was not changed',
        ),
    }),
  },
  'DELETE /api/v1/hosting/services/:id/dns/:record_id': {
    auth: 'token',
    permission: 'hosting_manage',
    ...nested(txt),
    done: (c) => ({
      status: 204,
      effect: async () =>
        problem(!(await zone(c)).records.some((r) => r.id === c.params.record_id), 'the record is still there'),
    }),
  },
  'GET /api/v1/hosting/services/:id/ssl': {
    auth: 'token',
    permission: 'hosting_view',
    record: serviceRecord,
    done: { status: 200, shows: '"pending":false' },
  },
  'POST /api/v1/hosting/services/:id/ssl': {
    auth: 'token',
    permission: 'hosting_manage',
    record: serviceRecord,
    body: (c) => ({ domain_id: of(c).primaryId, kind: 'letsencrypt' }),
    done: { status: 202, shows: '"state":"pending"' },
  },
  'PATCH /api/v1/hosting/services/:id/ssl/:domain_id': {
    auth: 'token',
    permission: 'hosting_manage',
    ...nested(withCertificate),
    body: () => ({ force_https: true as unknown as string }),
    done: (c) => ({
      status: 200,
      effect: async () =>
        problem(
          (await of(c).client.getCertificate(of(c).primaryId))?.forceHttps === true,
          'the redirect was not turned on',
        ),
    }),
  },
  'GET /api/v1/hosting/services/:id/php': {
    auth: 'token',
    permission: 'hosting_view',
    record: serviceRecord,
    done: { status: 200, shows: '"php_version":"php83"' },
  },
  'PATCH /api/v1/hosting/services/:id/php': {
    auth: 'token',
    permission: 'hosting_manage',
    record: serviceRecord,
    body: () => ({ php_version: 'php82' }),
    done: (c) => ({
      status: 200,
      effect: () => problem(site(c).phpVersion === 'php82', 'the PHP version did not change'),
    }),
  },
  'GET /api/v1/hosting/services/:id/node': {
    auth: 'token',
    permission: 'hosting_view',
    record: nodeRecord,
    done: { status: 200, shows: '"installed":["18","20"]' },
  },
  'PATCH /api/v1/hosting/services/:id/node': {
    auth: 'token',
    permission: 'hosting_manage',
    record: nodeRecord,
    body: () => ({ install: '22', default: '22' }),
    done: (c) => ({
      status: 200,
      effect: () => problem(node(c).default === '22', 'Node.js 22 was not installed and made the default'),
    }),
  },
  'POST /api/v1/hosting/services/:id/sso': {
    auth: 'token',
    permission: 'hosting_manage',
    record: serviceRecord,
    done: { status: 200, shows: '/api/login/sessions/sso?otp=' },
  },
};
