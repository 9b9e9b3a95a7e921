import { randomUUID } from 'node:crypto';
import type { Call, Requirement } from './routes.ts';

/**
 * The matrix's entries for web hosting's billing (issue 17 item 6): cancelling a service at
 * period end (pages and API) and keeping it. Each call gets a fresh service of its own (Acme's
 * for its own, Globex's for a foreign id), built directly with no panel ids: cancelling at
 * period end never calls the panel. Owned by helper D.
 */

const u = () => Math.random().toString(36).slice(2, 10);
const problem = (ok: boolean, what: string) => (ok ? null : what);
const db = (c: Call) => c.fx.ctx.db;
const MO = '5f0c6a1e-2b1d-4d8e-9a0c-7c3b9e1d2f44';

async function service(c: Call, organizationId: string, cancelAtPeriodEnd = false): Promise<string> {
  const name = `Matrix billing plan ${u()}`;
  const plan = await db(c)
    .insertInto('hosting_plans')
    .values({
      master_org_id: MO,
      enhance_plan_id: 2_000_000_000 - Math.floor(Math.random() * 1_000_000_000),
      upstream_name: name,
      name,
      resources: '[]',
      allowances: '[]',
      selections: '[]',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const start = new Date();
  const row = await db(c)
    .insertInto('hosting_services')
    .values({
      organization_id: organizationId,
      plan_id: plan.id,
      master_org_id: MO,
      domain: `matrix-${u()}.test`,
      status: 'active',
      monthly_price: 5_000_000n,
      period_start: start,
      period_end: new Date(start.getTime() + 30 * 86_400_000),
      cancel_at_period_end: cancelAtPeriodEnd,
      purchase_key: randomUUID(),
      saga_state: 'done',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

const record = (cancelAtPeriodEnd = false): Requirement['record'] => ({
  of: 'org',
  own: (c) => service(c, c.fx.acme.id, cancelAtPeriodEnd),
  foreign: (c) => service(c, c.fx.globex.id, cancelAtPeriodEnd),
});

const ending = async (c: Call, expected: boolean) => {
  const row = await db(c)
    .selectFrom('hosting_services')
    .select(['status', 'cancel_at_period_end'])
    .where('id', '=', c.params.id!)
    .executeTakeFirstOrThrow();
  return problem(
    row.status === 'active' && row.cancel_at_period_end === expected,
    expected ? 'the service was not set to end with its period' : 'the service still ends with its period',
  );
};

export const HOSTING_BILLING_ROUTES: Record<string, Requirement> = {
  'GET /hosting/:id/cancel': {
    auth: 'session',
    permission: 'hosting_manage',
    record: record(),
    done: { status: 200, shows: ['Cancel the hosting of', 'name="when"'] },
  },
  'POST /hosting/:id/cancel': {
    auth: 'session',
    permission: 'hosting_manage',
    record: record(),
    body: () => ({ when: 'period_end' }),
    done: (c) => ({ status: 303, location: `/hosting/${c.params.id}`, effect: () => ending(c, true) }),
  },
  'POST /hosting/:id/renewal': {
    auth: 'session',
    permission: 'hosting_manage',
    record: record(true),
    done: (c) => ({ status: 303, location: `/hosting/${c.params.id}`, effect: () => ending(c, false) }),
  },
  'DELETE /api/v1/hosting/services/:id': {
    auth: 'token',
    permission: 'hosting_manage',
    record: record(),
    done: (c) => ({ status: 200, shows: '"cancel_at_period_end":true', effect: () => ending(c, true) }),
  },
};
