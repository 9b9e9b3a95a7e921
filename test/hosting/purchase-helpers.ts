import { afterAll, beforeAll } from 'vitest';
import type { Actor } from '../../src/domain/access/actor.ts';
import { PREDEFINED_ROLES, type Permission } from '../../src/domain/access/permissions.ts';
import { encryptSecret } from '../../src/lib/crypto.ts';
import { createEnhanceClient, type EnhanceClient } from '../../src/providers/enhance/index.ts';
import { startEnhanceEmulator, type StartedEnhanceEmulator } from '../../src/providers/enhance/emulator/index.ts';
import { apiClient, tokenFor } from '../api/client.ts';
import { joinAs } from '../api-keys/helpers.ts';
import type { TestBrowser } from '../helpers/browser.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { fundWallet } from '../helpers/money.ts';
import { createPerson, PASSWORD, signedIn, uniqueEmail } from '../helpers/people.ts';

/**
 * The store's world: an Enhance emulator on 127.0.0.1 reached with the real client, the app on
 * a real database with the integration on and two plans priced (Starter 5.00, Business 12.00),
 * Olive (owner, funded), Vera (a viewer in Olive's organization) and Gus (another organization,
 * unfunded), each signed in and with an API token; Sam is staff.
 */
export interface StoreWorld {
  ctx: TestContext;
  emu: StartedEnhanceEmulator;
  panel: EnhanceClient;
  olive: Person;
  vera: Person;
  gus: Person;
  samId: string;
  starter: string;
  business: string;
  api: ReturnType<typeof apiClient>;
}

export interface Person {
  id: string;
  email: string;
  orgId: string;
  browser: TestBrowser;
  token: string;
  actor: Actor;
}

export const usd = (n: number) => BigInt(Math.round(n * 100)) * 10_000n;

export function actorFor(userId: string, orgId: string, role = 'owner'): Actor {
  return {
    userId,
    isPlatformAdmin: false,
    organizationId: orgId,
    roleName: role,
    permissions: new Set<Permission>(PREDEFINED_ROLES[role]!),
    impersonatorUserId: null,
    apiKeyId: null,
    origin: { ip: '192.0.2.9', userAgent: 'vitest' },
  };
}

export const staff = (userId: string): Actor => ({
  ...actorFor(userId, '00000000-0000-4000-8000-000000000000'),
  organizationId: null,
  roleName: null,
  permissions: new Set(),
  isPlatformAdmin: true,
});

export function useStoreWorld(): StoreWorld {
  const w = {} as StoreWorld;
  beforeAll(async () => {
    w.emu = await startEnhanceEmulator({ jobMs: 3_600_000 });
    w.ctx = await createTestContext({ RATE_LIMIT_AUTH_ACTIONS: '10000', LOGIN_IP_LOCKOUT_ATTEMPTS: '10000' });
    w.panel = createEnhanceClient({ baseUrl: w.emu.url, token: w.emu.token, masterOrgId: w.emu.masterOrgId });
    w.api = apiClient(w.ctx, '192.0.2.60');
    const make = async (name: string, ip: string, orgId?: string, role?: string): Promise<Person> => {
      const p = await createPerson(w.ctx, name, { verified: true, email: uniqueEmail(name) });
      if (orgId && role) await joinAs(w.ctx, orgId, p.id, role);
      const browser = await signedIn(w.ctx, p.email, PASSWORD, ip);
      const org = orgId ?? p.organization.id;
      return {
        id: p.id,
        email: p.email,
        orgId: org,
        browser,
        token: await tokenFor(w.ctx, p.email, ip),
        actor: actorFor(p.id, org, role ?? 'owner'),
      };
    };
    w.olive = await make('Olive Owner', '192.0.2.2');
    w.vera = await make('Vera Viewer', '192.0.2.3', w.olive.orgId, 'viewer');
    w.gus = await make('Gus Globex', '192.0.2.4');
    w.samId = (await createPerson(w.ctx, 'Sam Staff', { verified: true, isAdmin: true, email: uniqueEmail('Sam') })).id;
    await fundWallet(w.ctx.db, w.olive.orgId, usd(100));
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
    const [starter, business] = await w.panel.listPlans();
    const plan = async (p: typeof starter, price: bigint, position: number) =>
      (
        await w.ctx.db
          .insertInto('hosting_plans')
          .values({
            master_org_id: w.emu.masterOrgId,
            enhance_plan_id: p!.id,
            upstream_name: p!.name,
            name: p!.name,
            description: `${p!.name} hosting`,
            monthly_price: price,
            resources: JSON.stringify(p!.resources),
            allowances: JSON.stringify(p!.allowances),
            selections: JSON.stringify(p!.selections),
            php_versions: p!.allowedPhpVersions,
            active: true,
            position,
          })
          .returning('id')
          .executeTakeFirstOrThrow()
      ).id;
    w.starter = await plan(starter, usd(5), 1);
    w.business = await plan(business, usd(12), 2);
  });
  afterAll(async () => {
    await w.ctx?.close();
    await w.emu?.close();
  });
  return w;
}

export const balanceOf = async (w: StoreWorld, orgId: string) =>
  (
    await w.ctx.db
      .selectFrom('wallets')
      .select('balance')
      .where('organization_id', '=', orgId)
      .executeTakeFirstOrThrow()
  ).balance;

export const serviceRow = (w: StoreWorld, id: string) =>
  w.ctx.db.selectFrom('hosting_services').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

export const stepsOf = async (w: StoreWorld, id: string) =>
  (
    await w.ctx.db
      .selectFrom('hosting_saga_steps')
      .select('step')
      .where('service_id', '=', id)
      .orderBy('done_at')
      .execute()
  ).map((r) => r.step);

/** The ledger postings about a service, by kind. */
export const postingsOf = async (w: StoreWorld, id: string) =>
  (
    await w.ctx.db
      .selectFrom('ledger_transactions')
      .select(['kind', 'idempotency_key'])
      .where('idempotency_key', 'like', `hosting:%:${id}:%`)
      .execute()
  ).map((r) => r.kind);

export const domainName = (label = 'shop') => `${label}-${crypto.randomUUID().slice(0, 8)}.test`;

/**
 * Ends every live service of the organization as a cancellation would (D's, not under test
 * here): the website and subscription go at the panel, the service is cancelled.
 */
export async function cancelAll(w: StoreWorld, orgId: string) {
  const live = await w.ctx.db
    .selectFrom('hosting_services')
    .selectAll()
    .where('organization_id', '=', orgId)
    .where('status', 'in', ['active', 'provisioning', 'suspended'])
    .execute();
  for (const s of live) {
    if (s.enhance_website_id) w.emu.state.websites.delete(s.enhance_website_id);
    if (s.enhance_subscription_id !== null) w.emu.state.subscriptions.delete(s.enhance_subscription_id);
  }
  await w.ctx.db
    .updateTable('hosting_services')
    .set({ status: 'cancelled', cancelled_at: w.ctx.clock.now(), saga_state: 'done', saga_claimed_until: null })
    .where('id', 'in', live.length ? live.map((s) => s.id) : ['00000000-0000-4000-8000-000000000000'])
    .execute();
}
