import type { Config } from '../../config.ts';
import { inTransaction, type DbOrTx } from '../../db/index.ts';
import { CATALOGUE, type DataCache } from '../../lib/data-cache.ts';
import { ValidationError } from '../../lib/errors.ts';
import { MICROS, parseMoney, toDecimal } from '../../lib/money.ts';
import type { Actor } from '../access/actor.ts';
import { requirePlatformAdmin } from '../access/guard.ts';
import { recordActivity } from '../activity/record.ts';
import type { Deps } from '../deps.ts';
import { getBillingSettings } from './billing.ts';
import { getSetting, putSetting, withDefaults } from './store.ts';

/**
 * Billing policy settings (`platform_settings` key `billing_policy`, issue 16 item 6): the
 * top-up presets (quick choices on /billing), the low-balance reminder threshold and the dunning
 * periods. Defaults: the environment (`LOW_BALANCE_THRESHOLD`, `DUNNING_SUSPEND_AFTER_HOURS`,
 * `DUNNING_TERMINATE_AFTER_DAYS`), so a platform that never saved them behaves as configured.
 * Stored as JSON with money as micro-unit strings (`{"topUpPresets":["10000000","25000000"],
 * "lowBalanceThreshold":"5000000","dunningSuspendAfterHours":24,"dunningTerminateAfterDays":7}`);
 * a missing or invalid field falls back to its default alone, and a dunning pair that breaks
 * the rule (suspension at most terminate×24−24 hours) is not used half-way: both fall back.
 *
 * The top-up limits stay in `billing.ts` (key `billing`).
 */
export interface BillingPolicy {
  /** Amounts (micro-units) offered as one-click top-ups; [] shows none. */
  topUpPresets: bigint[];
  /** Below this balance (micro-units) billing contacts get the low-balance reminder. */
  lowBalanceThreshold: bigint;
  /** Hours in arrears before live servers are suspended. */
  dunningSuspendAfterHours: number;
  /** Days in arrears before servers are deleted. */
  dunningTerminateAfterDays: number;
}

export type BillingPolicyDefaults = Pick<
  Config,
  'lowBalanceThreshold' | 'DUNNING_SUSPEND_AFTER_HOURS' | 'DUNNING_TERMINATE_AFTER_DAYS'
>;

export const DEFAULT_TOP_UP_PRESETS: readonly bigint[] = Object.freeze([10n, 25n, 50n, 100n].map((n) => n * MICROS));
export const MAX_TOP_UP_PRESETS = 8;
/** The config's own bounds (src/config.ts). */
export const SUSPEND_HOURS_MAX = 24 * 365;
export const TERMINATE_DAYS_MIN = 2;
export const TERMINATE_DAYS_MAX = 365;

/** The rule config.ts enforces for the environment: the final notice (24 h before deletion) follows the suspension. */
export function dunningPairValid(suspendHours: number, terminateDays: number): boolean {
  return suspendHours <= terminateDays * 24 - 24;
}

const microString = (v: unknown): v is string => typeof v === 'string' && /^\d{1,18}$/.test(v);
const positiveMicros = (v: unknown): v is string => microString(v) && BigInt(v) > 0n;
const intIn = (min: number, max: number) => (v: unknown) =>
  Number.isInteger(v) && (v as number) >= min && (v as number) <= max;

/** The billing policy, defaults from the environment filled in. With `cache`: kept until platform settings change. */
export async function getBillingPolicy(
  db: DbOrTx,
  defaults: BillingPolicyDefaults,
  opts: { cache?: DataCache } = {},
): Promise<BillingPolicy> {
  if (opts.cache)
    return opts.cache.read(
      `billing-policy:${defaults.lowBalanceThreshold}:${defaults.DUNNING_SUSPEND_AFTER_HOURS}:${defaults.DUNNING_TERMINATE_AFTER_DAYS}`,
      [CATALOGUE],
      () => getBillingPolicy(db, defaults),
    );
  const s = withDefaults(
    await getSetting(db, 'billing_policy'),
    {
      topUpPresets: DEFAULT_TOP_UP_PRESETS.map(String),
      lowBalanceThreshold: String(defaults.lowBalanceThreshold),
      dunningSuspendAfterHours: defaults.DUNNING_SUSPEND_AFTER_HOURS,
      dunningTerminateAfterDays: defaults.DUNNING_TERMINATE_AFTER_DAYS,
    },
    {
      topUpPresets: (v): v is string[] => Array.isArray(v) && v.length <= MAX_TOP_UP_PRESETS && v.every(positiveMicros),
      lowBalanceThreshold: microString,
      dunningSuspendAfterHours: (v): v is number => intIn(0, SUSPEND_HOURS_MAX)(v),
      dunningTerminateAfterDays: (v): v is number => intIn(TERMINATE_DAYS_MIN, TERMINATE_DAYS_MAX)(v),
    },
  );
  const pair = dunningPairValid(s.dunningSuspendAfterHours, s.dunningTerminateAfterDays)
    ? { suspend: s.dunningSuspendAfterHours, terminate: s.dunningTerminateAfterDays }
    : { suspend: defaults.DUNNING_SUSPEND_AFTER_HOURS, terminate: defaults.DUNNING_TERMINATE_AFTER_DAYS };
  return {
    topUpPresets: s.topUpPresets.map((p) => BigInt(p)),
    lowBalanceThreshold: BigInt(s.lowBalanceThreshold),
    dunningSuspendAfterHours: pair.suspend,
    dunningTerminateAfterDays: pair.terminate,
  };
}

