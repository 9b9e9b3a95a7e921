import type { Call, Requirement } from './routes.ts';

/**
 * The matrix's entries for staff's hosting services screens (issue 17 item 7), spread into
 * ROUTES by routes.ts. Owned by helper E. Each call makes its own plan and service row (in
 * Acme) directly: the screens read rows; the actions that would call the panel find it
 * answering nothing (routes-hosting.ts points the integration at the discard port).
 */

const u = () => Math.random().toString(36).slice(2, 10);
const db = (c: Call) => c.fx.ctx.db;
const MO = '0b7d9a52-6f7e-4c57-9a39-2d0f3c1e8a11';

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

/** A service of Acme's in `status`, with its domain. */
async function service(c: Call, status: 'active' | 'suspended' | 'failed' = 'active') {
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
    })
    .returning(['id', 'domain'])
    .executeTakeFirstOrThrow();
  return { id: row.id, domain: row.domain, plan: plan.name };
}

const page = (title: string, ...texts: string[]) => ({
  status: 200,
  shows: [`<title>${title} · SkyPanel</title>`, ...texts],
});

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
};
