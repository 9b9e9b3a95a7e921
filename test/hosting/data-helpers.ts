import { sql } from 'kysely';
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
 * The data tabs' world (email, databases, WordPress, backups): an Enhance emulator on
 * 127.0.0.1 reached by the app with the real client, the app on a real database with the
 * integration saved, Olive (owner of her organization), Vera (a viewer there: hosting_view
 * only) and Gus (another organization), each signed in and with an API token. Services are
 * made without the purchase saga: a customer org, subscription and website at the emulator,
 * and the hosting_services row pointing at them. Jobs at the emulator never end on their own
 * (the test ends them with `emu.finishJobs()`); the app's clock is the test's.
 */
export interface DataWorld {
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

export function useDataWorld(): DataWorld {
  const w = {} as DataWorld;
  beforeAll(async () => {
    w.emu = await startEnhanceEmulator({ jobMs: 3_600_000 });
    w.ctx = await createTestContext({ RATE_LIMIT_AUTH_ACTIONS: '10000', LOGIN_IP_LOCKOUT_ATTEMPTS: '10000' });
    w.panel = createEnhanceClient({ baseUrl: w.emu.url, token: w.emu.token, masterOrgId: w.emu.masterOrgId });
    w.api = apiClient(w.ctx, '192.0.2.50');
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
    w.olive = await make('Olive Owner', '192.0.2.2');
    w.vera = await make('Vera Viewer', '192.0.2.3', w.olive.orgId, 'viewer');
    w.gus = await make('Gus Globex', '192.0.2.4');
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

/** An active service of `orgId` with a live website at the emulator (Starter: 5 mailboxes, 2 databases). */
export async function liveService(
  w: DataWorld,
  orgId: string,
  status: 'active' | 'suspended' | 'provisioning' = 'active',
) {
  const domain = `shop-${crypto.randomUUID().slice(0, 8)}.test`;
  const customer = await w.panel.createCustomer(`Customer ${domain}`);
  const [starter] = await w.panel.listPlans();
  const subId = await w.panel.createSubscription(customer, { planId: starter!.id });
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
      period_start: now,
      period_end: new Date(now.getTime() + 30 * 86_400_000),
      suspended_at: status === 'suspended' ? now : null,
      suspended_by: status === 'suspended' ? 'dunning' : null,
      purchase_key: crypto.randomUUID(),
      saga_state: 'done',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: row.id, domain, orgId: customer, websiteId };
}

/** Every row of every table of the app's database as text, for "this secret is stored nowhere" checks. */
export async function everythingStored(w: DataWorld): Promise<string> {
  const tables = await sql<{ name: string }>`
    select table_name as name from information_schema.tables
    where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(w.ctx.db);
  const out: string[] = [];
  for (const t of tables.rows) {
    const { rows } = await sql<{ t: string }>`select x::text as t from ${sql.table(t.name)} x`.execute(w.ctx.db);
    for (const r of rows) out.push(r.t);
  }
  return out.join('\n');
}

/** The activity entries about a service (the test clock stands still: in no particular order). */
export const activityOf = (w: DataWorld, serviceId: string) =>
  w.ctx.db
    .selectFrom('activity_log')
    .select(['action', 'actor_user_id', 'details'])
    .where('target_type', '=', 'hosting_service')
    .where('target_id', '=', serviceId)
    .execute();
