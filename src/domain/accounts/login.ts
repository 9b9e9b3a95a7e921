import { createHash } from 'node:crypto';
import { z } from 'zod';
import { AppError, RateLimitedError } from '../../lib/errors.ts';
import { parseInput } from '../../lib/validation.ts';
import { recordActivity } from '../activity/record.ts';
import type { Deps, RequestOrigin } from '../deps.ts';
import { clearCounter, hitCounter, readCounter, secondsLeftInWindow } from '../security/counters.ts';
import { burnPasswordCheck, verifyPassword } from './passwords.ts';

export const loginInput = z.object({
  email: z.string({ error: 'Enter your email address.' }).trim().toLowerCase().min(1, 'Enter your email address.').max(254),
  password: z.string({ error: 'Enter your password.' }).min(1, 'Enter your password.').max(1024),
});

/** One message for unknown email and wrong password alike: no account enumeration. */
export const INVALID_CREDENTIALS = 'Incorrect email or password.';

const emailKey = (email: string) => `login-fail:email:${createHash('sha256').update(email).digest('hex')}`;
const ipKey = (ip: string) => `login-fail:ip:${ip}`;

/**
 * Checks email and password with brute-force lockout per account and per IP (admins
 * included). Counting by email hash rather than by user row means an unknown address
 * locks out exactly like a real one. Returns the user; the caller decides about 2FA.
 */
export async function authenticatePassword(deps: Deps, origin: RequestOrigin, raw: unknown) {
  const input = parseInput(loginInput, raw);
  const now = deps.clock.now();
  const window = deps.config.LOGIN_LOCKOUT_MINUTES;
  const [byEmail, byIp] = await Promise.all([
    readCounter(deps.db, emailKey(input.email), window, now),
    readCounter(deps.db, ipKey(origin.ip), window, now),
  ]);
  if (byEmail >= deps.config.LOGIN_LOCKOUT_ATTEMPTS || byIp >= deps.config.LOGIN_IP_LOCKOUT_ATTEMPTS) {
    const seconds = secondsLeftInWindow(now, window);
    throw new RateLimitedError(seconds, `Too many failed sign-in attempts. Try again in ${Math.ceil(seconds / 60)} minutes.`);
  }
  const user = await deps.db
    .selectFrom('users')
    .select(['id', 'email', 'name', 'password_hash', 'status', 'totp_enabled_at', 'is_admin'])
    .where('email', '=', input.email)
    .executeTakeFirst();
  const ok = user ? await verifyPassword(input.password, user.password_hash) : (await burnPasswordCheck(input.password, deps.config.BCRYPT_COST), false);
  if (!user || !ok) {
    await Promise.all([
      hitCounter(deps.db, emailKey(input.email), window, now),
      hitCounter(deps.db, ipKey(origin.ip), window, now),
      // An unknown address is recorded without it: the log must not collect guessed emails.
      recordSignInFailure(deps, user?.id ?? null, origin, user ? 'wrong_password' : 'unknown_account', now),
    ]);
    throw new AppError('invalid_credentials', 401, INVALID_CREDENTIALS);
  }
  // Only someone who knows the password learns the account's state.
  if (user.status === 'suspended' || user.status === 'review') {
    await recordSignInFailure(deps, user.id, origin, user.status === 'suspended' ? 'account_suspended' : 'account_under_review', now);
    if (user.status === 'suspended') throw new AppError('account_suspended', 403, 'This account is suspended. Please contact support.');
    throw new AppError('account_under_review', 403, 'This account is being reviewed. We will email you when it is ready.');
  }
  await clearCounter(deps.db, emailKey(input.email));
  return { id: user.id, email: user.email, name: user.name, isAdmin: user.is_admin, twoFactorEnabled: user.totp_enabled_at !== null };
}

/**
 * One `auth.sign_in_failed` row: the account when known (its owner and staff may see it),
 * the reason, and never what was typed.
 */
export async function recordSignInFailure(
  deps: Pick<Deps, 'db'>,
  userId: string | null,
  origin: RequestOrigin | null,
  reason: 'wrong_password' | 'unknown_account' | 'account_suspended' | 'account_under_review' | 'wrong_code',
  now: Date,
): Promise<void> {
  await recordActivity(deps.db, {
    action: 'auth.sign_in_failed', actorUserId: userId, origin, occurredAt: now,
    target: userId ? { type: 'user', id: userId } : null,
    details: { reason },
  });
}

/** Staff action: lifts the lockout of an email address (its failed-attempt counter). */
export async function unlockAccount(deps: Pick<Deps, 'db'>, email: string): Promise<void> {
  await clearCounter(deps.db, emailKey(email.toLowerCase()));
}
