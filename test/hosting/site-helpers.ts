import { afterAll, beforeAll } from 'vitest';
import { encryptSecret } from '../../src/lib/crypto.ts';
import { createEnhanceClient, type EnhanceClient } from '../../src/providers/enhance/index.ts';
import { startEnhanceEmulator, type StartedEnhanceEmulator } from '../../src/providers/enhance/emulator/index.ts';
import { apiClient, tokenFor } from '../api/client.ts';
import { joinAs } from '../api-keys/helpers.ts';
import type { TestBrowser } from '../helpers/browser.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createPerson, PASSWORD, signedIn, uniqueEmail } from '../helpers/people.ts';

/**
 * The site tabs' world (domains, DNS, SSL, PHP, control panel): an Enhance emulator on
 * 127.0.0.1 reached by the app with the real client, the app on a real database with the
 * integration saved and the emulator's Starter plan, Olive (owner of her organization), Vera (a
 * viewer there: hosting_view only) and Gus (another organization), each signed in and with an
 * API token. Services are made without the purchase saga: a customer org with its owner member,
 * a subscription and a website at the emulator, and the hosting_customers / hosting_services
 * rows pointing at them. Let's Encrypt issuance at the emulator ends only when the test says so
 * (`emu.finishJobs()`).
 */
export interface SiteWorld {
  ctx: TestContext;
  emu: StartedEnhanceEmulator;
  panel: EnhanceClient;
  olive: Person;
  vera: Person;
  gus: Person;
  planId: string;
  api: ReturnType<typeof apiClient>;
}

export interface Person {
  id: string;
  email: string;
  orgId: string;
  browser: TestBrowser;
  token: string;
}

