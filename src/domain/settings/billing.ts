import { z } from 'zod';
import { inTransaction } from '../../db/index.ts';
import type { DbOrTx } from '../../db/index.ts';
import { ValidationError } from '../../lib/errors.ts';
import { MICROS, parseMoney, toDecimal } from '../../lib/money.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Actor } from '../access/actor.ts';
import { recordActivity } from '../activity/record.ts';
import { requirePlatformAdmin } from '../access/guard.ts';
import type { Deps } from '../deps.ts';
import { getSetting, putSetting, withDefaults } from './store.ts';

/**
 * Billing settings (`platform_settings` key `billing`). Stored as JSON with money as
 * micro-unit strings (`{"topUpMin":"5000000","topUpMax":"1000000000"}`), read as bigints.
 */
export interface BillingSettings {
  /** Smallest top-up a customer may make, in micro-units of the wallet currency. */
  topUpMin: bigint;
  /** Largest single top-up, in micro-units. */
  topUpMax: bigint;
}

export const BILLING_DEFAULTS: Readonly<BillingSettings> = Object.freeze({
  topUpMin: 5n * MICROS,
  topUpMax: 1000n * MICROS,
});

const microString = (v: unknown): v is string => typeof v === 'string' && /^\d{1,18}$/.test(v) && BigInt(v) > 0n;

/** The billing settings, defaults filled in (top-ups 5.00 to 1000.00 unless staff changed them). */
export async function getBillingSettings(db: DbOrTx): Promise<BillingSettings> {
  const stored = withDefaults(
    await getSetting(db, 'billing'),
    { topUpMin: String(BILLING_DEFAULTS.topUpMin), topUpMax: String(BILLING_DEFAULTS.topUpMax) },
    { topUpMin: microString, topUpMax: microString },
  );
  const min = BigInt(stored.topUpMin);
  const max = BigInt(stored.topUpMax);
  // A stored pair that contradicts itself is not used half-way.
  return max >= min ? { topUpMin: min, topUpMax: max } : { ...BILLING_DEFAULTS };
}

const amount = (label: string) =>
  z
    .string({ error: `Enter the ${label}.` })
    .trim()
    .transform((s, ctx) => {
      const v = parseMoney(s, 2);
      if (v === null || v <= 0n) {
        ctx.addIssue({ code: 'custom', message: `Enter the ${label} as an amount such as 25.00.` });
        return z.NEVER;
      }
      return v;
    });

/** Form or JSON input: decimal strings in major units, e.g. `{ topUpMin: "5.00", topUpMax: "1000.00" }`. */
export const billingSettingsInput = z.object({
  topUpMin: amount('smallest top-up'),
  topUpMax: amount('largest top-up'),
});

/** Staff change the top-up limits; audited as `admin.settings_updated`. Returns the saved settings. */
export async function updateBillingSettings(deps: Deps, actor: Actor, raw: unknown): Promise<BillingSettings> {
  requirePlatformAdmin(actor);
  const input = parseInput(billingSettingsInput, raw);
  if (input.topUpMax < input.topUpMin)
    throw new ValidationError({ topUpMax: 'The largest top-up must not be smaller than the smallest.' });
  const now = deps.clock.now();
  await inTransaction(deps.db, async (trx) => {
    await putSetting(
      trx,
      'billing',
      { topUpMin: String(input.topUpMin), topUpMax: String(input.topUpMax) },
      actor.userId,
      now,
    );
    await recordActivity(trx, {
      action: 'admin.settings_updated',
      actorUserId: actor.userId,
      origin: actor.origin,
      occurredAt: now,
      details: { setting: 'billing', top_up_min: toDecimal(input.topUpMin), top_up_max: toDecimal(input.topUpMax) },
    });
  });
  return { topUpMin: input.topUpMin, topUpMax: input.topUpMax };
}
