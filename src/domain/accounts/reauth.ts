import { RateLimitedError } from '../../lib/errors.ts';
import type { Deps } from '../deps.ts';
import { claimAttempt, clearAttempts } from '../security/attempts.ts';
import { verifyPassword } from './passwords.ts';

/** Wrong passwords a signed-in user may type before a sensitive change, in any window. */
const MAX_FAILURES = 5;
const WINDOW_MINUTES = 15;

/**
 * Whether `password` is the signed-in user's own, asked again before a sensitive change
 * (starting or ending two-factor, a new password or email address). A session is no licence
 * to guess: each try is counted before bcrypt runs, 5 in any 15 minutes per user, then
 * RateLimitedError; a right password clears the count.
 */
export async function checkOwnPassword(
  deps: Pick<Deps, 'db' | 'clock'>,
  user: { id: string; password_hash: string },
  password: string,
): Promise<boolean> {
  const key = `reauth-fail:${user.id}`;
  const claim = await claimAttempt(deps.db, key, MAX_FAILURES, WINDOW_MINUTES * 60_000, deps.clock.now());
  if (!claim.allowed)
    throw new RateLimitedError(claim.retryAfterSeconds, 'Too many wrong passwords. Please wait and try again.');
  if (!(await verifyPassword(password, user.password_hash))) return false;
  await clearAttempts(deps.db, key);
  return true;
}
