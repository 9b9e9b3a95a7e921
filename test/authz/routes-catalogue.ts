import { sql } from 'kysely';
import { refreshCatalogue } from '../../src/domain/catalogue/refresh.ts';
import { serverSettings } from '../../src/domain/settings/servers.ts';
import type { Body, Call, Done, Outcome, Requirement } from './routes.ts';

/**
 * The matrix's entries for the server catalogue (issue 11): the staff pages and API for
 * providers, plans and server settings, and the public catalogue API. Staff calls work on a
 * provider of the matrix's own (emulated, so the matrix's test cloud answers it; inactive, so
 * customers' catalogue and other entries never see it), made once per run.
 */

const u = () => Math.random().toString(36).slice(2, 10);
const problem = (ok: boolean, what: string) => (ok ? null : what);
const db = (c: Call) => c.fx.ctx.db;
const json = (out: Outcome) => JSON.parse(out.text) as Record<string, unknown>;
const page = (title: string, ...shows: string[]): Done => ({
  status: 200,
  shows: [`<title>${title} · SkyPanel</title>`, ...shows],
});
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

const shared = new WeakMap<object, Promise<{ id: string; name: string }>>();
/** The matrix's provider, its catalogue read, a region and a category allowed. */
function provider(c: Call) {
  let made = shared.get(c.fx);
  if (!made) {
    made = (async () => {
      const name = `Matrix cloud ${u()}`;
      const { id } = await db(c)
        .insertInto('cloud_providers')
        .values({ kind: 'linode', name, emulated: true, active: false, created_at: new Date(), updated_at: new Date() })
        .returning('id')
        .executeTakeFirstOrThrow();
      await refreshCatalogue(c.fx.ctx.deps, id);
      await db(c)
        .insertInto('server_regions')
        .values({ provider_id: id, region_id: 'eu-central', label: 'Frankfurt', country: 'de' })
        .execute();
      await db(c)
        .insertInto('server_categories')
        .values({ provider_id: id, provider_class: 'standard', name: 'Shared CPU' })
        .execute();
      return { id, name };
    })();
    shared.set(c.fx, made);
  }
  return made;
}

