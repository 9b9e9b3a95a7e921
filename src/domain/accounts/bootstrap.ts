import { randomToken } from '../../lib/crypto.ts';
import { ValidationError } from '../../lib/errors.ts';
import type { Deps } from '../deps.ts';
import { register } from './register.ts';

/** Whether a platform admin exists: what every start but the first finds, in one query. */
export async function hasPlatformAdmin(db: Deps['db']): Promise<boolean> {
  const admin = await db.selectFrom('users').select('id').where('is_admin', '=', true).limit(1).executeTakeFirst();
  return admin !== undefined;
}

/**
 * Creates the first platform admin when there is none. Returns the generated password
 * (to print once) when none was configured, otherwise null.
 */
export async function ensureFirstAdmin(
  deps: Deps,
): Promise<{ email: string; generatedPassword: string | null } | null> {
  if (await hasPlatformAdmin(deps.db)) return null;
  const email = deps.config.DEFAULT_ADMIN_EMAIL.toLowerCase();
  const generated = deps.config.DEFAULT_ADMIN_PASSWORD ? null : randomToken(15);
  const taken = await deps.db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst();
  if (taken) {
    // The address already has an account: promote it rather than fail the start.
    await deps.db.updateTable('users').set({ is_admin: true }).where('id', '=', taken.id).execute();
    return { email, generatedPassword: null };
  }
  try {
    await register(
      deps,
      { name: 'Platform admin', email, password: generated ?? deps.config.DEFAULT_ADMIN_PASSWORD },
      { isAdmin: true, verified: true },
    );
  } catch (err) {
    // A configured password on the common list (or an unusable address) stops the start with a line that says which setting.
    if (err instanceof ValidationError)
      throw new Error(
        Object.entries(err.fields ?? {})
          .map(([field, problem]) => `DEFAULT_ADMIN_${field === 'password' ? 'PASSWORD' : 'EMAIL'}: ${problem}`)
          .join('; ') || err.message,
      );
    throw err;
  }
  return { email, generatedPassword: generated };
}
