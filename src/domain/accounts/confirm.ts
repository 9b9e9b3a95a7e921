import type { ActivitySource } from '../activity/record.ts';
import type { Deps } from '../deps.ts';
import { ValidationError } from '../../lib/errors.ts';
import { checkOwnPassword } from './reauth.ts';
import { verifySecondFactor } from './two-factor.ts';

/**
 * "Is it really you?" before a destructive change in the browser (deleting a server): the
 * signed-in user's password, and a current code (or a recovery code) when two-factor is on.
 * Wrong tries are counted as for the other re-checks (reauth.ts, two-factor.ts), so a
 * session left open is no licence to guess. Throws ValidationError on `password` or `code`.
 */
export async function confirmIdentity(
  deps: Deps,
  userId: string,
  input: { password: string; code?: string },
  source: ActivitySource = {},
): Promise<void> {
  const user = await deps.db
    .selectFrom('users')
    .select(['id', 'password_hash', 'totp_enabled_at'])
    .where('id', '=', userId)
    .executeTakeFirstOrThrow();
  if (!(await checkOwnPassword(deps, user, input.password)))
    throw new ValidationError({ password: 'That password is not right.' });
  if (!user.totp_enabled_at) return;
  if (!input.code?.trim()) throw new ValidationError({ code: 'Enter the code from your authenticator app.' });
  await verifySecondFactor(deps, userId, input.code, source, 'confirm');
}