/**
 * The dunning periods in the shape src/domain/dunning/policy.ts reads (`deadlinesOf(c, config)`):
 * the saved settings, else the environment's.
 *
 * @example deadlinesOf(c, await dunningConfig(deps))
 */
export async function dunningConfig(deps: {
  db: DbOrTx;
  config: BillingPolicyDefaults;
  cache?: DataCache;
}): Promise<Pick<Config, 'DUNNING_SUSPEND_AFTER_HOURS' | 'DUNNING_TERMINATE_AFTER_DAYS'>> {
  const p = await getBillingPolicy(deps.db, deps.config, { cache: deps.cache });
  return {
    DUNNING_SUSPEND_AFTER_HOURS: p.dunningSuspendAfterHours,
    DUNNING_TERMINATE_AFTER_DAYS: p.dunningTerminateAfterDays,
  };
}

/** The low-balance reminder threshold (micro-units): the saved setting, else `LOW_BALANCE_THRESHOLD`. */
export async function lowBalanceThreshold(deps: {
  db: DbOrTx;
  config: BillingPolicyDefaults;
  cache?: DataCache;
}): Promise<bigint> {
  return (await getBillingPolicy(deps.db, deps.config, { cache: deps.cache })).lowBalanceThreshold;
}

/**
 * A change to the billing values (Platform settings → Billing, `PATCH /api/v1/admin/settings`
 * `billing`): money as decimal strings in major units ("25.00"), periods as whole numbers (or
 * their digits); only the fields given change.
 */
export interface BillingValuesChange {
  topUpMin?: string;
  topUpMax?: string;
  topUpPresets?: string[];
  lowBalanceThreshold?: string;
  dunningSuspendAfterHours?: number | string;
  dunningTerminateAfterDays?: number | string;
}

/** Everything billing-related staff set here, the limits (billing.ts) included. */
export interface BillingValues extends BillingPolicy {
  topUpMin: bigint;
  topUpMax: bigint;
}

export async function getBillingValues(db: DbOrTx, defaults: BillingPolicyDefaults): Promise<BillingValues> {
  const [limits, policy] = await Promise.all([getBillingSettings(db), getBillingPolicy(db, defaults)]);
  return { ...policy, topUpMin: limits.topUpMin, topUpMax: limits.topUpMax };
}

const money = (v: string, positive: boolean): bigint | null => {
  const m = parseMoney(String(v ?? ''), 2);
  return m === null || m < 0n || (positive && m === 0n) ? null : m;
};
const whole = (v: number | string, min: number, max: number): number | null => {
  const n = typeof v === 'number' ? v : /^\s*\d{1,6}\s*$/.test(String(v)) ? Number(String(v).trim()) : NaN;
  return Number.isInteger(n) && n >= min && n <= max ? n : null;
};

/**
 * Staff change the top-up limits and presets, the low-balance threshold and the dunning
 * periods. Checked together (limits in order, presets within them, suspension at most
 * terminate×24−24 hours); a refusal changes nothing. Audited as `admin.settings_updated` with
 * what changed (money as decimals).
 */
