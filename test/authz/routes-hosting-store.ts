import { COLUMNS } from '../../src/domain/hosting/integration.ts';
import { addPlan, createEnhanceEmulator } from '../../src/providers/enhance/emulator/index.ts';
import { fundWallet } from '../helpers/money.ts';
import type { Call, Done, Requirement } from './routes.ts';

/**
 * The matrix's entries for the hosting store, the service list and overview, and the plans and
 * services API (issue 17, helper A). Each call sets the integration to the demo one, on and
 * answered in process by the app's Enhance emulator, with a plan of its own on sale (a fresh
 * panel plan too, so purchases by several callers of one organization never meet the panel's
 * one-subscription-per-plan rule). Purchases are paid from a wallet funded by the setup.
 * Services named by `:id` are made as rows (Acme's fresh per call, or Globex's).
 */

const u = () => Math.random().toString(36).slice(2, 10);
const problem = (ok: boolean, what: string) => (ok ? null : what);
const db = (c: Call) => c.fx.ctx.db;
const title = (t: string) => `<title>${t} · SkyPanel</title>`;
const emu = (c: Call) => (c.fx.ctx.deps.emulators.enhance ??= createEnhanceEmulator({ jobMs: 3_600_000 }));

/** The demo integration on, and a plan on sale made for this call (its name in `made.plan`). */
async function onSale(c: Call): Promise<Record<string, string>> {
  const e = emu(c);
  const values = { enabled: true, demo: true, api_url: null, master_org_id: e.masterOrgId, token_ciphertext: null };
  await db(c)
    .insertInto('hosting_integration')
    .values({ id: 1, ...values })
    .onConflict((oc) => oc.column('id').doUpdateSet(values))
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();
  const name = `Matrix store plan ${u()}`;
  const upstream = addPlan(e.state, { name });
  const plan = await db(c)
    .insertInto('hosting_plans')
    .values({
      master_org_id: e.masterOrgId,
      enhance_plan_id: upstream.id,
      upstream_name: name,
      name,
      monthly_price: 3_000_000n,
      resources: JSON.stringify(upstream.resources),
      allowances: '[]',
      selections: '[]',
      active: true,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { plan: name, planId: plan.id };
}

/** A service row of `orgId` (no website: its page reads nothing from the panel). */
async function serviceOf(c: Call, orgId: string): Promise<string> {
  const made = await onSale(c);
  Object.assign(c.made, made);
  const domain = `v${u()}.matrix.test`;
  c.made.domain = domain;
  const now = c.fx.ctx.clock.now();
  const row = await db(c)
    .insertInto('hosting_services')
    .values({
      organization_id: orgId,
      plan_id: made.planId!,
      master_org_id: emu(c).masterOrgId,
      domain,
      status: 'active',
      monthly_price: 3_000_000n,
      period_start: now,
      period_end: new Date(now.getTime() + 30 * 86_400_000),
      purchase_key: crypto.randomUUID(),
      saga_state: 'done',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

const serviceRecord: Requirement['record'] = {
  of: 'org',
  own: (c) => serviceOf(c, c.fx.acme.id),
  foreign: (c) => serviceOf(c, c.fx.globex.id),
};

/** The purchase this call made: one live service for the domain, in the acting organization, charged once. */
async function bought(c: Call): Promise<string | null> {
  const s = await db(c)
    .selectFrom('hosting_services')
    .select(['id', 'status', 'organization_id'])
    .where('domain', '=', c.made.domain!)
    .executeTakeFirst();
  if (!s) return 'no service was made';
  if (s.organization_id !== c.org) return 'the service belongs to another organization';
  if (s.status !== 'active') return `the service is ${s.status}`;
  const charges = await db(c).selectFrom('hosting_charges').select('id').where('service_id', '=', s.id).execute();
  return problem(charges.length === 1, `${charges.length} charges`);
}

const buySetup = async (c: Call) => {
  await fundWallet(db(c), c.org, 10_000_000n);
  return { ...(await onSale(c)), domain: `b${u()}.matrix.test` };
};

export const HOSTING_STORE_ROUTES: Record<string, Requirement> = {
  // Pages ------------------------------------------------------------------------------------
  'GET /hosting/store': {
    auth: 'session',
    permission: 'hosting_view',
    setup: onSale,
    done: (c) => ({ status: 200, shows: [title('Web hosting store'), c.made.plan!] }),
  },
  'GET /hosting/store/domain-check': {
    auth: 'session',
    permission: 'hosting_manage',
    setup: async (c) => ({ ...(await onSale(c)), domain: `d${u()}.matrix.test` }),
    query: (c) => `domain=${c.made.domain}`,
    done: (c) => ({ status: 200, shows: [c.made.domain!, 'This domain is available.'] }),
  },
  'POST /hosting': {
    auth: 'session',
    permission: 'hosting_manage',
    setup: buySetup,
    body: (c) => ({ plan_id: c.made.planId!, domain: c.made.domain!, key: crypto.randomUUID() }),
    done: { status: 303, location: /^\/hosting\/[0-9a-f-]{36}$/, effect: (c) => bought(c) },
  },
  'GET /hosting': {
    auth: 'session',
    permission: 'hosting_view',
    done: { status: 200, shows: [title('Web hosting'), 'id="hosting-rows"'] },
  },
  'GET /hosting/:id': {
    auth: 'session',
    permission: 'hosting_view',
    record: serviceRecord,
    done: (c) => ({ status: 200, shows: [title(c.made.domain!), 'id="hosting-summary"', c.made.plan!] }),
  },

  // JSON API ---------------------------------------------------------------------------------
  'GET /api/v1/hosting/plans': {
    auth: 'token',
    permission: 'hosting_view',
    setup: onSale,
    done: (c) => ({ status: 200, shows: [c.made.plan!, '"monthly_price":"3.00"'] }),
  },
  'GET /api/v1/hosting/services': {
    auth: 'token',
    permission: 'hosting_view',
    setup: async (c) => {
      await serviceOf(c, c.org);
    },
    done: (c) => ({ status: 200, shows: [c.made.domain!] }),
  },
  'POST /api/v1/hosting/services': {
    auth: 'token',
    permission: 'hosting_manage',
    setup: buySetup,
    body: (c) => ({ plan_id: c.made.planId!, domain: c.made.domain! }),
    done: (c): Done => ({ status: 201, shows: [c.made.domain!, '"status":"active"'], effect: () => bought(c) }),
  },
  'GET /api/v1/hosting/services/:id': {
    auth: 'token',
    permission: 'hosting_view',
    record: serviceRecord,
    done: (c) => ({ status: 200, shows: [c.made.domain!] }),
  },
};
