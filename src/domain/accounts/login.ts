import { z } from 'zod';
import { AppError } from '../../lib/errors.ts';
import { parseInput } from '../../lib/validation.ts';
import { recordActivity } from '../activity/record.ts';
import type { Deps, RequestOrigin } from '../deps.ts';
import { burnPasswordCheck, verifyPassword } from './passwords.ts';
import { claimSignIn, clearSignInLimits, signInSucceeded } from './sign-in-limits.ts';

export const loginInput = z.object({
  email: z
    .string({ error: 'Enter your email address.' })
    .trim()
    .toLowerCase()
    .min(1, 'Enter your email address.')
    .max(254),
  password: z.string({ error: 'Enter your password.' }).min(1, 'Enter your password.').max(1024),
});

/** One message for unknown email and wrong password alike: no account enumeration. */
export const INVALID_CREDENTIALS = 'Incorrect email or password.';

/**
 * Checks email and password within the sign-in limits (sign-in-limits.ts: per account and
 * address, per address, and a pace per account; admins included). Returns the user; the
 * caller decides about 2FA.
 */
export async function authenticatePassword(deps: Deps, origin: RequestOrigin, raw: unknown) {
  const input = parseInput(loginInput, raw);
  const now = deps.clock.now();
  const claim = await claimSignIn(deps, input.email, origin.ip, now);
  const user = await deps.db
    .selectFrom('users')
    .select(['id', 'email', 'name', 'password_hash', 'status', 'totp_enabled_at', 'is_admin'])
    .where('email', '=', input.email)
    .executeTakeFirst();
  const ok = user
    ? await verifyPassword(input.password, user.password_hash)
    : (await burnPasswordCheck(input.password, deps.config.BCRYPT_COST), false);
  if (!user || !ok) {
    // An unknown address is recorded without it: the log must not collect guessed emails.
    await recordSignInFailure(deps, user?.id ?? null, origin, user ? 'wrong_password' : 'unknown_account', now);
    throw new AppError('invalid_credentials', 401, INVALID_CREDENTIALS);
  }
  await signInSucceeded(deps.db, claim);
  // Only someone who knows the password learns the account's state.
  if (user.status === 'suspended' || user.status === 'review') {
    await recordSignInFailure(
      deps,
      user.id,
      origin,
      user.status === 'suspended' ? 'account_suspended' : 'account_under_review',
      now,
    );
    if (user.status === 'suspended')
      throw new AppError('account_suspended', 403, 'This account is suspended. Please contact support.');
    throw new AppError(
      'account_under_review',
      403,
      'This account is being reviewed. We will email you when it is ready.',
    );
  }
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    isAdmin: user.is_admin,
    twoFactorEnabled: user.totp_enabled_at !== null,
  };
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
    action: 'auth.sign_in_failed',
    actorUserId: userId,
    origin,
    occurredAt: now,
    target: userId ? { type: 'user', id: userId } : null,
    details: { reason },
  });
}

/** Staff action: lifts the sign-in limits of an email address, from every client address. */
export async function unlockAccount(deps: Pick<Deps, 'db'>, email: string): Promise<void> {
  await clearSignInLimits(deps.db, email);
}
