import { encryptSecret } from '../../src/lib/crypto.ts';
import type { Call, Done, Requirement } from './routes.ts';

/**
 * The matrix's entries for web hosting's staff screens (issue 17 item 2), spread into ROUTES by
 * routes.ts. The integration is one row: each call sets it to a connection that answers nothing
 * (http://127.0.0.1:9, the discard port: refused at once), turned off, so no customer page
 * changes and a check or a sync fails fast with its message on the page.
 */

const u = () => Math.random().toString(36).slice(2, 10);
const problem = (ok: boolean, what: string) => (ok ? null : what);
const db = (c: Call) => c.fx.ctx.db;
const PAGE = '/admin/hosting';
const MO = '0b7d9a52-6f7e-4c57-9a39-2d0f3c1e8a11';
const NOWHERE = 'http://127.0.0.1:9';

async function integration(c: Call) {
  const values = {
    enabled: false,
    demo: false,
    api_url: NOWHERE,
    master_org_id: MO,
    token_ciphertext: encryptSecret(c.fx.ctx.config.encryptionKeys, 'matrix-token-0123456789'),
    health: 'unknown' as const,
    health_message: null,
    checked_at: null,
  };
  await db(c)
    .insertInto('hosting_integration')
    .values({ id: 1, ...values })
    .onConflict((oc) => oc.column('id').doUpdateSet(values))
    .execute();
}
const row = (c: Call) => db(c).selectFrom('hosting_integration').selectAll().where('id', '=', 1).executeTakeFirst();

async function plan(c: Call) {
  await integration(c);
  const name = `Matrix hosting plan ${u()}`;
  const p = await db(c)
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
  return p;
}
const toPage = (effect: Done['effect']): Done => ({ status: 303, location: PAGE, effect });

export const HOSTING_ROUTES: Record<string, Requirement> = {
  'GET /admin/hosting': {
    auth: 'admin',
    setup: async (c) => ({ name: (await plan(c)).name }),
    done: (c) => ({
      status: 200,
      shows: ['<title>Web hosting · SkyPanel</title>', c.made.name!, 'Sync plans', 'Check connection'],
    }),
  },
  'PUT /admin/hosting/settings': {
    auth: 'admin',
    setup: async (c) => {
      await integration(c);
      return { group: crypto.randomUUID() };
    },
    body: (c) => ({ api_url: NOWHERE, master_org_id: MO, default_server_group_id: c.made.group!, token: '' }),
    done: (c) =>
      toPage(async () =>
        problem((await row(c))?.default_server_group_id === c.made.group, 'the settings were not saved'),
      ),
  },
  'POST /admin/hosting/state': {
    auth: 'admin',
    setup: async (c) => {
      await integration(c);
      await db(c).updateTable('hosting_integration').set({ enabled: true }).where('id', '=', 1).execute();
    },
    body: () => ({ enabled: 'off' }),
    done: (c) => toPage(async () => problem((await row(c))?.enabled === false, 'hosting was not turned off')),
  },
  'POST /admin/hosting/health-checks': {
    auth: 'admin',
    setup: integration,
    done: (c) =>
      toPage(async () => {
        const r = await row(c);
        return problem(r?.health === 'error' && r.checked_at !== null, 'the failed check was not recorded');
      }),
  },
  'POST /admin/hosting/plan-syncs': {
    auth: 'admin',
    setup: integration,
    done: (c) =>
      toPage(async () =>
        problem(
          (await db(c)
            .selectFrom('activity_log')
            .select('id')
            .where('action', '=', 'admin.hosting_plans_synced')
            .executeTakeFirst()) === undefined,
          'a sync that could not read the panel changed something',
        ),
      ),
  },
  'GET /admin/hosting/plans/:id': {
    auth: 'admin',
    params: async (c) => ({ id: (await plan(c)).id }),
    done: { status: 200, shows: ['Matrix hosting plan', 'What customers see'] },
  },
  'PATCH /admin/hosting/plans/:id': {
    auth: 'admin',
    params: async (c) => ({ id: (await plan(c)).id }),
    setup: async () => ({ name: `Matrix priced plan ${u()}` }),
    body: (c) => ({ name: c.made.name!, description: 'priced', monthly_price: '7.50', position: '3' }),
    done: (c) =>
      toPage(async () => {
        const p = await db(c)
          .selectFrom('hosting_plans')
          .select(['name', 'monthly_price'])
          .where('id', '=', c.params.id!)
          .executeTakeFirst();
        return problem(p?.name === c.made.name && p?.monthly_price === 7_500_000n, 'the plan was not saved');
      }),
  },
};