export function useSiteWorld(): SiteWorld {
  const w = {} as SiteWorld;
  beforeAll(async () => {
    w.emu = await startEnhanceEmulator({ jobMs: 3_600_000 });
    w.ctx = await createTestContext({ RATE_LIMIT_AUTH_ACTIONS: '10000', LOGIN_IP_LOCKOUT_ATTEMPTS: '10000' });
    w.panel = createEnhanceClient({ baseUrl: w.emu.url, token: w.emu.token, masterOrgId: w.emu.masterOrgId });
    w.api = apiClient(w.ctx, '192.0.2.60');
    const make = async (name: string, ip: string, orgId?: string, role?: string): Promise<Person> => {
      const p = await createPerson(w.ctx, name, { verified: true, email: uniqueEmail(name) });
      if (orgId && role) await joinAs(w.ctx, orgId, p.id, role);
      const browser = await signedIn(w.ctx, p.email, PASSWORD, ip);
      return {
        id: p.id,
        email: p.email,
        orgId: orgId ?? p.organization.id,
        browser,
        token: await tokenFor(w.ctx, p.email, ip),
      };
    };
    w.olive = await make('Olive Owner', '192.0.2.12');
    w.vera = await make('Vera Viewer', '192.0.2.13', w.olive.orgId, 'viewer');
    w.gus = await make('Gus Globex', '192.0.2.14');
    await w.ctx.db
      .insertInto('hosting_integration')
      .values({
        id: 1,
        enabled: true,
        demo: false,
        api_url: w.emu.url,
        master_org_id: w.emu.masterOrgId,
        token_ciphertext: encryptSecret(w.ctx.config.encryptionKeys, w.emu.token),
      })
      .execute();
    const [starter] = await w.panel.listPlans();
    const plan = await w.ctx.db
      .insertInto('hosting_plans')
      .values({
        master_org_id: w.emu.masterOrgId,
        enhance_plan_id: starter!.id,
        upstream_name: starter!.name,
        name: starter!.name,
        monthly_price: 5_000_000n,
        resources: JSON.stringify(starter!.resources),
        allowances: '[]',
        selections: '[]',
        php_versions: starter!.allowedPhpVersions,
        default_php_version: starter!.defaultPhpVersion,
        active: true,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    w.planId = plan.id;
  });
  afterAll(async () => {
    await w.ctx?.close();
    await w.emu?.close();
  });
  return w;
}

/**
 * A service of `orgId` with a live website at the emulator (Starter, or the emulator plan named
 * `plan`, e.g. Agency, which allows Node.js), and the organization's customer account (its owner
 * member stored unless `storeMember` is false). One customer account per organization, as the
 * purchase makes it.
 */
export async function siteService(
  w: SiteWorld,
  orgId: string,
  opts: {
    status?: 'active' | 'suspended' | 'provisioning' | 'cancelled';
    storeMember?: boolean;
    plan?: 'Starter' | 'Business' | 'Agency';
  } = {},
) {
  const status = opts.status ?? 'active';
  const domain = `site-${crypto.randomUUID().slice(0, 8)}.test`;
  const existing = await w.ctx.db
    .selectFrom('hosting_customers')
    .selectAll()
    .where('organization_id', '=', orgId)
    .executeTakeFirst();
  let customer = existing?.enhance_org_id;
  let memberId = existing?.member_id ?? null;
  if (!customer) {
    customer = await w.panel.createCustomer(`Customer ${domain}`);
    const loginId = await w.panel.createLogin(customer, {
      email: `owner-${domain}@mail.test`,
      name: 'Owner',
      password: 'Sufficiently-Long-42',
    });
    memberId = await w.panel.addMember(customer, { loginId, roles: ['SuperAdmin'] });
    await w.panel.setOwner(customer, memberId);
    await w.ctx.db
      .insertInto('hosting_customers')
      .values({
        organization_id: orgId,
        master_org_id: w.emu.masterOrgId,
        enhance_org_id: customer,
        login_id: loginId,
        member_id: opts.storeMember === false ? null : memberId,
      })
      .execute();
  }
  const plans = await w.panel.listPlans();
  const starter = opts.plan ? plans.find((p) => p.name === opts.plan) : plans[0];
  const subs = await w.panel.listSubscriptions(customer);
  const subId =
    subs.find((s) => s.planId === starter!.id && s.status === 'active')?.id ??
    (await w.panel.createSubscription(customer, { planId: starter!.id }));
  // Starter allows one website: more services of one organization get a plan with room (any plan, to be sure).
  const plan = w.emu.state.plans.get(starter!.id)!;
  const websites = plan.resources.find((r) => r.name === 'websites');
  if (websites) websites.total = null;
  const websiteId = await w.panel.createWebsite(customer, { domain, subscriptionId: subId });
  const now = w.ctx.clock.now();
  const row = await w.ctx.db
    .insertInto('hosting_services')
    .values({
      organization_id: orgId,
      plan_id: w.planId,
      master_org_id: w.emu.masterOrgId,
      domain,
      status,
      monthly_price: 5_000_000n,
      enhance_org_id: customer,
      enhance_subscription_id: subId,
      enhance_website_id: status === 'provisioning' ? null : websiteId,
      php_version: 'php83',
      period_start: now,
      period_end: new Date(now.getTime() + 30 * 86_400_000),
      suspended_at: status === 'suspended' ? now : null,
      suspended_by: status === 'suspended' ? 'dunning' : null,
      cancelled_at: status === 'cancelled' ? now : null,
      purchase_key: crypto.randomUUID(),
      saga_state: 'done',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const [primary] = await w.panel.listWebsiteDomains(customer, websiteId);
  return { id: row.id, domain, enhanceOrgId: customer, websiteId, primaryId: primary!.domainId, memberId: memberId! };
}

/** The activity entries about a service (the test clock stands still: in no particular order). */
export const activityOf = (w: SiteWorld, serviceId: string) =>
  w.ctx.db
    .selectFrom('activity_log')
    .select(['action', 'actor_user_id', 'details'])
    .where('target_type', '=', 'hosting_service')
    .where('target_id', '=', serviceId)
    .execute();

/** A self-signed certificate and its key for `host` (and *.host), valid for `days` from now (negative: expired). */
export async function selfSigned(host: string, days = 90): Promise<{ cert: string; key: string }> {
  const { execFile } = await import('node:child_process');
  const { mkdtemp, readFile, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const path = await import('node:path');
  const dir = await mkdtemp(path.join(tmpdir(), 'sp-cert-'));
  const run = (args: string[]) =>
    new Promise<void>((resolve, reject) => execFile('openssl', args, (err) => (err ? reject(err) : resolve())));
  try {
    await run([
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      path.join(dir, 'key.pem'),
      '-out',
      path.join(dir, 'cert.pem'),
      '-days',
      String(Math.max(1, days)),
      '-subj',
      `/CN=${host}`,
      '-addext',
      `subjectAltName=DNS:${host},DNS:*.${host}`,
    ]);
    return {
      cert: await readFile(path.join(dir, 'cert.pem'), 'utf8'),
      key: await readFile(path.join(dir, 'key.pem'), 'utf8'),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
