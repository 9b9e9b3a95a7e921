import type { DbOrTx } from '../../db/index.ts';

/**
 * Platform settings: one `platform_settings` row per key, its value a JSON object. Typed
 * readers with defaults live beside this file (`billing.ts`, `fraud.ts`, `site.ts`, `billing-policy.ts`); read through them,
 * never this raw layer, so a missing or old row always yields a complete, valid value.
 */
export type SettingKey = 'billing' | 'fraud' | 'servers' | 'platform' | 'site' | 'billing_policy';

/** The stored JSON of `key`, or undefined when it was never saved. */
export async function getSetting(db: DbOrTx, key: SettingKey): Promise<unknown> {
  const row = await db.selectFrom('platform_settings').select('value').where('key', '=', key).executeTakeFirst();
  return row?.value;
}

/** Saves the whole value of `key` (insert or replace), noting who changed it and when. */
export async function putSetting(
  db: DbOrTx,
  key: SettingKey,
  value: Record<string, unknown>,
  updatedBy: string | null,
  now: Date,
): Promise<void> {
  const json = JSON.stringify(value);
  await db
    .insertInto('platform_settings')
    .values({ key, value: json, updated_by: updatedBy, updated_at: now })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value: json, updated_by: updatedBy, updated_at: now }))
    .execute();
}

/** Reads each field with its own schema: a missing or invalid field falls back to its default alone. */
export function withDefaults<T extends object>(
  stored: unknown,
  defaults: T,
  valid: { [K in keyof T]: (v: unknown) => v is T[K] },
): T {
  const raw = stored && typeof stored === 'object' && !Array.isArray(stored) ? (stored as Record<string, unknown>) : {};
  const out = { ...defaults };
  for (const key of Object.keys(defaults) as (keyof T)[]) {
    const v = raw[key as string];
    if (valid[key](v)) out[key] = v;
  }
  return out;
}
