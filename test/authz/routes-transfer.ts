import { fundWallet } from '../helpers/money.ts';
import type { Call, Done, Outcome, Requirement } from './routes.ts';

/**
 * The matrix's entries for network transfer (issue 12 items 10, 11): the customer's
 * /billing/transfer page and API (egress_view to see, egress_manage to buy a pack from the
 * wallet) and the staff page /admin/billing/transfer (prices, packs, grants). Each permitted
 * purchase gets a pack of its own and the funds to pay for it.
 */

const u = () => Math.random().toString(36).slice(2, 10);
const problem = (ok: boolean, what: string) => (ok ? null : what);
const db = (c: Call) => c.fx.ctx.db;
const json = (out: Outcome) => JSON.parse(out.text) as Record<string, unknown>;
const page = (title: string, ...shows: string[]): Done => ({
  status: 200,
  shows: [`<title>${title} · SkyPanel</title>`, ...shows],
});

/** A pack on offer (1 GB for 0.50), and the acting organization funded to buy it. */
async function packFor(c: Call) {
  const pack = await db(c)
    .insertInto('transfer_packs')
    .values({
      name: `Matrix pack ${u()}`,
      size_gb: 1,
      price: 500_000n,
      currency: 'USD',
      active: true,
      created_at: new Date(),
      updated_at: new Date(),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await fundWallet(db(c), c.org, 1_000_000n);
  return { pack: pack.id };
}

const creditOf = async (c: Call, orgId: string, packId: string) =>
  db(c)
    .selectFrom('transfer_credits')
    .select(['id', 'remaining_bytes'])
    .where('organization_id', '=', orgId)
    .where('pack_id', '=', packId)
    .execute();

async function region(c: Call) {
  const r = await db(c).selectFrom('server_regions').select(['provider_id', 'region_id']).executeTakeFirstOrThrow();
  return { provider: r.provider_id, region: r.region_id };
}

async function freshPack(c: Call, active = true) {
  const row = await db(c)
    .insertInto('transfer_packs')
    .values({
      name: `Matrix staff pack ${u()}`,
      size_gb: 5,
      price: 2_000_000n,
      currency: 'USD',
      active,
      created_at: new Date(),
      updated_at: new Date(),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export const TRANSFER_ROUTES: Record<string, Requirement> = {
  'GET /billing/transfer': {
    auth: 'session',
    permission: 'egress_view',
    done: page('Network transfer', 'Region pools', 'Transfer packs'),
  },
  'POST /billing/transfer/packs': {
    auth: 'session',
    permission: 'egress_manage',
    setup: packFor,
    body: (c) => ({ pack_id: c.made.pack!, purchase_id: crypto.randomUUID() }),
    done: (c) => ({
      status: 303,
      location: '/billing/transfer',
      effect: async () =>
        problem((await creditOf(c, c.org, c.made.pack!)).length === 1, 'no transfer credit was bought'),
    }),
  },
  'GET /api/v1/billing/transfer': {
    auth: 'token',
    permission: 'egress_view',
    done: { status: 200, shows: ['"pools"', '"credit_remaining_gb"'] },
  },
  'POST /api/v1/billing/transfer/packs': {
    auth: 'token',
    permission: 'egress_manage',
    setup: packFor,
    body: (c) => ({ pack_id: c.made.pack! }),
    done: (c) => ({
      status: 201,
      effect: async (_c, out) => {
        const credits = await creditOf(c, c.org, c.made.pack!);
        const credit = json(out).credit as { id: string };
        return problem(credits.length === 1 && credits[0]!.id === credit.id, 'no transfer credit was bought');
      },
    }),
  },
  'GET /admin/billing/transfer': {
    auth: 'admin',
    done: page('Transfer billing', 'Price per GB by region', 'Grant transfer credit'),
  },
  'POST /admin/billing/transfer/prices': {
    auth: 'admin',
    setup: region,
    body: (c) => ({ provider_id: c.made.provider!, region_id: c.made.region!, price_per_gb: '0.0123' }),
    done: (c) => ({
      status: 303,
      location: '/admin/billing/transfer',
      effect: async () => {
        const row = await db(c)
          .selectFrom('transfer_region_prices')
          .select('price_per_gb')
          .where('provider_id', '=', c.made.provider!)
          .where('region_id', '=', c.made.region!)
          .executeTakeFirst();
        return problem(row?.price_per_gb === 12_300n, 'the price was not saved');
      },
    }),
  },
  'POST /admin/billing/transfer/packs': {
    auth: 'admin',
    setup: async () => ({ name: `Matrix new pack ${u()}` }),
    body: (c) => ({ name: c.made.name!, size_gb: '100', price: '4.00' }),
    done: (c) => ({
      status: 303,
      location: '/admin/billing/transfer',
      effect: async () =>
        problem(
          (await db(c).selectFrom('transfer_packs').select('id').where('name', '=', c.made.name!).execute()).length ===
            1,
          'the pack was not created',
        ),
    }),
  },
  'POST /admin/billing/transfer/packs/:id': {
    auth: 'admin',
    params: async (c) => ({ id: await freshPack(c) }),
    body: (c) => ({ pack: c.params.id!, name: 'Matrix renamed pack', size_gb: '7', price: '3.50', active: 'true' }),
    done: (c) => ({
      status: 303,
      location: '/admin/billing/transfer',
      effect: async () => {
        const row = await db(c)
          .selectFrom('transfer_packs')
          .select(['size_gb', 'price'])
          .where('id', '=', c.params.id!)
          .executeTakeFirstOrThrow();
        return problem(row.size_gb === 7 && row.price === 3_500_000n, 'the pack was not changed');
      },
    }),
  },
  'POST /admin/billing/transfer/packs/:id/active': {
    auth: 'admin',
    params: async (c) => ({ id: await freshPack(c) }),
    body: () => ({ active: 'false' }),
    done: (c) => ({
      status: 303,
      location: '/admin/billing/transfer',
      effect: async () => {
        const row = await db(c)
          .selectFrom('transfer_packs')
          .select('active')
          .where('id', '=', c.params.id!)
          .executeTakeFirstOrThrow();
        return problem(!row.active, 'the pack is still on offer');
      },
    }),
  },
  'POST /admin/billing/transfer/grants': {
    auth: 'admin',
    setup: async () => ({ grant: crypto.randomUUID() }),
    body: (c) => ({ grant_id: c.made.grant!, organization_id: c.fx.globex.id, gb: '3', reason: 'Matrix grant' }),
    done: (c) => ({
      status: 303,
      location: '/admin/billing/transfer',
      effect: async () => {
        const row = await db(c)
          .selectFrom('transfer_credits')
          .select(['organization_id', 'total_bytes'])
          .where('idempotency_key', '=', `transfer:grant:${c.made.grant}`)
          .executeTakeFirst();
        return problem(
          row?.organization_id === c.fx.globex.id && row.total_bytes === 3n * 2n ** 30n,
          'no credit was granted',
        );
      },
    }),
  },
};
