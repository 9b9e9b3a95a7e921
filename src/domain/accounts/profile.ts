import { z } from 'zod';
import { inTransaction } from '../../db/index.ts';
import { ValidationError } from '../../lib/errors.ts';
import { parseInput } from '../../lib/validation.ts';
import { recordActivity, type ActivitySource } from '../activity/record.ts';
import { revokeKeysOnPasswordChange } from '../api-keys/keys.ts';
import type { Deps } from '../deps.ts';
import { queueEmail } from '../../mail/queue.ts';
import { hashPassword, passwordSchema } from './passwords.ts';
import { checkOwnPassword } from './reauth.ts';
import { emailSchema, nameSchema } from './register.ts';
import { revokeOtherSessions } from './sessions.ts';
import { consumeUserToken, issueUserToken } from './user-tokens.ts';

const TIMEZONES = new Set(Intl.supportedValuesOf('timeZone').concat('UTC'));

export const profileInput = z.object({
  name: nameSchema,
  phone: z
    .string()
    .trim()
    .max(40, 'Use at most 40 characters.')
    .regex(/^[+0-9 ().-]*$/, 'Use digits, spaces and + ( ) - only.')
    .transform((v) => (v === '' ? null : v))
    .optional(),
  timezone: z.string().refine((tz) => TIMEZONES.has(tz), 'Choose a time zone from the list.'),
});

export const changePasswordInput = z.object({
  current_password: z.string({ error: 'Enter your current password.' }).min(1, 'Enter your current password.'),
  new_password: passwordSchema,
});

export const changeEmailInput = z.object({
  email: emailSchema,
  current_password: z.string({ error: 'Enter your current password.' }).min(1, 'Enter your current password.'),
});

export function timezones(): string[] {
  return [...TIMEZONES].sort();
}

export async function getProfile(deps: Pick<Deps, 'db'>, userId: string) {
  return deps.db
    .selectFrom('users')
    .select(['id', 'email', 'name', 'phone', 'timezone', 'email_verified_at', 'totp_enabled_at', 'created_at'])
    .where('id', '=', userId)
    .executeTakeFirstOrThrow();
}

export async function updateProfile(deps: Deps, userId: string, raw: unknown) {
  const input = parseInput(profileInput, raw);
  await deps.db
    .updateTable('users')
    .set({ name: input.name, phone: input.phone ?? null, timezone: input.timezone, updated_at: deps.clock.now() })
    .where('id', '=', userId)
    .execute();
}

/**
 * Changes the password after checking the current one; every other session, access token and
 * API key ends. The credential making the change stays: the browser session `currentSessionId`
 * (Settings → Password) or the access token `opts.currentAccessTokenId` (POST /api/v1/me/password).
 */
export async function changePassword(
  deps: Deps,
  userId: string,
  currentSessionId: string | null,
  raw: unknown,
  source: ActivitySource = {},
  opts: { currentAccessTokenId?: string } = {},
) {
  const input = parseInput(changePasswordInput, raw);
  const user = await deps.db
    .selectFrom('users')
    .select(['id', 'email', 'name', 'password_hash'])
    .where('id', '=', userId)
    .executeTakeFirstOrThrow();
  if (!(await checkOwnPassword(deps, user, input.current_password)))
    throw new ValidationError({ current_password: 'That is not your current password.' });
  const passwordHash = await hashPassword(input.new_password, deps.config.BCRYPT_COST);
  const now = deps.clock.now();
  await inTransaction(deps.db, async (trx) => {
    await trx
      .updateTable('users')
      .set({ password_hash: passwordHash, updated_at: now })
      .where('id', '=', userId)
      .execute();
    const ended = await revokeOtherSessions(trx, userId, currentSessionId, now, opts.currentAccessTokenId);
    const keysRevoked = await revokeKeysOnPasswordChange(trx, userId, { reason: 'password_changed', source }, now);
    await queueEmail(deps, trx, user.email, 'password_changed', {
      name: user.name,
      when: now.toUTCString(),
      resetUrl: `${deps.config.publicUrl}/forgot-password`,
      apiKeysRevoked: keysRevoked,
    });
    await recordActivity(trx, {
      action: 'auth.password_changed',
      actorUserId: userId,
      origin: source.origin,
      impersonatorUserId: source.impersonatorUserId,
      target: { type: 'user', id: userId },
      details: { sessions_ended: ended, api_keys_revoked: keysRevoked },
      occurredAt: now,
    });
  });
}

/** Emails a fresh verification link to the account's current address. */
export async function resendVerification(deps: Deps, userId: string): Promise<boolean> {
  const user = await deps.db
    .selectFrom('users')
    .select(['email', 'name', 'email_verified_at'])
    .where('id', '=', userId)
    .executeTakeFirstOrThrow();
  if (user.email_verified_at) return false;
  await inTransaction(deps.db, async (trx) => {
    const token = await issueUserToken(trx, userId, 'verify_email', user.email, deps.clock.now());
    await queueEmail(deps, trx, user.email, 'verify_email', {
      name: user.name,
      verifyUrl: `${deps.config.publicUrl}/verify-email/${token}`,
    });
  });
  return true;
}

/** Marks the address verified if the token is valid and the account still has that address. */
export async function verifyEmail(deps: Deps, token: string): Promise<boolean> {
  const now = deps.clock.now();
  return inTransaction(deps.db, async (trx) => {
    const used = await consumeUserToken(trx, token, 'verify_email', now);
    if (!used) return false;
    const res = await trx
      .updateTable('users')
      .set({ email_verified_at: now })
      .where('id', '=', used.user_id)
      .where('email', '=', used.email)
      .executeTakeFirst();
    return res.numUpdatedRows > 0n;
  });
}

/**
 * Moves the account to a new address: needs the password; the new address must be confirmed
 * again (a link goes there) and the old address is told about the change.
 */
export async function changeEmail(deps: Deps, userId: string, raw: unknown, source: ActivitySource = {}) {
  const input = parseInput(changeEmailInput, raw);
  const user = await deps.db
    .selectFrom('users')
    .select(['id', 'email', 'name', 'password_hash'])
    .where('id', '=', userId)
    .executeTakeFirstOrThrow();
  if (!(await checkOwnPassword(deps, user, input.current_password)))
    throw new ValidationError({ current_password: 'That is not your current password.' });
  if (input.email === user.email) throw new ValidationError({ email: 'This is already your email address.' });
  const now = deps.clock.now();
  try {
    await inTransaction(deps.db, async (trx) => {
      await trx
        .updateTable('users')
        .set({ email: input.email, email_verified_at: null, updated_at: now })
        .where('id', '=', userId)
        .execute();
      const token = await issueUserToken(trx, userId, 'verify_email', input.email, now);
      await queueEmail(deps, trx, input.email, 'verify_email', {
        name: user.name,
        verifyUrl: `${deps.config.publicUrl}/verify-email/${token}`,
      });
      await queueEmail(deps, trx, user.email, 'email_changed', {
        name: user.name,
        newEmail: input.email,
        when: now.toUTCString(),
      });
      await recordActivity(trx, {
        action: 'auth.email_changed',
        actorUserId: userId,
        origin: source.origin,
        impersonatorUserId: source.impersonatorUserId,
        target: { type: 'user', id: userId },
        details: { old_email: user.email, new_email: input.email },
        occurredAt: now,
      });
    });
  } catch (err) {
    if ((err as { code?: string }).code === '23505')
      throw new ValidationError({ email: 'Another account already uses this email address.' });
    throw err;
  }
}
