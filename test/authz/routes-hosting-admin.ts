import { encryptSecret } from '../../src/lib/crypto.ts';
import type { Call, Done, Requirement } from './routes.ts';

/**
 * The matrix's entries for staff's hosting services screens (issue 17 item 7), spread into
 * ROUTES by routes.ts. Owned by helper E. Each call makes its own plan and service row (in
 * Acme) directly: the screens read rows; the actions that would call the panel find it
 * answering nothing (routes-hosting.ts points the integration at the discard port).
 */

const u = () => Math.random().toString(36).slice(2, 10);
const db = (c: Call) => c.fx.ctx.db;
const MO = '0b7d9a52-6f7e-4c57-9a39-2d0f3c1e8a11';
const PAGE = '/admin/hosting/services';
const problem = (ok: boolean, what: string) => (ok ? null : what);

/** The integration as routes-hosting.ts leaves it: a panel at the discard port (refused at once), turned off. */
async function integration(c: Call) {
  const values = {
    enabled: false,
    demo: false,
    api_url: 'http://127.0.0.1:9',
    master_org_id: MO,
    token_ciphertext: encryptSecret(c.fx.ctx.config.encryptionKeys, 'matrix-token-0123456789'),
  };
  await db(c)
    .insertInto('hosting_integration')
    .values({ id: 1, ...values })
    .onConflict((oc) => oc.column('id').doUpdateSet(values))
    .execute();
}

async function hostingPlan(c: Call) {
  const name = `Matrix services plan ${u()}`;
  return db(c)
    .insertInto('hosting_plans')
    .values({
      master_org_id: MO,
      enhance_plan_id: 100_000 + Math.floor(Math.random() * 1_000_000_000),
      upstream_name: name,
      name,
      resources: JSON.stringify([{ name: 'websites', total: 1 }]),
      allowances: '[]',
      selections: '[]',
    })
    .returning(['id', 'name'])
    .executeTakeFirstOrThrow();
}

/** A service of Acme's in `status`, with its domain (`over`: other columns). */
async function service(
  c: Call,
  status: 'active' | 'suspended' | 'failed' | 'provisioning' = 'active',
  over: Record<string, unknown> = {},
) {
  await integration(c);
  const plan = await hostingPlan(c);
  const now = c.fx.ctx.clock.now();
  const domain = `matrix-${u()}.example.com`;
  const row = await db(c)
    .insertInto('hosting_services')
    .values({
      organization_id: c.fx.acme.id,
      plan_id: plan.id,
      master_org_id: MO,
      domain,
      status,
      monthly_price: 5_000_000n,
      purchase_key: `matrix-${u()}`,
      period_start: now,
      period_end: new Date(now.getTime() + 30 * 86_400_000),
      saga_state: status === 'failed' ? 'compensated' : 'done',
      ...(status === 'suspended' ? { suspended_at: now, suspended_by: 'staff' as const } : {}),
      ...over,
    })
    .returning(['id', 'domain'])
    .executeTakeFirstOrThrow();
  return { id: row.id, domain: row.domain, plan: plan.name };
}

const page = (title: string, ...texts: string[]) => ({
  status: 200,
  shows: [`<title>${title} · SkyPanel</title>`, ...texts],
});

const row = (c: Call) =>
  db(c).selectFrom('hosting_services').selectAll().where('id', '=', c.params.id!).executeTakeFirstOrThrow();
const back = (c: Call, effect: Done['effect']): Done => ({ status: 303, location: `${PAGE}/${c.params.id}`, effect });
const logged = async (c: Call, action: string, targetId = c.params.id!) =>
  (
    await db(c)
      .selectFrom('activity_log')
      .select('id')
      .where('action', '=', action)
      .where('target_id', '=', targetId)
      .execute()
  ).length;

