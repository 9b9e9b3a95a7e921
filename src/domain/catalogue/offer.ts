import { CATALOGUE, type DataCache } from '../../lib/data-cache.ts';
import { sql } from 'kysely';
import type { DbOrTx } from '../../db/index.ts';
import { ForbiddenError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import type { Actor } from '../access/actor.ts';
import { hourlyRate } from '../metering/rates.ts';

/**
 * What customers may buy, as the admin catalogue set it up: regions, plans with the price in
 * force at an hour, images and apps. Read from the database only (never from the provider),
 * so the create wizard, the API and billing agree on one answer.
 */

export { serverSettings, type ServerSettings } from '../settings/servers.ts';
export { appDataFor, offeredApp, offeredApps, type AppField, type OfferedApp } from './apps.ts';

export interface OfferedRegion {
  providerId: string;
  /** The provider's region id: what a create's `region` takes. */
  id: string;
  label: string;
  /** ISO 3166-1 alpha-2, lower case. */
  country: string;
}

/**
 * Regions customers may pick: active regions of active providers, in display order. With
 * `cache`, kept until the catalogue changes (src/lib/data-cache.ts).
 */
export async function offeredRegions(db: DbOrTx, opts: { cache?: DataCache } = {}): Promise<OfferedRegion[]> {
  if (opts.cache) return opts.cache.read('offered-regions', [CATALOGUE], () => offeredRegions(db));
  const rows = await db
    .selectFrom('server_regions as r')
    .innerJoin('cloud_providers as p', 'p.id', 'r.provider_id')
    .select(['r.provider_id', 'r.region_id', 'r.label', 'r.country'])
    .where('p.active', '=', true)
    .where('r.active', '=', true)
    .orderBy('p.display_order')
    .orderBy('r.display_order')
    .orderBy('r.label')
    .execute();
  return rows.map((r) => ({ providerId: r.provider_id, id: r.region_id, label: r.label, country: r.country }));
}

/**
 * A plan's price in force at an hour (micro-units). Monthly = base + markup; with backups,
 * base + markup + backups. Each hourly rate is its monthly price / 730, rounded once
 * (the backups rate is never added separately: BILLING.md).
 */
export interface PlanPrice {
  monthly: bigint;
  hourly: bigint;
  backupsMonthly: bigint;
  withBackupsMonthly: bigint;
  withBackupsHourly: bigint;
  currency: string;
  effectiveFrom: Date;
}

type PriceRow = {
  base_monthly: bigint;
  markup_monthly: bigint;
  backups_monthly: bigint;
  currency: string;
  effective_from: Date;
};

function priceOf(row: PriceRow): PlanPrice {
  const monthly = row.base_monthly + row.markup_monthly;
  const withBackupsMonthly = monthly + row.backups_monthly;
  return {
    monthly,
    hourly: hourlyRate(monthly),
    backupsMonthly: row.backups_monthly,
    withBackupsMonthly,
    withBackupsHourly: hourlyRate(withBackupsMonthly),
    currency: row.currency,
    effectiveFrom: row.effective_from,
  };
}

/** The price row with the greatest `effective_from <= at`; null when none (or no such plan). */
export async function planPriceAt(db: DbOrTx, planId: string, at: Date): Promise<PlanPrice | null> {
  if (!isUuid(planId)) return null;
  const row = await db
    .selectFrom('server_plan_prices')
    .select(['base_monthly', 'markup_monthly', 'backups_monthly', 'currency', 'effective_from'])
    .where('plan_id', '=', planId)
    .where('effective_from', '<=', at)
    .orderBy('effective_from', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ? priceOf(row) : null;
}

export interface OfferedPlan {
  id: string;
  providerId: string;
  /** The provider's type id (never shown to customers). */
  providerType: string;
  name: string;
  category: string;
  vcpus: number;
  memoryMb: number;
  diskGb: number;
  transferGb: number;
  active: boolean;
  /** Region ids where it is sold, among the provider's active regions, in their display order. */
  regions: string[];
  price: PlanPrice;
}

async function plans(
  db: DbOrTx,
  at: Date,
  opts: { planId?: string; region?: string; includeInactive?: boolean },
): Promise<OfferedPlan[]> {
  let q = db
    .selectFrom('server_plans as sp')
    .innerJoin('cloud_providers as p', 'p.id', 'sp.provider_id')
    .innerJoinLateral(
      (eb) =>
        eb
          .selectFrom('server_plan_prices as pr')
          .select(['base_monthly', 'markup_monthly', 'backups_monthly', 'currency', 'effective_from'])
          .whereRef('pr.plan_id', '=', 'sp.id')
          .where('pr.effective_from', '<=', at)
          .orderBy('pr.effective_from', 'desc')
          .limit(1)
          .as('price'),
      (join) => join.onTrue(),
    )
    .selectAll('sp')
    .select([
      'p.active as provider_active',
      'price.base_monthly',
      'price.markup_monthly',
      'price.backups_monthly',
      'price.currency',
      'price.effective_from',
      (eb) =>
        eb
          .fn<string[]>('array', [
            eb
              .selectFrom('server_plan_regions as pre')
              .innerJoin('server_regions as r', (j) =>
                j.onRef('r.region_id', '=', 'pre.region_id').onRef('r.provider_id', '=', 'sp.provider_id'),
              )
              .select('pre.region_id')
              .whereRef('pre.plan_id', '=', 'sp.id')
              .where('r.active', '=', true)
              .orderBy('r.display_order')
              .orderBy('r.label'),
          ])
          .as('regions'),
    ]);
  if (opts.planId !== undefined) q = q.where('sp.id', '=', opts.planId);
  else if (!opts.includeInactive) q = q.where('sp.active', '=', true).where('p.active', '=', true);
  const rows = await q.orderBy('sp.display_order').orderBy('price.base_monthly').orderBy('sp.name').execute();
  return rows
    .map((r) => ({
      id: r.id,
      providerId: r.provider_id,
      providerType: r.provider_type,
      name: r.name,
      category: r.category,
      vcpus: r.vcpus,
      memoryMb: r.memory_mb,
      diskGb: r.disk_gb,
      transferGb: r.transfer_gb,
      active: r.active && r.provider_active,
      regions: r.regions,
      price: priceOf(r),
    }))
    .filter((p) => opts.region === undefined || p.regions.includes(opts.region));
}

/** Plans with a price at `at`: active ones of active providers (all with includeInactive), optionally sold in `region`. */
export async function offeredPlans(
  db: DbOrTx,
  at: Date,
  opts: { region?: string; includeInactive?: boolean } = {},
): Promise<OfferedPlan[]> {
  return plans(db, at, opts);
}

/** One plan priced at `at`, active or not (the caller checks `active`); null when unknown or unpriced then. */
export async function offeredPlan(db: DbOrTx, planId: string, at: Date): Promise<OfferedPlan | null> {
  if (!isUuid(planId)) return null;
  const [plan] = await plans(db, at, { planId });
  return plan ?? null;
}

export interface OfferedImage {
  providerId: string;
  /** The provider's image id: what a create's `image` takes. */
  id: string;
  label: string;
  vendor: string | null;
}

/** Allowed, active images of active providers (or of one provider), in display order. */
export async function offeredImages(db: DbOrTx, providerId?: string): Promise<OfferedImage[]> {
  let q = db
    .selectFrom('server_images as i')
    .innerJoin('cloud_providers as p', 'p.id', 'i.provider_id')
    .leftJoin('cloud_catalogue as c', (j) =>
      j
        .onRef('c.provider_id', '=', 'i.provider_id')
        .onRef('c.external_id', '=', 'i.image_id')
        .on('c.kind', '=', 'image'),
    )
    .select(['i.provider_id', 'i.image_id', 'i.label', sql<string | null>`c.data->>'vendor'`.as('vendor')])
    .where('p.active', '=', true)
    .where('i.active', '=', true);
  if (providerId !== undefined) {
    if (!isUuid(providerId)) return [];
    q = q.where('i.provider_id', '=', providerId);
  }
  const rows = await q.orderBy('p.display_order').orderBy('i.display_order').orderBy('i.label').execute();
  return rows.map((r) => ({ providerId: r.provider_id, id: r.image_id, label: r.label, vendor: r.vendor ?? null }));
}

/** Whether any active provider is the built-in emulator: pages then say servers are emulated. With `cache`, kept until the catalogue changes. */
export async function hasEmulatedProvider(db: DbOrTx, opts: { cache?: DataCache } = {}): Promise<boolean> {
  if (opts.cache) return opts.cache.read('emulated-provider', [CATALOGUE], () => hasEmulatedProvider(db));
  const row = await db
    .selectFrom('cloud_providers')
    .select('id')
    .where('emulated', '=', true)
    .where('active', '=', true)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Who may read the catalogue customers buy from: any member acting in an organization (any
 * role, API keys included; every role may look at prices) and platform staff. A signed-in
 * caller with no organization is refused (403): there is nothing they could buy with.
 */
export function assertMayReadCatalogue(actor: Actor): void {
  if (!actor.isPlatformAdmin && !actor.organizationId)
    throw new ForbiddenError('Join or create an organization to see the server catalogue.');
}

/** The current clock hour by the database clock: the hour prices are read at. */
export async function currentHour(db: DbOrTx): Promise<Date> {
  const { rows } = await sql<{ hour: Date }>`select date_trunc('hour', now()) as hour`.execute(db);
  return rows[0]!.hour;
}