/** A plan of the matrix's provider, priced since 2020, written as createPlan would. */
async function plan(c: Call) {
  const p = await provider(c);
  const name = `Matrix plan ${u()}`;
  const { id } = await db(c)
    .insertInto('server_plans')
    .values({
      provider_id: p.id,
      provider_type: 'g6-standard-1',
      name,
      category: 'Shared CPU',
      vcpus: 1,
      memory_mb: 2048,
      disk_gb: 50,
      transfer_gb: 2000,
      created_at: new Date(),
      updated_at: new Date(),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db(c).insertInto('server_plan_regions').values({ plan_id: id, region_id: 'eu-central' }).execute();
  await db(c)
    .insertInto('server_plan_prices')
    .values({
      plan_id: id,
      base_monthly: 12_000_000n,
      markup_monthly: 3_000_000n,
      backups_monthly: 2_000_000n,
      currency: 'USD',
      effective_from: new Date('2020-01-01T00:00:00Z'),
    })
    .execute();
  return { id, name };
}

const providerRow = (c: Call, id: string) =>
  db(c).selectFrom('cloud_providers').selectAll().where('id', '=', id).executeTakeFirst();
const planRow = (c: Call, id: string) =>
  db(c).selectFrom('server_plans').selectAll().where('id', '=', id).executeTakeFirst();
const planNamed = (c: Call, name: string) =>
  db(c).selectFrom('server_plans').select('id').where('name', '=', name).executeTakeFirst();
const priceCount = async (c: Call, id: string) =>
  (await db(c).selectFrom('server_plan_prices').select('id').where('plan_id', '=', id).execute()).length;

const newPlan = (c: Call): Body => ({
  provider_id: c.made.provider!,
  provider_type: 'g6-standard-2',
  name: c.made.name!,
  category: 'Shared CPU',
  markup: '5.00',
  backups_price: '3.00',
  transfer_gb: '4000',
  regions: ['eu-central'],
  active: 'on',
});

/** Each list a provider's page keeps: what a save sends and where it lands. */
const CHOICES = {
  regions: {
    title: 'Regions',
    body: (label: string): Body => ({ region_id: 'ap-south', label, country: 'sg', active: 'on' }),
    saved: (c: Call, id: string, label: string) =>
      db(c)
        .selectFrom('server_regions')
        .select('label')
        .where('provider_id', '=', id)
        .where('label', '=', label)
        .executeTakeFirst(),
  },
  categories: {
    title: 'Categories',
    body: (label: string): Body => ({ provider_class: 'dedicated', name: label }),
    saved: (c: Call, id: string, label: string) =>
      db(c)
        .selectFrom('server_categories')
        .select('name')
        .where('provider_id', '=', id)
        .where('name', '=', label)
        .executeTakeFirst(),
  },
  images: {
    title: 'Images',
    body: (label: string): Body => ({ image_id: 'rocky9', label, active: 'on' }),
    saved: (c: Call, id: string, label: string) =>
      db(c)
        .selectFrom('server_images')
        .select('label')
        .where('provider_id', '=', id)
        .where('label', '=', label)
        .executeTakeFirst(),
  },
  apps: {
    title: 'Apps',
    body: (label: string): Body => ({ script_id: '607433', label, fields: ['user_name'], active: 'on' }),
    saved: (c: Call, id: string, label: string) =>
      db(c)
        .selectFrom('server_apps')
        .select('label')
        .where('provider_id', '=', id)
        .where('label', '=', label)
        .executeTakeFirst(),
  },
} as const;

const choiceRoutes: Record<string, Requirement> = {};
for (const [path, kind] of Object.entries(CHOICES)) {
  choiceRoutes[`GET /admin/providers/:id/${path}`] = {
    auth: 'admin',
    params: async (c) => ({ id: (await provider(c)).id }),
    done: async (c) => page(`${kind.title}: ${(await provider(c)).name}`),
  };
  choiceRoutes[`POST /admin/providers/:id/${path}`] = {
    auth: 'admin',
    params: async (c) => ({ id: (await provider(c)).id }),
    setup: async () => ({ label: `Matrix ${u()}` }),
    body: (c) => kind.body(c.made.label!),
    done: (c) => ({
      status: 303,
      location: `/admin/providers/${c.params.id}/${path}`,
      effect: async () => problem(!!(await kind.saved(c, c.params.id!, c.made.label!)), 'nothing was saved'),
    }),
  };
}

export const CATALOGUE_ROUTES: Record<string, Requirement> = {
  // Server providers (staff).
  'GET /admin/providers': {
    auth: 'admin',
    setup: async (c) => ({ name: (await provider(c)).name }),
    done: (c) => page('Server providers', c.made.name!),
  },
  'GET /admin/providers/new': { auth: 'admin', done: page('Add a server provider', 'name="token"') },
  'POST /admin/providers': {
    auth: 'admin',
    setup: async () => ({ name: `Matrix added ${u()}` }),
    body: (c) => ({ name: c.made.name!, token: `matrix-token-${u()}`, display_order: '9' }),
    done: (c) => ({
      status: 303,
      location: new RegExp(`^/admin/providers/${UUID}$`),
      effect: async () => {
        const row = await db(c)
          .selectFrom('cloud_providers')
          .selectAll()
          .where('name', '=', c.made.name!)
          .executeTakeFirst();
        return problem(!!row && row.token_ciphertext !== null && !row.active, 'the provider was not added');
      },
    }),
  },
  'GET /admin/providers/:id': {
    auth: 'admin',
    params: async (c) => ({ id: (await provider(c)).id }),
    done: async (c) => page((await provider(c)).name, 'Validate now', 'Refresh now'),
  },
  'PATCH /admin/providers/:id': {
    auth: 'admin',
    params: async (c) => {
      const { id } = await db(c)
        .insertInto('cloud_providers')
        .values({
          kind: 'linode',
          name: `Matrix edit ${u()}`,
          emulated: true,
          active: false,
          created_at: new Date(),
          updated_at: new Date(),
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return { id };
    },
    setup: async () => ({ name: `Matrix renamed ${u()}` }),
    body: (c) => ({ name: c.made.name!, display_order: '3' }),
    done: (c) => ({
      status: 303,
      location: `/admin/providers/${c.params.id}`,
      effect: async () =>
        problem((await providerRow(c, c.params.id!))?.name === c.made.name, 'the name did not change'),
    }),
  },
  'POST /admin/providers/:id/validations': {
    auth: 'admin',
    params: async (c) => ({ id: (await provider(c)).id }),
    setup: async () => ({ since: new Date().toISOString() }),
    done: (c) => ({
      status: 303,
      location: `/admin/providers/${c.params.id}`,
      effect: async () => {
        const row = await providerRow(c, c.params.id!);
        return problem(row?.health === 'ok' && row.validated_at !== null, 'the provider was not validated');
      },
    }),
  },
  'POST /admin/providers/:id/refreshes': {
    auth: 'admin',
    params: async (c) => ({ id: (await provider(c)).id }),
    setup: async (c) => ({
      before: (await providerRow(c, (await provider(c)).id))!.catalogue_refreshed_at!.toISOString(),
    }),
    done: (c) => ({
      status: 303,
      location: `/admin/providers/${c.params.id}`,
      effect: async () =>
        problem(
          (await providerRow(c, c.params.id!))!.catalogue_refreshed_at!.getTime() >= new Date(c.made.before!).getTime(),
          'the catalogue was not refreshed',
        ),
    }),
  },
  ...choiceRoutes,

  // Server plans (staff).
  'GET /admin/plans': {
    auth: 'admin',
    setup: async (c) => ({ name: (await plan(c)).name }),
    done: (c) => page('Server plans', c.made.name!),
  },
  'GET /admin/plans/new': {
    auth: 'admin',
    setup: async (c) => ({ name: (await provider(c)).name }),
    done: (c) => page('New server plan', c.made.name!),
  },
  'POST /admin/plans/new/review': {
    auth: 'admin',
    setup: async (c) => ({ provider: (await provider(c)).id, name: `Matrix review ${u()}` }),
    body: newPlan,
    done: (c) => ({
      status: 200,
      shows: ['Create plan', '$29.00'],
      effect: async () => problem(!(await planNamed(c, c.made.name!)), 'a plan was created by the review'),
    }),
  },
  'POST /admin/plans': {
    auth: 'admin',
    setup: async (c) => ({ provider: (await provider(c)).id, name: `Matrix new ${u()}` }),
    body: newPlan,
    done: (c) => ({
      status: 303,
      location: new RegExp(`^/admin/plans/${UUID}$`),
      effect: async () => problem(!!(await planNamed(c, c.made.name!)), 'the plan was not created'),
    }),
  },
  'GET /admin/plans/:id': {
    auth: 'admin',
    params: async (c) => ({ id: (await plan(c)).id }),
    done: async (c) => page((await planRow(c, c.params.id!))!.name, 'Price history'),
  },
  'PATCH /admin/plans/:id': {
    auth: 'admin',
    params: async (c) => ({ id: (await plan(c)).id }),
    setup: async () => ({ name: `Matrix renamed plan ${u()}` }),
    body: (c) => ({
      name: c.made.name!,
      category: 'Shared CPU',
      transfer_gb: '1500',
      regions: ['eu-central'],
      active: 'on',
    }),
    done: (c) => ({
      status: 303,
      location: `/admin/plans/${c.params.id}`,
      effect: async () => problem((await planRow(c, c.params.id!))?.transfer_gb === 1500, 'the plan did not change'),
    }),
  },
  'POST /admin/plans/:id/prices': {
    auth: 'admin',
    params: async (c) => ({ id: (await plan(c)).id }),
    body: () => ({ markup: '4.00', backups_price: '2.00' }),
    done: (c) => ({
      status: 303,
      location: `/admin/plans/${c.params.id}`,
      effect: async () => problem((await priceCount(c, c.params.id!)) === 2, 'no new price was added'),
    }),
  },

  // Server settings (staff). Sales stay on: other entries create servers.
  'GET /admin/server-settings': { auth: 'admin', done: page('Server settings', 'name="rdnsBaseDomain"') },
  'PUT /admin/server-settings': {
    auth: 'admin',
    body: () => ({ salesEnabled: 'on', rdnsBaseDomain: '' }),
    done: (c) => ({
      status: 303,
      location: '/admin/server-settings',
      effect: async () => {
        const stored = await db(c)
          .selectFrom('platform_settings')
          .select('key')
          .where('key', '=', 'servers')
          .executeTakeFirst();
        const s = await serverSettings(db(c));
        return problem(!!stored && s.salesEnabled && s.rdnsBaseDomain === null, 'the settings were not saved');
      },
    }),
  },

  // The catalogue customers buy from (any member of an organization).
  'GET /api/v1/regions': {
    auth: 'token',
    done: () => ({ status: 200, effect: (_c, out) => problem(Array.isArray(json(out).data), 'no list') }),
  },
  'GET /api/v1/plans': {
    auth: 'token',
    done: () => ({ status: 200, effect: (_c, out) => problem(Array.isArray(json(out).data), 'no list') }),
  },
  'GET /api/v1/images': {
    auth: 'token',
    done: () => ({ status: 200, effect: (_c, out) => problem(Array.isArray(json(out).data), 'no list') }),
  },
  'GET /api/v1/apps': {
    auth: 'token',
    done: () => ({ status: 200, effect: (_c, out) => problem(Array.isArray(json(out).data), 'no list') }),
  },

  // Staff API.
  'GET /api/v1/admin/providers': {
    auth: 'admin-token',
    setup: async (c) => ({ id: (await provider(c)).id }),
    done: (c) => ({ status: 200, shows: `"id":"${c.made.id}"` }),
  },
  'POST /api/v1/admin/providers': {
    auth: 'admin-token',
    setup: async () => ({ name: `Matrix API ${u()}` }),
    body: (c) => ({ name: c.made.name!, token: `matrix-token-${u()}`, active: false }) as unknown as Body,
    done: (c) => ({
      status: 201,
      effect: async (_c, out) =>
        problem(
          json(out).name === c.made.name && !out.text.includes('matrix-token-'),
          'not added, or the token was returned',
        ),
    }),
  },
  'GET /api/v1/admin/providers/:id': {
    auth: 'admin-token',
    params: async (c) => ({ id: (await provider(c)).id }),
    done: (c) => ({ status: 200, shows: `"id":"${c.params.id}"` }),
  },
  'PATCH /api/v1/admin/providers/:id': {
    auth: 'admin-token',
    params: async (c) => ({ id: (await provider(c)).id }),
    body: () => ({ display_order: 7 }) as unknown as Body,
    done: (c) => ({
      status: 200,
      effect: async () =>
        problem((await providerRow(c, c.params.id!))?.display_order === 7, 'the order did not change'),
    }),
  },
  'POST /api/v1/admin/providers/:id/validate': {
    auth: 'admin-token',
    params: async (c) => ({ id: (await provider(c)).id }),
    done: () => ({ status: 200, effect: (_c, out) => problem(json(out).health === 'ok', 'not validated') }),
  },
  'POST /api/v1/admin/providers/:id/refresh': {
    auth: 'admin-token',
    params: async (c) => ({ id: (await provider(c)).id }),
    done: () => ({ status: 200, effect: (_c, out) => problem(json(out).scripts === 2, 'not refreshed') }),
  },
  'GET /api/v1/admin/plans': {
    auth: 'admin-token',
    setup: async (c) => ({ id: (await plan(c)).id }),
    done: (c) => ({ status: 200, shows: `"id":"${c.made.id}"` }),
  },
  'POST /api/v1/admin/plans': {
    auth: 'admin-token',
    setup: async (c) => ({ provider: (await provider(c)).id, name: `Matrix API plan ${u()}` }),
    body: (c) => ({ ...newPlan(c), transfer_gb: 4000, active: true }) as unknown as Body,
    done: (c) => ({
      status: 201,
      effect: async () => problem(!!(await planNamed(c, c.made.name!)), 'the plan was not created'),
    }),
  },
  'GET /api/v1/admin/plans/:id': {
    auth: 'admin-token',
    params: async (c) => ({ id: (await plan(c)).id }),
    done: (c) => ({ status: 200, shows: `"id":"${c.params.id}"` }),
  },
  'PATCH /api/v1/admin/plans/:id': {
    auth: 'admin-token',
    params: async (c) => ({ id: (await plan(c)).id }),
    body: () => ({ markup: '6.00' }),
    done: (c) => ({
      status: 200,
      effect: async () => {
        const { rows } = await sql<{
          next: Date;
        }>`select date_trunc('hour', now()) + interval '1 hour' as next`.execute(db(c));
        const latest = await db(c)
          .selectFrom('server_plan_prices')
          .select(['effective_from', 'markup_monthly'])
          .where('plan_id', '=', c.params.id!)
          .orderBy('effective_from', 'desc')
          .executeTakeFirstOrThrow();
        return problem(
          latest.markup_monthly === 6_000_000n && latest.effective_from.getTime() === rows[0]!.next.getTime(),
          'no new price from the next hour',
        );
      },
    }),
  },
};
