import type { DbOrTx } from '../../db/index.ts';
import { ValidationError } from '../../lib/errors.ts';
import { isTheme, THEME_MESSAGE, type ThemeId } from './themes.ts';

/** What Settings → Appearance sends for "follow the platform default" (stored as null). */
export const PLATFORM_DEFAULT = 'platform';

/** A person's own colour preset; null: they follow the platform default. */
export async function getUserTheme(db: DbOrTx, userId: string): Promise<ThemeId | null> {
  const row = await db.selectFrom('users').select('theme').where('id', '=', userId).executeTakeFirstOrThrow();
  return isTheme(row.theme) ? row.theme : null;
}

/**
 * Saves a person's colour preset from the form's `theme` field: a preset id, or `platform`
 * (the platform default, also when a preset is later removed). Anything else is refused with
 * a field error (422). The users trigger (migration 0020) makes every process forget the cached
 * session, so the next page is drawn in the new colours.
 */
export async function setUserTheme(db: DbOrTx, userId: string, value: string | undefined): Promise<ThemeId | null> {
  const v = (value ?? '').trim();
  const theme = v === PLATFORM_DEFAULT ? null : isTheme(v) ? v : undefined;
  if (theme === undefined) throw new ValidationError({ theme: THEME_MESSAGE });
  await db.updateTable('users').set({ theme }).where('id', '=', userId).execute();
  return theme;
}
