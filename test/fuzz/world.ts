import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { inTransaction } from '../../src/db/index.ts';
import { createAccessToken } from '../../src/domain/accounts/access-tokens.ts';
import { hashPassword } from '../../src/domain/accounts/passwords.ts';
import { createSession } from '../../src/domain/accounts/sessions.ts';
import { hostingClient } from '../../src/domain/hosting/connector.ts';
import { COLUMNS } from '../../src/domain/hosting/integration.ts';
import { createOrganization } from '../../src/domain/organizations/create.ts';
import type { PayPalEmulator } from '../../src/providers/paypal/emulator/index.ts';
import type { EnhanceClient } from '../../src/providers/enhance/index.ts';
import { billingContext } from '../billing/helpers.ts';
import type { TestContext } from '../helpers/context.ts';
import { fundWallet } from '../helpers/money.ts';
import { PASSWORD } from '../helpers/people.ts';
import { seedServerCatalogue, startTestCloud, type SeededCatalogue, type TestCloud } from '../helpers/servers.ts';
import { siteService, type SiteWorld } from '../hosting/site-helpers.ts';

/**
 * The fuzz's world: the real app on its own database with every outside system it talks to
 * answered by an emulator (PayPal, a Linode cloud, the demo Enhance panel), so a 503 "not
 * configured" is never the answer a fuzzed input gets. Acme is the organization the callers
 * act in (an owner and a viewer); Globex is foreign (its ids must be 404 to Acme's callers).
 * Each property gets a fresh twin of its caller (a new user with the same role in Acme, its own
 * session and access token), so a route that signs out, deletes the account or leaves the
 * organization changes nobody the next property uses.
 */

export type Role = 'owner' | 'viewer' | 'staff';

export interface Credentials {
  userId: string;
  /** Cookie header of a full browser session. */
  cookie: string;
  /** That session's CSRF token (sent as X-CSRF-Token). */
  csrf: string;
  /** An access token (`spt_…`) of the same user. */
  bearer: string;
}

export interface FuzzWorld {
  ctx: TestContext;
  paypal: PayPalEmulator;
  cloud: TestCloud;
  catalogue: SeededCatalogue;
  acme: { id: string; ownerId: string; roles: Record<string, string> };
  globex: { id: string; ownerId: string; roles: Record<string, string> };
  /** A fresh user in Acme holding `role` (staff: a platform admin in an organization of their own), signed in. */
  caller(role: Role, org?: 'acme' | 'globex'): Promise<Credentials>;
  /** Puts Acme (or Globex) back as it was where a fuzzed request can take it away: its wallet's money, at least one server and one hosting service. */
  replenish(org: 'acme' | 'globex'): Promise<void>;
}

const rand = () => randomBytes(5).toString('hex');
const origin = { ip: '192.0.2.77', userAgent: null };

