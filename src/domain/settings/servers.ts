import { CATALOGUE, type DataCache } from '../../lib/data-cache.ts';
import { z } from 'zod';
import { inTransaction, type DbOrTx } from '../../db/index.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Actor } from '../access/actor.ts';
import { requirePlatformAdmin } from '../access/guard.ts';
import { recordActivity } from '../activity/record.ts';
import type { Deps } from '../deps.ts';
import { getSetting, putSetting, withDefaults } from './store.ts';

/** Server settings (`platform_settings` key `servers`). */
export interface ServerSettings {
  /** Customers may create servers. Off: the create wizard and the API refuse new servers; existing ones run on. */
  salesEnabled: boolean;
  /**
   * Reverse DNS base domain: where set, every new server's public IPv4 a.b.c.d gets the name
   * `a-b-c-d.<base>` automatically. Null: the provider's default names stay.
   */
  rdnsBaseDomain: string | null;
}

export const SERVER_SETTINGS_DEFAULTS: Readonly<ServerSettings> = Object.freeze({
  salesEnabled: true,
  rdnsBaseDomain: null,
});

/** A DNS name of at least two labels, lower case, no trailing dot (`rdns.example.net`). */
export const DOMAIN_NAME = /^(?=.{4,200}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/** The server settings, defaults filled in (sales on, no rDNS base domain). */
export async function serverSettings(db: DbOrTx, opts: { cache?: DataCache } = {}): Promise<ServerSettings> {
  // Platform settings are catalogue data: kept until the catalogue changes (src/lib/data-cache.ts).
  if (opts.cache) return opts.cache.read('server-settings', [CATALOGUE], () => serverSettings(db));
  return withDefaults(
    await getSetting(db, 'servers'),
    { ...SERVER_SETTINGS_DEFAULTS },
    {
      salesEnabled: (v): v is boolean => typeof v === 'boolean',
      rdnsBaseDomain: (v): v is string | null => v === null || (typeof v === 'string' && DOMAIN_NAME.test(v)),
    },
  );
}

/** Form or JSON input: `salesEnabled` (checkbox), `rdnsBaseDomain` (empty = none). */
export const serverSettingsInput = z.object({
  salesEnabled: z
    .union([z.boolean(), z.string()])
    .optional()
    .transform((v) => v === true || v === 'on' || v === 'true' || v === '1'),
  rdnsBaseDomain: z
    .string()
    .optional()
    .transform((v) => (v ?? '').trim().toLowerCase().replace(/\.$/, ''))
    .refine((v) => v === '' || DOMAIN_NAME.test(v), 'Enter a domain name such as rdns.example.net, or leave it empty.')
    .transform((v) => (v === '' ? null : v)),
});

/** Staff turn VPS sales on or off and set the rDNS base domain; audited as `admin.settings_updated`. */
export async function updateServerSettings(
  deps: Pick<Deps, 'db' | 'clock'>,
  actor: Actor,
  raw: unknown,
): Promise<ServerSettings> {
  requirePlatformAdmin(actor);
  const settings: ServerSettings = parseInput(serverSettingsInput, raw);
  const now = deps.clock.now();
  await inTransaction(deps.db, async (trx) => {
    await putSetting(trx, 'servers', { ...settings }, actor.userId, now);
    await recordActivity(trx, {
      action: 'admin.settings_updated',
      actorUserId: actor.userId,
      origin: actor.origin,
      occurredAt: now,
      details: { setting: 'servers', sales_enabled: settings.salesEnabled, rdns_base_domain: settings.rdnsBaseDomain },
    });
  });
  return settings;
}
