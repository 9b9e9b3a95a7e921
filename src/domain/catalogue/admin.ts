import { sql } from 'kysely';
import type { DbOrTx } from '../../db/index.ts';
import { NotFoundError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import type { CloudType } from '../../providers/cloud.ts';
import type { Actor } from '../access/actor.ts';
import { requirePlatformAdmin } from '../access/guard.ts';
import { cachedType, cachedTypes } from './cache.ts';
import { retailPrice } from './plans.ts';
import { providerRow } from './providers.ts';

/** Staff reads of the plans: the list with today's prices, one plan with its price history, the wizard's choices. */

export interface AdminPlanPrice {
  base: bigint;
  markup: bigint;
  backups: bigint;
  currency: string;
  effectiveFrom: Date;
  monthly: bigint;
  hourly: bigint;
  withBackupsMonthly: bigint;
  withBackupsHourly: bigint;
}

export interface AdminPlan {
  id: string;
  providerId: string;
  providerName: string;
  providerType: string;
  name: string;
  category: string;
  vcpus: number;
  memoryMb: number;
  diskGb: number;
  transferGb: number;
  active: boolean;
  displayOrder: number;
  regions: string[];
  /** In force now by the database clock; null when the first price starts later. */
  price: AdminPlanPrice | null;
}

type PriceRow = {
  base_monthly: bigint;
  markup_monthly: bigint;
  backups_monthly: bigint;
  currency: string;
  effective_from: Date;
};

function price(r: PriceRow): AdminPlanPrice {
  return {
    base: r.base_monthly,
    markup: r.markup_monthly,
    backups: r.backups_monthly,
    currency: r.currency,
    effectiveFrom: r.effective_from,
    ...retailPrice(r.base_monthly, r.markup_monthly, r.backups_monthly),
  };
}

async function plans(db: DbOrTx, planId?: string): Promise<AdminPlan[]> {
  let q = db
    .selectFrom('server_plans as sp')
    .innerJoin('cloud_providers as p', 'p.id', 'sp.provider_id')
    .leftJoinLateral(
      (eb) =>
        eb
          .selectFrom('server_plan_prices as pr')
          .select(['base_monthly', 'markup_monthly', 'backups_monthly', 'currency', 'effective_from'])
          .whereRef('pr.plan_id', '=', 'sp.id')
          .where('pr.effective_from', '<=', sql<Date>`now()`)
          .orderBy('pr.effective_from', 'desc')
          .limit(1)
          .as('pr'),
      (join) => join.onTrue(),
    )
    .selectAll('sp')
    .select([
      'p.name as provider_name',
      'pr.base_monthly',
      'pr.markup_monthly',
      'pr.backups_monthly',
      'pr.currency',
      'pr.effective_from',
      (eb) =>
        eb
          .fn<string[]>('array', [
            eb
              .selectFrom('server_plan_regions as r')
              .select('r.region_id')
              .whereRef('r.plan_id', '=', 'sp.id')
              .orderBy('r.region_id'),
          ])
          .as('regions'),
    ]);
  if (planId) q = q.where('sp.id', '=', planId);
  const rows = await q.orderBy('p.display_order').orderBy('sp.display_order').orderBy('sp.name').execute();
  return rows.map((r) => ({
    id: r.id,
    providerId: r.provider_id,
    providerName: r.provider_name,
    providerType: r.provider_type,
    name: r.name,
    category: r.category,
    vcpus: r.vcpus,
    memoryMb: r.memory_mb,
    diskGb: r.disk_gb,
    transferGb: r.transfer_gb,
    active: r.active,
    displayOrder: r.display_order,
    regions: r.regions,
    price:
      r.base_monthly === null
        ? null
        : price({
            base_monthly: r.base_monthly,
            markup_monthly: r.markup_monthly!,
            backups_monthly: r.backups_monthly!,
            currency: r.currency!,
            effective_from: r.effective_from!,
          }),
  }));
}

/** Every plan, active or not, with the price in force now (staff). */
export async function adminPlans(db: DbOrTx, actor: Actor): Promise<AdminPlan[]> {
  requirePlatformAdmin(actor);
  return plans(db);
}

/** One plan with every price it had and will have (newest first), the provider's type, and what it may use. */
export async function adminPlan(db: DbOrTx, actor: Actor, planId: string) {
  requirePlatformAdmin(actor);
  if (!isUuid(planId)) throw new NotFoundError('No such plan.');
  const [plan] = await plans(db, planId);
  if (!plan) throw new NotFoundError('No such plan.');
  const [history, type, options] = await Promise.all([
    db
      .selectFrom('server_plan_prices')
      .select(['base_monthly', 'markup_monthly', 'backups_monthly', 'currency', 'effective_from'])
      .where('plan_id', '=', plan.id)
      .orderBy('effective_from', 'desc')
      .execute(),
    cachedType(db, plan.providerId, plan.providerType),
    planOptions(db, plan.providerId),
  ]);
  const upcoming = history.find((h) => plan.price === null || h.effective_from > plan.price.effectiveFrom);
  return { plan, history: history.map(price), upcoming: upcoming ? price(upcoming) : null, type, ...options };
}

/** A provider's category names and allowed regions (for plan forms). */
export async function planOptions(db: DbOrTx, providerId: string) {
  const [categories, regions] = await Promise.all([
    db
      .selectFrom('server_categories')
      .select(['provider_class', 'name'])
      .where('provider_id', '=', providerId)
      .orderBy('display_order')
      .execute(),
    db
      .selectFrom('server_regions')
      .select(['region_id', 'label', 'country'])
      .where('provider_id', '=', providerId)
      .where('active', '=', true)
      .orderBy('display_order')
      .execute(),
  ]);
  return {
    categories: categories.map((c) => ({ providerClass: c.provider_class, name: c.name })),
    regions: regions.map((r) => ({ id: r.region_id, label: r.label, country: r.country })),
  };
}

/** The wizard's choices: providers; then a provider's cached types (with the category their class maps to). */
export async function planWizard(db: DbOrTx, actor: Actor, opts: { providerId?: string; providerType?: string }) {
  requirePlatformAdmin(actor);
  const providers = await db
    .selectFrom('cloud_providers')
    .select(['id', 'name', 'emulated', 'catalogue_refreshed_at'])
    .orderBy('display_order')
    .orderBy('name')
    .execute();
  const none = { providers, provider: null, types: [], type: null, categories: [], regions: [] };
  if (!opts.providerId) return none;
  const provider = await providerRow(db, opts.providerId).catch((err: unknown) => {
    if (err instanceof NotFoundError) return null;
    throw err;
  });
  if (!provider) return none;
  const options = await planOptions(db, provider.id);
  const categoryOf = (t: CloudType) => options.categories.find((c) => c.providerClass === t.class)?.name ?? null;
  const types = (await cachedTypes(db, provider.id)).map((t) => ({ ...t, category: categoryOf(t) }));
  const type = opts.providerType ? (types.find((t) => t.id === opts.providerType) ?? null) : null;
  return { providers, provider: { id: provider.id, name: provider.name }, types, type, ...options };
}