export const HOSTING_ADMIN_ROUTES: Record<string, Requirement> = {
  'GET /admin/hosting/services': {
    auth: 'admin',
    setup: async (c) => {
      const s = await service(c);
      return { domain: s.domain };
    },
    query: (c) => `q=${c.made.domain}`,
    done: (c) => page('Hosting services', c.made.domain!, '1 service<'),
  },
  'GET /admin/hosting/services/:id': {
    auth: 'admin',
    setup: async (c) => {
      const s = await service(c);
      return { id: s.id, domain: s.domain, plan: s.plan };
    },
    params: (c) => ({ id: c.made.id! }),
    done: (c) => page(c.made.domain!, c.made.plan!, 'Purchase saga', 'Acme Corporation'),
  },
  'POST /admin/hosting/services/:id/suspend': {
    auth: 'admin',
    // No website at the panel yet: nothing to disable there, the row changes.
    params: async (c) => ({ id: (await service(c, 'active')).id }),
    done: (c) =>
      back(c, async () => {
        const r = await row(c);
        return (
          problem(r.status === 'suspended' && r.suspended_by === 'staff', 'the service is not suspended by staff') ??
          problem((await logged(c, 'admin.hosting_service_suspended')) === 1, 'the suspension was not logged')
        );
      }),
  },
  'POST /admin/hosting/services/:id/unsuspend': {
    auth: 'admin',
    params: async (c) => ({ id: (await service(c, 'suspended')).id }),
    done: (c) =>
      back(c, async () => {
        const r = await row(c);
        return (
          problem(r.status === 'active' && r.suspended_at === null, 'the service is still suspended') ??
          problem((await logged(c, 'admin.hosting_service_unsuspended')) === 1, 'the unsuspension was not logged')
        );
      }),
  },
  'POST /admin/hosting/services/:id/cancel': {
    auth: 'admin',
    params: async (c) => ({ id: (await service(c, 'active')).id }),
    body: () => ({ when: 'period_end', refund: 'none' }),
    done: (c) =>
      back(c, async () => {
        const r = await row(c);
        return (
          problem(r.status === 'active' && r.cancel_at_period_end, 'the service is not set to end') ??
          problem((await logged(c, 'hosting.service_cancel_scheduled')) === 1, 'the cancellation was not logged')
        );
      }),
  },
  'POST /admin/hosting/services/:id/saga-retry': {
    auth: 'admin',
    // A purchase compensating with nothing journaled: the retry finishes undoing it (no panel call, no charge).
    params: async (c) => ({ id: (await service(c, 'provisioning', { saga_state: 'compensating' })).id }),
    done: (c) =>
      back(c, async () => {
        const r = await row(c);
        return (
          problem(r.saga_state === 'compensated' && r.status === 'failed', `the saga is ${r.saga_state}`) ??
          problem((await logged(c, 'admin.hosting_saga_retried')) === 1, 'the retry was not logged')
        );
      }),
  },
  'POST /admin/hosting/services/:id/sync': {
    auth: 'admin',
    // The panel answers nothing (503, after the client's retries): staff read why, and nothing changes.
    params: async (c) => ({
      id: (
        await service(c, 'active', {
          enhance_org_id: crypto.randomUUID(),
          enhance_website_id: crypto.randomUUID(),
        })
      ).id,
    }),
    done: (c) => ({
      status: 503,
      shows: 'The website could not be read',
      effect: async () => problem((await logged(c, 'admin.hosting_service_synced')) === 0, 'a failed sync was logged'),
    }),
  },
  'POST /admin/hosting/services/:id/organization-sync': {
    auth: 'admin',
    setup: async (c) => ({ before: String(await logged(c, 'admin.hosting_organization_synced', c.fx.acme.id)) }),
    params: async (c) => ({ id: (await service(c, 'active')).id }),
    done: (c) =>
      back(c, async () =>
        problem(
          (await logged(c, 'admin.hosting_organization_synced', c.fx.acme.id)) === Number(c.made.before) + 1,
          "the organization's sync was not logged",
        ),
      ),
  },
};