export function useFuzzWorld(): FuzzWorld {
  const world = {} as FuzzWorld;
  let close: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const cloud = await startTestCloud({ rateLimit: { limit: 1_000_000, windowSeconds: 120 } });
    const made = await billingContext(
      {
        RATE_LIMIT_ANONYMOUS: '1000000',
        RATE_LIMIT_AUTHENTICATED: '1000000',
        RATE_LIMIT_ADMIN: '1000000',
        RATE_LIMIT_AUTH_ACTIONS: '10000',
        LOGIN_IP_LOCKOUT_ATTEMPTS: '10000',
      },
      { cloud: cloud.provider },
    );
    close = async () => {
      await made.close();
      await cloud.close();
    };
    const ctx = made.ctx;
    const passwordHash = await hashPassword(PASSWORD, 4);
    const user = async (label: string, isAdmin = false) =>
      (
        await ctx.db
          .insertInto('users')
          .values({
            email: `${label}-${rand()}@example.test`,
            name: `${label} ${rand()}`,
            password_hash: passwordHash,
            is_admin: isAdmin,
            email_verified_at: ctx.clock.now(),
          })
          .returning('id')
          .executeTakeFirstOrThrow()
      ).id;
    const organization = async (name: string) => {
      const ownerId = await user(name.split(' ')[0]!.toLowerCase());
      const org = await inTransaction(ctx.db, (trx) =>
        createOrganization(trx, { name, ownerId, personal: false, currency: ctx.config.BILLING_CURRENCY }),
      );
      await ctx.db.updateTable('users').set({ active_organization_id: org.id }).where('id', '=', ownerId).execute();
      const roles = await ctx.db
        .selectFrom('roles')
        .select(['id', 'name'])
        .where('organization_id', '=', org.id)
        .execute();
      return { id: org.id, ownerId, roles: Object.fromEntries(roles.map((r) => [r.name, r.id])) };
    };
    const acme = await organization('Acme Fuzzing');
    const globex = await organization('Globex Fuzzing');
    const catalogue = await seedServerCatalogue(ctx.db);

    // Hosting: the demo integration (the app's own Enhance emulator) and its Starter plan.
    const enhance = ctx.deps.emulators.enhance;
    if (!enhance) throw new Error('the fuzz needs the demo Enhance emulator');
    const integration = {
      enabled: true,
      demo: true,
      api_url: null,
      master_org_id: enhance.masterOrgId,
      token_ciphertext: null,
    };
    const row = await ctx.db
      .insertInto('hosting_integration')
      .values({ id: 1, ...integration })
      .onConflict((oc) => oc.column('id').doUpdateSet(integration))
      .returning(COLUMNS)
      .executeTakeFirstOrThrow();
    const panel: EnhanceClient = hostingClient(ctx.deps, row);
    const [starter] = await panel.listPlans();
    const plan = await ctx.db
      .insertInto('hosting_plans')
      .values({
        master_org_id: enhance.masterOrgId,
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
    const site = { ctx, emu: enhance, panel, planId: plan.id } as unknown as SiteWorld;

    async function caller(role: Role, org: 'acme' | 'globex' = 'acme'): Promise<Credentials> {
      const userId = await user(role, role === 'staff');
      const target = org === 'acme' ? acme : globex;
      if (role === 'staff') {
        // A platform admin acts in an organization of their own (never Acme: staff pages are what is fuzzed).
        const own = await inTransaction(ctx.db, (trx) =>
          createOrganization(trx, {
            name: `Staff ${rand()}`,
            ownerId: userId,
            personal: true,
            currency: ctx.config.BILLING_CURRENCY,
          }),
        );
        await ctx.db.updateTable('users').set({ active_organization_id: own.id }).where('id', '=', userId).execute();
      } else {
        await ctx.db
          .insertInto('organization_members')
          .values({ organization_id: target.id, user_id: userId, role_id: target.roles[role]! })
          .execute();
        await ctx.db.updateTable('users').set({ active_organization_id: target.id }).where('id', '=', userId).execute();
      }
      const now = ctx.clock.now();
      const session = await createSession(ctx.db, ctx.config, userId, 'full', origin, now);
      const { csrf_token } = await ctx.db
        .selectFrom('sessions')
        .select('csrf_token')
        .where('id', '=', session.sessionId)
        .executeTakeFirstOrThrow();
      const bearer = (await createAccessToken(ctx.db, ctx.config, userId, origin, now)).token;
      return { userId, cookie: `${ctx.config.cookieName}=${session.token}`, csrf: csrf_token, bearer };
    }

    async function replenish(which: 'acme' | 'globex') {
      const org = which === 'acme' ? acme : globex;
      const wallet = await ctx.db
        .selectFrom('wallets')
        .select('balance')
        .where('organization_id', '=', org.id)
        .executeTakeFirst();
      if (!wallet || BigInt(wallet.balance) < 200_000_000n) await fundWallet(ctx.db, org.id, 500_000_000n);
      const servers = await ctx.db
        .selectFrom('servers')
        .select('id')
        .where('organization_id', '=', org.id)
        .where('deleted_at', 'is', null)
        .execute();
      if (servers.length === 0) await seedServer(org.id);
      const services = await ctx.db
        .selectFrom('hosting_services')
        .select('id')
        .where('organization_id', '=', org.id)
        .where('status', '=', 'active')
        .execute();
      if (services.length === 0) await siteService(site, org.id);
    }

    /**
     * One of each thing a route can name, made through the JSON API as the organization's owner
     * would: a note, a firewall, an SSH key, a ticket, an invitation, a custom role, an API key,
     * a webhook endpoint. Best effort: what the API refuses is simply not there to name.
     */
    async function seedThings(which: 'acme' | 'globex') {
      const org = which === 'acme' ? acme : globex;
      const owner = await caller('owner', which);
      const post = async (path: string, body: unknown) => {
        const res = await ctx.app.request(`/api/v1${path}`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${owner.bearer}`,
            'x-forwarded-for': '192.0.2.79',
          },
          body: JSON.stringify(body),
        });
        if (process.env.FUZZ_STATS && res.status >= 300)
          console.log(`seeding ${path}: ${res.status} ${await res.text()}`);
      };
      const key = 'AAAAC3NzaC1lZDI1NTE5AAAAIJgzOJQE+LDKO08aEFSQdHS7RANz9WqSN4l2QtPoqw6z';
      await post('/notes', { title: 'Runbook', body: 'Restart nginx.', scope: 'organization' });
      await post('/notes', { title: 'Mine', body: 'Personal.', scope: 'personal' });
      await post('/firewalls', {
        label: `fw-${rand()}`,
        rules: { inbound_policy: 'DROP', outbound_policy: 'ACCEPT', inbound: [], outbound: [] },
      });
      await post('/ssh-keys', { name: 'laptop', public_key: `ssh-ed25519 ${key} fuzz@${which}` });
      await post('/tickets', { subject: 'Help', message: 'Something is wrong.' });
      await post(`/organizations/${org.id}/invitations`, {
        email: `invitee-${rand()}@example.test`,
        role_id: org.roles.viewer,
      });
      await post(`/organizations/${org.id}/roles`, { name: `Auditors ${rand()}`, permissions: ['vps_view'] });
      await post('/api-keys', { name: 'ci', organization_id: org.id, permissions: ['vps_view'] });
      await post('/webhooks', { url: 'http://127.0.0.1:9999/hook', events: ['vps.created', 'ticket.opened'] });
    }

    /** A running server of `orgId`, made through the JSON API as its owner would. */
    async function seedServer(orgId: string) {
      const owner = await caller('owner', orgId === acme.id ? 'acme' : 'globex');
      const plan = catalogue.plans.small;
      const res = await ctx.app.request('/api/v1/vps', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${owner.bearer}`,
          'x-forwarded-for': '192.0.2.78',
          'idempotency-key': rand(),
        },
        body: JSON.stringify({
          label: `seed-${rand()}`,
          region: plan.regions[0],
          plan_id: plan.id,
          image: catalogue.images[0],
        }),
      });
      // Staff may have closed sales (the staff pages are fuzzed too): then there is no server to add, and that is fine.
      if (res.status === 422 && (await res.text()).includes('sales_closed')) return;
      if (res.status !== 201 && res.status !== 202)
        throw new Error(`seeding a server: ${res.status} ${await res.text()}`);
      cloud.clock.advance(120_000);
    }

    Object.assign(world, {
      ctx,
      paypal: made.emu,
      cloud,
      catalogue,
      acme,
      globex,
      caller,
      replenish,
    } satisfies FuzzWorld);
    // Webhook endpoints on 127.0.0.1 (nothing listens there): the fuzz needs endpoints to name, and no DNS here.
    await ctx.db
      .insertInto('platform_settings')
      .values({ key: 'platform', value: JSON.stringify({ webhookLoopbackAllowed: true }) })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value: JSON.stringify({ webhookLoopbackAllowed: true }) }))
      .execute();
    for (const which of ['acme', 'globex'] as const) {
      await replenish(which);
      await seedThings(which);
    }
  });
  afterAll(async () => {
    await close?.();
  });
  return world;
}

/**
 * What the app serves, read before the tests are declared (one test per route): its OpenAPI
 * document and its route table, from an app of its own on a database of its own.
 */
export async function appShape(): Promise<{
  doc: Record<string, unknown>;
  routes: { method: string; path: string }[];
}> {
  const { createTestContext } = await import('../helpers/context.ts');
  const probe = await createTestContext();
  try {
    const doc = (await (await probe.app.request('/api/v1/openapi.json')).json()) as Record<string, unknown>;
    const seen = new Set<string>();
    const routes = probe.app.routes
      .filter((r) => r.method !== 'ALL')
      .filter((r) => !seen.has(`${r.method} ${r.path}`) && Boolean(seen.add(`${r.method} ${r.path}`)))
      .map((r) => ({ method: r.method, path: r.path }));
    return { doc, routes };
  } finally {
    await probe.close();
  }
}
