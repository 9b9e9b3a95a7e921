import { z } from 'zod';
import { inTransaction } from '../../db/index.ts';
import { ValidationError } from '../../lib/errors.ts';
import { parseInput } from '../../lib/validation.ts';
import { recordActivity, type ActivitySource } from '../activity/record.ts';
import { revokeKeysOnPasswordChange } from '../api-keys/keys.ts';
import type { Deps } from '../deps.ts';
import { queueEmail } from '../../mail/queue.ts';
import { hashPassword, passwordSchema } from './passwords.ts';
import { emailSchema } from './register.ts';
import { revokeOtherSessions } from './sessions.ts';
import { consumeUserToken, issueUserToken, TOKEN_LIFETIME_MINUTES } from './user-tokens.ts';

export const forgotInput = z.object({ email: emailSchema });
export const resetInput = z.object({ token: z.string().min(10).max(200), password: passwordSchema });

/**
 * The forgot-password form: queues one job with the address and nothing else, whether or not
 * it is anyone's, so the answer, its timing and what is written never tell. The job
 * (`sendPasswordReset`) looks the address up and sends the link, or does nothing.
 */
export async function requestPasswordReset(deps: Pick<Deps, 'db' | 'clock' | 'queue'>, raw: unknown): Promise<void> {
  const { email } = parseInput(forgotInput, raw);
  await deps.queue.enqueue(deps.db, 'accounts.send-password-reset', {
    email,
    requestedAt: deps.clock.now().toISOString(),
  });
}

/**
 * Emails a reset link when the address belongs to an active account; nothing otherwise.
 * Safe to run twice: a link issued since the request was made (this job's earlier run, or a
 * later request) is not replaced by another.
 */
export async function sendPasswordReset(
  deps: Deps,
  input: { email: string; requestedAt: string },
): Promise<{ sent: boolean }> {
  const user = await deps.db
    .selectFrom('users')
    .select(['id', 'name', 'email'])
    .where('email', '=', input.email)
    .where('status', '=', 'active')
    .executeTakeFirst();
  if (!user) return { sent: false };
  const issuedSince = new Date(new Date(input.requestedAt).getTime() + TOKEN_LIFETIME_MINUTES.reset_password * 60_000);
  return inTransaction(deps.db, async (trx) => {
    // Serialises two runs for one user: the second sees the first's link.
    await trx.selectFrom('users').select('id').where('id', '=', user.id).forUpdate().execute();
    const fresh = await trx
      .selectFrom('user_tokens')
      .select('id')
      .where('user_id', '=', user.id)
      .where('purpose', '=', 'reset_password')
      .where('expires_at', '>=', issuedSince)
      .executeTakeFirst();
    if (fresh) return { sent: false };
    const token = await issueUserToken(trx, user.id, 'reset_password', user.email, deps.clock.now());
    await queueEmail(deps, trx, user.email, 'password_reset', {
      name: user.name,
      resetUrl: `${deps.config.publicUrl}/reset-password/${token}`,
      expiresMinutes: TOKEN_LIFETIME_MINUTES.reset_password,
    });
    return { sent: true };
  });
}

/** Sets a new password with a single-use token and ends every session, access token and API key of the account. */
export async function resetPassword(
  deps: Deps,
  raw: unknown,
  source: ActivitySource = {},
): Promise<{ userId: string }> {
  const input = parseInput(resetInput, raw);
  const passwordHash = await hashPassword(input.password, deps.config.BCRYPT_COST);
  const now = deps.clock.now();
  return inTransaction(deps.db, async (trx) => {
    const token = await consumeUserToken(trx, input.token, 'reset_password', now);
    if (!token) throw new ValidationError({ token: 'This reset link is invalid, used or expired. Ask for a new one.' });
    const user = await trx
      .updateTable('users')
      .set({ password_hash: passwordHash, updated_at: now })
      .where('id', '=', token.user_id)
      .returning(['id', 'email', 'name'])
      .executeTakeFirstOrThrow();
    const ended = await revokeOtherSessions(trx, user.id, null, now);
    const keysRevoked = await revokeKeysOnPasswordChange(trx, user.id, { reason: 'password_reset', source }, now);
    await queueEmail(deps, trx, user.email, 'password_changed', {
      name: user.name,
      when: now.toUTCString(),
      resetUrl: `${deps.config.publicUrl}/forgot-password`,
      apiKeysRevoked: keysRevoked,
    });
    await recordActivity(trx, {
      action: 'auth.password_reset',
      actorUserId: user.id,
      origin: source.origin,
      impersonatorUserId: source.impersonatorUserId,
      target: { type: 'user', id: user.id },
      details: { sessions_ended: ended, api_keys_revoked: keysRevoked },
      occurredAt: now,
    });
    return { userId: user.id };
  });
}
