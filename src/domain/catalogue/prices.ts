import { sql } from 'kysely';
import { z } from 'zod';
import { inTransaction } from '../../db/index.ts';
import { toDecimal } from '../../lib/money.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Actor } from '../access/actor.ts';
import { requirePlatformAdmin } from '../access/guard.ts';
import { recordActivity } from '../activity/record.ts';
import type { Deps } from '../deps.ts';
import { cachedType } from './cache.ts';
import { baseCost, planRow, priceFields, updatePlan } from './plans.ts';

/** A plan's price changes (staff): always a new row from the next clock hour; see plans.ts. */

const priceInput = z.object(priceFields);

/**
 * A new price: a new row effective from the next clock hour by the database clock. Hours
 * already charged keep their price; a second change within the same hour replaces the
 * pending row (never a row in force). The base is the provider's current cached price for
 * the plan's regions (the last base when the provider no longer lists the type).
 */
export async function changePlanPrice(
  deps: Pick<Deps, 'db' | 'clock' | 'config'>,
  actor: Actor,
  input: { planId: string; values: unknown },
): Promise<{ effectiveFrom: Date }> {
  requirePlatformAdmin(actor);
  const plan = await planRow(deps.db, input.planId);
  const v = parseInput(priceInput, input.values);
  const [type, regions, last] = await Promise.all([
    cachedType(deps.db, plan.provider_id, plan.provider_type),
    deps.db.selectFrom('server_plan_regions').select('region_id').where('plan_id', '=', plan.id).execute(),
    deps.db
      .selectFrom('server_plan_prices')
      .select(['base_monthly', 'currency'])
      .where('plan_id', '=', plan.id)
      .orderBy('effective_from', 'desc')
      .limit(1)
      .executeTakeFirst(),
  ]);
  const base = type
    ? baseCost(
        type,
        regions.map((r) => r.region_id),
      )
    : (last?.base_monthly ?? 0n);
  const now = deps.clock.now();
  return inTransaction(deps.db, async (trx) => {
    const values = {
      base_monthly: base,
      markup_monthly: v.markup,
      backups_monthly: v.backups_price,
      currency: last?.currency ?? deps.config.BILLING_CURRENCY,
      created_by: actor.userId,
    };
    const row = await trx
      .insertInto('server_plan_prices')
      .values({ plan_id: plan.id, ...values, effective_from: sql<Date>`date_trunc('hour', now()) + interval '1 hour'` })
      .onConflict((oc) => oc.columns(['plan_id', 'effective_from']).doUpdateSet(values))
      .returning('effective_from')
      .executeTakeFirstOrThrow();
    await trx.updateTable('server_plans').set({ updated_at: now }).where('id', '=', plan.id).execute();
    await recordActivity(trx, {
      action: 'admin.plan_price_changed',
      actorUserId: actor.userId,
      target: { type: 'server_plan', id: plan.id },
      origin: actor.origin,
      occurredAt: now,
      details: {
        name: plan.name,
        base: toDecimal(base, 6),
        markup: toDecimal(v.markup, 6),
        backups: toDecimal(v.backups_price, 6),
        effective_from: row.effective_from.toISOString(),
      },
    });
    return { effectiveFrom: row.effective_from };
  });
}

/**
 * The API's PATCH: the plan fields sent (merged over the plan's) and, when a markup or
 * backups price is sent, a new price from the next hour; all or nothing.
 */
export async function patchPlan(
  deps: Pick<Deps, 'db' | 'clock' | 'config'>,
  actor: Actor,
  input: { planId: string; values: Record<string, unknown> },
) {
  requirePlatformAdmin(actor);
  const plan = await planRow(deps.db, input.planId);
  const v = input.values;
  const has = (k: string) => v[k] !== undefined;
  await inTransaction(deps.db, async (trx) => {
    const tx = { ...deps, db: trx };
    if (['name', 'category', 'transfer_gb', 'regions', 'active', 'display_order'].some(has)) {
      const regions = has('regions')
        ? v.regions
        : (
            await trx.selectFrom('server_plan_regions').select('region_id').where('plan_id', '=', plan.id).execute()
          ).map((r) => r.region_id);
      await updatePlan(tx, actor, {
        planId: plan.id,
        values: {
          name: v.name ?? plan.name,
          category: v.category ?? plan.category,
          transfer_gb: v.transfer_gb ?? plan.transfer_gb,
          regions,
          active: v.active ?? plan.active,
          display_order: v.display_order ?? plan.display_order,
        },
      });
    }
    if (has('markup') || has('backups_price')) {
      const last = await trx
        .selectFrom('server_plan_prices')
        .select(['markup_monthly', 'backups_monthly'])
        .where('plan_id', '=', plan.id)
        .orderBy('effective_from', 'desc')
        .limit(1)
        .executeTakeFirst();
      await changePlanPrice(tx, actor, {
        planId: plan.id,
        values: {
          markup: v.markup ?? toDecimal(last?.markup_monthly ?? 0n, 6),
          backups_price: v.backups_price ?? toDecimal(last?.backups_monthly ?? 0n, 6),
        },
      });
    }
  });
}
