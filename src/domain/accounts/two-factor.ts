import { generate, generateSecret, generateURI } from 'otplib';
import { sql } from 'kysely';
import { inTransaction, type DbOrTx } from '../../db/index.ts';
import { decryptSecret, encryptSecret, hashToken, randomCode } from '../../lib/crypto.ts';
import { AppError, RateLimitedError, ValidationError } from '../../lib/errors.ts';
import { recordActivity, type ActivitySource } from '../activity/record.ts';
import type { Deps } from '../deps.ts';
import { queueEmail } from '../../mail/queue.ts';
import { claimAttempt, clearAttempts } from '../security/attempts.ts';
import { recordSignInFailure } from './login.ts';
import { checkOwnPassword } from './reauth.ts';

/**
 * TOTP (RFC 6238, 30 s steps, 6 digits). The secret is stored AES-GCM encrypted. A code is
 * accepted once only: the highest step used is kept in `totp_last_step` and raised with a
 * guarded UPDATE, so a replayed or older code fails even across instances.
 */
const PERIOD = 30;
const RECOVERY_CODES = 10;
const MAX_FAILURES = 5;
const FAILURE_WINDOW_MINUTES = 15;

async function loadUser(deps: Deps, userId: string) {
  return deps.db
    .selectFrom('users')
    .select(['id', 'email', 'name', 'password_hash', 'totp_secret', 'totp_enabled_at', 'totp_last_step'])
    .where('id', '=', userId)
    .executeTakeFirstOrThrow();
}

/**
 * Starts (or restarts) setup: a new secret, kept until confirmed with a code. Needs the
 * password: whoever holds only a session (a browser left open) must not bind the account to
 * their own authenticator and lock its owner out.
 */
export async function beginTotpSetup(deps: Deps, userId: string, password: string) {
  const user = await loadUser(deps, userId);
  if (user.totp_enabled_at) throw new AppError('already_enabled', 409, 'Two-factor authentication is already on.');
  if (!(await checkOwnPassword(deps, user, password)))
    throw new ValidationError({ password: 'That is not your password.' });
  const secret = generateSecret();
  await deps.db
    .updateTable('users')
    .set({ totp_secret: encryptSecret(deps.config.encryptionKeys, secret), totp_last_step: 0 })
    .where('id', '=', userId)
    .execute();
  return { secret, uri: generateURI({ issuer: deps.config.BRAND_NAME, label: user.email, secret }) };
}

/** The step a code belongs to (current ±1 for clock drift), or null. */
async function matchStep(secret: string, code: string, now: Date): Promise<number | null> {
  const current = Math.floor(now.getTime() / 1000 / PERIOD);
  for (const step of [current, current - 1, current + 1]) {
    if ((await generate({ secret, epoch: step * PERIOD })) === code) return step;
  }
  return null;
}

/** Wrong codes per account, shared by sign-in and the re-check before turning 2FA off. Staff unlock clears it (accounts/admin-changes.ts). */
export const codeAttemptsKey = (userId: string) => `mfa-fail:${userId}`;

/** Counts a code attempt before it is checked (see security/attempts.ts): at most MAX_FAILURES checks in any window. */
async function claimCodeAttempt(deps: Deps, userId: string, now: Date) {
  const claim = await claimAttempt(
    deps.db,
    codeAttemptsKey(userId),
    MAX_FAILURES,
    FAILURE_WINDOW_MINUTES * 60_000,
    now,
  );
  if (!claim.allowed)
    throw new RateLimitedError(claim.retryAfterSeconds, 'Too many wrong codes. Please wait and try again.');
}

/** Accepts a TOTP code once: consumes its step. False for wrong, old or replayed codes. */
async function consumeTotp(
  deps: Deps,
  user: Awaited<ReturnType<typeof loadUser>>,
  code: string,
  now: Date,
): Promise<boolean> {
  if (!user.totp_secret || !/^\d{6}$/.test(code)) return false;
  const step = await matchStep(decryptSecret(deps.config.encryptionKeys, user.totp_secret), code, now);
  if (step === null) return false;
  const res = await deps.db
    .updateTable('users')
    .set({ totp_last_step: step })
    .where('id', '=', user.id)
    .where(sql`totp_last_step`, '<', step)
    .executeTakeFirst();
  return res.numUpdatedRows > 0n;
}

const normalizeRecovery = (code: string) =>
  code
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');

async function consumeRecoveryCode(db: DbOrTx, userId: string, code: string, now: Date): Promise<boolean> {
  const normalized = normalizeRecovery(code);
  if (normalized.length !== 10) return false;
  const res = await db
    .updateTable('recovery_codes')
    .set({ used_at: now })
    .where('user_id', '=', userId)
    .where('code_hash', '=', hashToken(normalized))
    .where('used_at', 'is', null)
    .executeTakeFirst();
  return res.numUpdatedRows > 0n;
}

/** Spends an unused recovery code and records it in the same transaction; false when it is not one. */
async function spendRecoveryCode(
  deps: Deps,
  userId: string,
  code: string,
  how: { source: ActivitySource; purpose: 'sign_in' | 'confirm' },
  now: Date,
): Promise<boolean> {
  return inTransaction(deps.db, async (trx) => {
    if (!(await consumeRecoveryCode(trx, userId, code, now))) return false;
    const left = await trx
      .selectFrom('recovery_codes')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('user_id', '=', userId)
      .where('used_at', 'is', null)
      .executeTakeFirstOrThrow();
    await recordActivity(trx, {
      action: 'auth.recovery_code_used',
      actorUserId: userId,
      origin: how.source.origin,
      impersonatorUserId: how.source.impersonatorUserId,
      target: { type: 'user', id: userId },
      occurredAt: now,
      details: { purpose: how.purpose, remaining: Number(left.n) },
    });
    return true;
  });
}