export async function updateBillingValues(
  deps: Pick<Deps, 'db' | 'clock' | 'config'>,
  actor: Actor,
  change: BillingValuesChange,
): Promise<BillingValues> {
  requirePlatformAdmin(actor);
  const errors: Record<string, string> = {};
  const now = deps.clock.now();
  return inTransaction(deps.db, async (trx) => {
    const before = await getBillingValues(trx, deps.config);
    const next: BillingValues = { ...before, topUpPresets: [...before.topUpPresets] };
    if (change.topUpMin !== undefined) {
      const v = money(change.topUpMin, true);
      if (v === null) errors.topUpMin = 'Enter the smallest top-up as an amount such as 5.00.';
      else next.topUpMin = v;
    }
    if (change.topUpMax !== undefined) {
      const v = money(change.topUpMax, true);
      if (v === null) errors.topUpMax = 'Enter the largest top-up as an amount such as 1000.00.';
      else next.topUpMax = v;
    }
    if (!errors.topUpMin && !errors.topUpMax && next.topUpMax < next.topUpMin)
      errors.topUpMax = 'The largest top-up must not be smaller than the smallest.';
    if (change.topUpPresets !== undefined) {
      const list = change.topUpPresets.map((p) => String(p).trim()).filter((p) => p !== '');
      const amounts = list.map((p) => money(p, true));
      if (list.length > MAX_TOP_UP_PRESETS) errors.topUpPresets = `At most ${MAX_TOP_UP_PRESETS} presets.`;
      else if (amounts.some((a) => a === null))
        errors.topUpPresets = 'List amounts such as 10, 25.00, 50 (at most 2 decimals), separated by commas.';
      else {
        const unique = [...new Set(amounts as bigint[])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        if (!errors.topUpMin && !errors.topUpMax && unique.some((a) => a < next.topUpMin || a > next.topUpMax))
          errors.topUpPresets = `Each preset must lie between the smallest (${toDecimal(next.topUpMin)}) and the largest top-up (${toDecimal(next.topUpMax)}).`;
        else next.topUpPresets = unique;
      }
    }
    if (change.lowBalanceThreshold !== undefined) {
      const v = money(change.lowBalanceThreshold, false);
      if (v === null)
        errors.lowBalanceThreshold = 'Enter an amount such as 5.00 (0: no low-balance reminder by amount).';
      else next.lowBalanceThreshold = v;
    }
    if (change.dunningSuspendAfterHours !== undefined) {
      const v = whole(change.dunningSuspendAfterHours, 0, SUSPEND_HOURS_MAX);
      if (v === null) errors.dunningSuspendAfterHours = `Enter whole hours from 0 to ${SUSPEND_HOURS_MAX}.`;
      else next.dunningSuspendAfterHours = v;
    }
    if (change.dunningTerminateAfterDays !== undefined) {
      const v = whole(change.dunningTerminateAfterDays, TERMINATE_DAYS_MIN, TERMINATE_DAYS_MAX);
      if (v === null)
        errors.dunningTerminateAfterDays = `Enter whole days from ${TERMINATE_DAYS_MIN} to ${TERMINATE_DAYS_MAX}.`;
      else next.dunningTerminateAfterDays = v;
    }
    if (
      !errors.dunningSuspendAfterHours &&
      !errors.dunningTerminateAfterDays &&
      !dunningPairValid(next.dunningSuspendAfterHours, next.dunningTerminateAfterDays)
    )
      errors.dunningSuspendAfterHours = `Suspend at most ${next.dunningTerminateAfterDays * 24 - 24} hours in: servers are suspended before the final notice, which goes out 24 hours before deletion.`;
    if (Object.keys(errors).length) throw new ValidationError(errors);

    const show = (v: BillingValues) => ({
      top_up_min: toDecimal(v.topUpMin),
      top_up_max: toDecimal(v.topUpMax),
      top_up_presets: v.topUpPresets.map((p) => toDecimal(p)).join(', '),
      low_balance_threshold: toDecimal(v.lowBalanceThreshold),
      dunning_suspend_after_hours: v.dunningSuspendAfterHours,
      dunning_terminate_after_days: v.dunningTerminateAfterDays,
    });
    const a = show(before);
    const b = show(next);
    const changed = (Object.keys(b) as (keyof typeof b)[]).filter((k) => a[k] !== b[k]);
    if (!changed.length) return next;
    if (changed.includes('top_up_min') || changed.includes('top_up_max'))
      await putSetting(
        trx,
        'billing',
        { topUpMin: String(next.topUpMin), topUpMax: String(next.topUpMax) },
        actor.userId,
        now,
      );
    if (changed.some((k) => k !== 'top_up_min' && k !== 'top_up_max'))
      await putSetting(
        trx,
        'billing_policy',
        {
          topUpPresets: next.topUpPresets.map(String),
          lowBalanceThreshold: String(next.lowBalanceThreshold),
          dunningSuspendAfterHours: next.dunningSuspendAfterHours,
          dunningTerminateAfterDays: next.dunningTerminateAfterDays,
        },
        actor.userId,
        now,
      );
    const details: Record<string, string | number> = { setting: 'billing' };
    for (const k of changed) {
      details[k] = b[k];
      details[`${k}_before`] = a[k];
    }
    await recordActivity(trx, {
      action: 'admin.settings_updated',
      actorUserId: actor.userId,
      origin: actor.origin,
      occurredAt: now,
      details: { ...details, changed: changed.join(', ') },
    });
    return next;
  });
}
