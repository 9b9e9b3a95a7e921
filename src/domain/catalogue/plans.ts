import { sql } from 'kysely';
import { z } from 'zod';
import { inTransaction, type DbOrTx } from '../../db/index.ts';
import { NotFoundError, ValidationError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import { toDecimal } from '../../lib/money.ts';
import { parseInput } from '../../lib/validation.ts';
import type { CloudType } from '../../providers/cloud.ts';
import type { Actor } from '../access/actor.ts';
import { requirePlatformAdmin } from '../access/guard.ts';
import { recordActivity } from '../activity/record.ts';
import type { Deps } from '../deps.ts';
import { hourlyRate } from '../metering/rates.ts';
import { cachedType } from './cache.ts';
import { checkbox, displayOrder, gigabytes, label, monthlyAmount, stringList } from './input.ts';
import { providerRow } from './providers.ts';

/**
 * Server plans (staff): a provider type sold under the business's own name, category and
 * price. A plan's price is a row of `server_plan_prices`; a change is a new row effective
 * from the next clock hour by the database clock, so hours already charged keep their price
 * (BILLING.md). The base cost is the provider's monthly price for the type, the highest of
 * the regions it is sold in (so no region is sold below cost), read from the cached catalogue.
 */

/** The provider's price of a type where it is sold: the highest of those regions' prices. */
export function baseCost(type: CloudType, regions: string[]): bigint {
  let base = type.monthlyPrice;
  for (const r of type.regionPrices) if (regions.includes(r.region) && r.monthlyPrice > base) base = r.monthlyPrice;
  return base;
}

/** What a customer pays for a plan priced base + markup (+ backups), per month and hour. */
export function retailPrice(base: bigint, markup: bigint, backups: bigint) {
  const monthly = base + markup;
  return {
    monthly,
    hourly: hourlyRate(monthly),
    withBackupsMonthly: monthly + backups,
    withBackupsHourly: hourlyRate(monthly + backups),
  };
}

const planFields = {
  name: label('name'),
  category: z.string({ error: 'Choose a category.' }).trim().min(1, 'Choose a category.').max(60),
  transfer_gb: gigabytes('included transfer'),
  regions: stringList,
  active: checkbox,
  display_order: displayOrder,
};
export const priceFields = {
  markup: monthlyAmount('markup'),
  backups_price: monthlyAmount('backups add-on price'),
};
const newPlanInput = z.object({
  provider_id: z.string({ error: 'Choose a provider.' }).trim().min(1, 'Choose a provider.'),
  provider_type: z.string({ error: 'Choose a provider plan.' }).trim().min(1, 'Choose a provider plan.').max(100),
  ...planFields,
  ...priceFields,
});
const editPlanInput = z.object(planFields);

/** The categories and sold regions a provider's plans may use. */
async function providerOptions(db: DbOrTx, providerId: string) {
  const [categories, regions] = await Promise.all([
    db
      .selectFrom('server_categories')
      .select(['provider_class', 'name'])
      .where('provider_id', '=', providerId)
      .execute(),
    db
      .selectFrom('server_regions')
      .select('region_id')
      .where('provider_id', '=', providerId)
      .where('active', '=', true)
      .execute(),
  ]);
  return { categories: categories.map((c) => c.name), regions: regions.map((r) => r.region_id) };
}

function checkChoices(
  v: { category: string; regions: string[] },
  options: { categories: string[]; regions: string[] },
  errors: Record<string, string>,
) {
  if (!options.categories.includes(v.category))
    errors.category = 'Choose one of the category names set up for this provider.';
  if (v.regions.length === 0) errors.regions = 'Choose at least one region where the plan is sold.';
  else if (v.regions.some((r) => !options.regions.includes(r)))
    errors.regions = 'Choose among the regions allowed for this provider.';
}

export interface PlanDraft {
  providerId: string;
  providerName: string;
  type: CloudType;
  name: string;
  category: string;
  transferGb: number;
  regions: string[];
  active: boolean;
  displayOrder: number;
  base: bigint;
  markup: bigint;
  backups: bigint;
  price: ReturnType<typeof retailPrice>;
}

/** Checks a new plan (the wizard's review step, and create): every field, against the cache and the choices. */
export async function previewPlan(db: DbOrTx, actor: Actor, raw: unknown): Promise<PlanDraft> {
  requirePlatformAdmin(actor);
  const v = parseInput(newPlanInput, raw);
  const provider = await providerRow(db, v.provider_id).catch(() => {
    throw new ValidationError({ provider_id: 'Choose a provider.' });
  });
  const type = await cachedType(db, provider.id, v.provider_type);
  if (!type)
    throw new ValidationError({ provider_type: 'The provider does not list this plan. Refresh its catalogue.' });
  const errors: Record<string, string> = {};
  checkChoices(v, await providerOptions(db, provider.id), errors);
  if (Object.keys(errors).length) throw new ValidationError(errors);
  const regions = [...new Set(v.regions)];
  const base = baseCost(type, regions);
  return {
    providerId: provider.id,
    providerName: provider.name,
    type,
    name: v.name,
    category: v.category,
    transferGb: v.transfer_gb,
    regions,
    active: v.active,
    displayOrder: v.display_order,
    base,
    markup: v.markup,
    backups: v.backups_price,
    price: retailPrice(base, v.markup, v.backups_price),
  };
}

const NAME_TAKEN = { name: 'Another plan has this name.' };
const isUniqueViolation = (err: unknown) => (err as { code?: string }).code === '23505';

/** Creates a plan with its first price, in force from the current clock hour (nothing was charged at it yet). */
export async function createPlan(deps: Pick<Deps, 'db' | 'clock' | 'config'>, actor: Actor, raw: unknown) {
  const d = await previewPlan(deps.db, actor, raw);
  const now = deps.clock.now();
  try {
    return await inTransaction(deps.db, async (trx) => {
      const plan = await trx
        .insertInto('server_plans')
        .values({
          provider_id: d.providerId,
          provider_type: d.type.id,
          name: d.name,
          category: d.category,
          vcpus: d.type.vcpus,
          memory_mb: d.type.memoryMb,
          disk_gb: Math.max(1, Math.round(d.type.diskMb / 1024)),
          transfer_gb: d.transferGb,
          active: d.active,
          display_order: d.displayOrder,
          created_at: now,
          updated_at: now,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await trx
        .insertInto('server_plan_regions')
        .values(d.regions.map((region_id) => ({ plan_id: plan.id, region_id })))
        .execute();
      await trx
        .insertInto('server_plan_prices')
        .values({
          plan_id: plan.id,
          base_monthly: d.base,
          markup_monthly: d.markup,
          backups_monthly: d.backups,
          currency: deps.config.BILLING_CURRENCY,
          effective_from: sql<Date>`date_trunc('hour', now())`,
          created_by: actor.userId,
        })
        .execute();
      await recordActivity(trx, {
        action: 'admin.plan_created',
        actorUserId: actor.userId,
        target: { type: 'server_plan', id: plan.id },
        origin: actor.origin,
        occurredAt: now,
        details: { name: d.name, provider_type: d.type.id, monthly: toDecimal(d.price.monthly, 6) },
      });
      return { id: plan.id };
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw new ValidationError(NAME_TAKEN);
    throw err;
  }
}

/** A plan row by id; NotFoundError for unknown or malformed ids. */
export async function planRow(db: DbOrTx, planId: string) {
  if (!isUuid(planId)) throw new NotFoundError('No such plan.');
  const plan = await db.selectFrom('server_plans').selectAll().where('id', '=', planId).executeTakeFirst();
  if (!plan) throw new NotFoundError('No such plan.');
  return plan;
}

/** Staff edit a plan's name, category, included transfer, regions, active flag and order (not its price). */
export async function updatePlan(
  deps: Pick<Deps, 'db' | 'clock'>,
  actor: Actor,
  input: { planId: string; values: unknown },
) {
  requirePlatformAdmin(actor);
  const plan = await planRow(deps.db, input.planId);
  const v = parseInput(editPlanInput, input.values);
  const errors: Record<string, string> = {};
  checkChoices(v, await providerOptions(deps.db, plan.provider_id), errors);
  if (Object.keys(errors).length) throw new ValidationError(errors);
  const now = deps.clock.now();
  try {
    await inTransaction(deps.db, async (trx) => {
      await trx
        .updateTable('server_plans')
        .set({
          name: v.name,
          category: v.category,
          transfer_gb: v.transfer_gb,
          active: v.active,
          display_order: v.display_order,
          updated_at: now,
        })
        .where('id', '=', plan.id)
        .execute();
      await trx.deleteFrom('server_plan_regions').where('plan_id', '=', plan.id).execute();
      await trx
        .insertInto('server_plan_regions')
        .values([...new Set(v.regions)].map((region_id) => ({ plan_id: plan.id, region_id })))
        .execute();
      await recordActivity(trx, {
        action: 'admin.plan_updated',
        actorUserId: actor.userId,
        target: { type: 'server_plan', id: plan.id },
        origin: actor.origin,
        occurredAt: now,
        details: { name: v.name, active: v.active, regions: v.regions.join(',') },
      });
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw new ValidationError(NAME_TAKEN);
    throw err;
  }
}