/** Confirms setup with a first code; returns the 10 recovery codes (shown once). */
export async function confirmTotpSetup(
  deps: Deps,
  userId: string,
  code: string,
  source: ActivitySource = {},
): Promise<string[]> {
  const now = deps.clock.now();
  const user = await loadUser(deps, userId);
  if (user.totp_enabled_at) throw new AppError('already_enabled', 409, 'Two-factor authentication is already on.');
  if (!user.totp_secret) throw new ValidationError({ code: 'Start the setup again.' });
  if (!(await consumeTotp(deps, user, code.trim(), now)))
    throw new ValidationError({ code: 'That code is not right. Check your authenticator app and try again.' });
  const codes = Array.from({ length: RECOVERY_CODES }, () => randomCode(10));
  await inTransaction(deps.db, async (trx) => {
    await trx.updateTable('users').set({ totp_enabled_at: now, updated_at: now }).where('id', '=', userId).execute();
    await trx.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
    await trx
      .insertInto('recovery_codes')
      .values(codes.map((c) => ({ user_id: userId, code_hash: hashToken(c) })))
      .execute();
    await queueEmail(deps, trx, user.email, 'two_factor_changed', {
      name: user.name,
      enabled: true,
      when: now.toUTCString(),
    });
    await recordActivity(trx, {
      action: 'auth.two_factor_enabled',
      actorUserId: userId,
      origin: source.origin,
      impersonatorUserId: source.impersonatorUserId,
      target: { type: 'user', id: userId },
      occurredAt: now,
    });
  });
  return codes.map((c) => `${c.slice(0, 5)}-${c.slice(5)}`);
}

/**
 * The second sign-in step (`purpose` 'sign_in'), or a re-check before a sensitive change
 * ('confirm'): a TOTP code or an unused recovery code. Wrong codes count towards a lockout;
 * every code is counted before it is checked, and a right one clears the count. At sign-in
 * wrong codes are also recorded as failed sign-ins. Using a recovery code is recorded in
 * the transaction that spends it. Returns which factor was used.
 */
export async function verifySecondFactor(
  deps: Deps,
  userId: string,
  code: string,
  source: ActivitySource = {},
  purpose: 'sign_in' | 'confirm' = 'sign_in',
): Promise<'totp' | 'recovery'> {
  const now = deps.clock.now();
  await claimCodeAttempt(deps, userId, now);
  const user = await loadUser(deps, userId);
  const trimmed = code.trim().replace(/\s/g, '');
  const used = /^\d{6}$/.test(trimmed)
    ? (await consumeTotp(deps, user, trimmed, now)) && 'totp'
    : (await spendRecoveryCode(deps, userId, trimmed, { source, purpose }, now)) && 'recovery';
  if (used) {
    // A right code clears the count: only the holder of the authenticator (or of a recovery
    // code) gets here, and their earlier typos should not shorten their next sign-in's tries.
    await clearAttempts(deps.db, codeAttemptsKey(userId));
    return used;
  }
  if (purpose === 'sign_in') await recordSignInFailure(deps, userId, source.origin ?? null, 'wrong_code', now);
  throw new ValidationError({ code: 'That code is not valid, or it was already used.' });
}

/** Turning 2FA off needs the password and a current code. */
export async function disableTotp(
  deps: Deps,
  userId: string,
  password: string,
  code: string,
  source: ActivitySource = {},
): Promise<void> {
  const now = deps.clock.now();
  const user = await loadUser(deps, userId);
  if (!user.totp_enabled_at) throw new AppError('not_enabled', 409, 'Two-factor authentication is not on.');
  if (!(await checkOwnPassword(deps, user, password)))
    throw new ValidationError({ password: 'That password is not right.' });
  await verifySecondFactor(deps, userId, code, source, 'confirm');
  await inTransaction(deps.db, async (trx) => {
    await trx
      .updateTable('users')
      .set({ totp_enabled_at: null, totp_secret: null, updated_at: now })
      .where('id', '=', userId)
      .execute();
    await trx.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
    await queueEmail(deps, trx, user.email, 'two_factor_changed', {
      name: user.name,
      enabled: false,
      when: now.toUTCString(),
    });
    await recordActivity(trx, {
      action: 'auth.two_factor_disabled',
      actorUserId: userId,
      origin: source.origin,
      impersonatorUserId: source.impersonatorUserId,
      target: { type: 'user', id: userId },
      occurredAt: now,
    });
  });
}

export async function remainingRecoveryCodes(deps: Deps, userId: string): Promise<number> {
  const row = await deps.db
    .selectFrom('recovery_codes')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('user_id', '=', userId)
    .where('used_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The secret of a started, unconfirmed setup (to show the QR code again), or null. */
export async function pendingTotpSetup(deps: Deps, userId: string) {
  const user = await loadUser(deps, userId);
  if (user.totp_enabled_at || !user.totp_secret) return null;
  const secret = decryptSecret(deps.config.encryptionKeys, user.totp_secret);
  return { secret, uri: generateURI({ issuer: deps.config.BRAND_NAME, label: user.email, secret }) };
}
