import type { DbOrTx } from '../../db/index.ts';
import { getSetting, withDefaults } from './store.ts';

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
export async function serverSettings(db: DbOrTx): Promise<ServerSettings> {
  return withDefaults(
    await getSetting(db, 'servers'),
    { ...SERVER_SETTINGS_DEFAULTS },
    {
      salesEnabled: (v): v is boolean => typeof v === 'boolean',
      rdnsBaseDomain: (v): v is string | null => v === null || (typeof v === 'string' && DOMAIN_NAME.test(v)),
    },
  );
}
