import { z } from 'zod';
import { inTransaction } from '../../db/index.ts';
import type { DbOrTx } from '../../db/index.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Actor } from '../access/actor.ts';
import { recordActivity } from '../activity/record.ts';
import { requirePlatformAdmin } from '../access/guard.ts';
import type { Deps } from '../deps.ts';
import { getSetting, putSetting, withDefaults } from './store.ts';

/** What screening does when the provider cannot answer (network, timeout, 5xx, bad key, no credit). */
export const UNAVAILABLE_MODES = [
  /** Let the sign-up or top-up through; a `skipped` check row says it was not screened. */
  'fail_open',
  /** Refuse it with a "temporarily unavailable" message; a `reject` check row says why. */
  'fail_closed',
] as const;
export type UnavailableMode = (typeof UNAVAILABLE_MODES)[number];

/** Fraud screening settings (`platform_settings` key `fraud`). */
export interface FraudSettings {
  /** Screen sign-ups and top-ups at all. Off: nothing is screened and no check row is written. */
  enabled: boolean;
  /** FraudLabs Pro scores (1–100) at or above this are rejected; 50 up to it are held for review. */
  scoreThreshold: number;
  /** Reject VPN, Tor exit and proxy IPs. */
  blockProxyVpnTor: boolean;
  /** Reject disposable (and FraudLabs Pro-blacklisted) email addresses. */
  blockDisposableEmail: boolean;
  whenUnavailable: UnavailableMode;
}

const bool = (v: unknown): v is boolean => typeof v === 'boolean';

/**
 * The fraud settings, defaults filled in. `enabled` defaults to whether a provider is
 * configured (`deps.fraud`: FRAUDLABSPRO_API_KEY, or the emulator in demo mode); once staff
 * save the settings page, their choice stands.
 */
export async function getFraudSettings(deps: { db: DbOrTx; fraud?: unknown }): Promise<FraudSettings> {
  const defaults: FraudSettings = {
    enabled: deps.fraud !== undefined,
    scoreThreshold: 70,
    blockProxyVpnTor: true,
    blockDisposableEmail: true,
    whenUnavailable: 'fail_open',
  };
  return withDefaults(await getSetting(deps.db, 'fraud'), defaults, {
    enabled: bool,
    scoreThreshold: (v): v is number => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 100,
    blockProxyVpnTor: bool,
    blockDisposableEmail: bool,
    whenUnavailable: (v): v is UnavailableMode => UNAVAILABLE_MODES.includes(v as UnavailableMode),
  });
}

/** An HTML checkbox (present = on, absent = off) or a JSON boolean. */
const checkbox = z
  .union([z.boolean(), z.string()])
  .optional()
  .transform((v) => v === true || v === 'on' || v === 'true' || v === '1');

export const fraudSettingsInput = z.object({
  enabled: checkbox,
  scoreThreshold: z.coerce
    .number({ error: 'Enter a whole number from 1 to 100.' })
    .int('Enter a whole number from 1 to 100.')
    .min(1, 'Enter a whole number from 1 to 100.')
    .max(100, 'Enter a whole number from 1 to 100.'),
  blockProxyVpnTor: checkbox,
  blockDisposableEmail: checkbox,
  whenUnavailable: z.enum(UNAVAILABLE_MODES, { error: 'Choose what happens when the provider cannot be reached.' }),
});

/** Staff change the fraud settings; audited as `admin.settings_updated` with the new values. */
export async function updateFraudSettings(deps: Deps, actor: Actor, raw: unknown): Promise<FraudSettings> {
  requirePlatformAdmin(actor);
  const settings: FraudSettings = parseInput(fraudSettingsInput, raw);
  const now = deps.clock.now();
  await inTransaction(deps.db, async (trx) => {
    await putSetting(trx, 'fraud', { ...settings }, actor.userId, now);
    await recordActivity(trx, {
      action: 'admin.settings_updated',
      actorUserId: actor.userId,
      origin: actor.origin,
      occurredAt: now,
      details: {
        setting: 'fraud',
        enabled: settings.enabled,
        score_threshold: settings.scoreThreshold,
        block_proxy_vpn_tor: settings.blockProxyVpnTor,
        block_disposable_email: settings.blockDisposableEmail,
        when_unavailable: settings.whenUnavailable,
      },
    });
  });
  return settings;
}
