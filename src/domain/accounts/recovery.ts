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
 * Emails a reset link when the address belongs to an active account; does the same amount
 * of work and says the same thing either way (callers answer identically).
 */
export async function requestPasswordReset(deps: Deps, raw: unknown): Promise<void> {
  const { email } = parseInput(forgotInput, raw);
  const user = await deps.db.selectFrom('users').select(['id', 'name', 'email']).where('email', '=', email).where('status', '=', 'active').executeTakeFirst();
  if (!user) return;
  await inTransaction(deps.db, async (trx) => {
    const token = await issueUserToken(trx, user.id, 'reset_password', user.email, deps.clock.now());
    await queueEmail(deps, trx, user.email, 'password_reset', {
      name: user.name,
      resetUrl: `${deps.config.publicUrl}/reset-password/${token}`,
      expiresMinutes: TOKEN_LIFETIME_MINUTES.reset_password,
    });
  });
}

/** Sets a new password with a single-use token and ends every session, access token and API key of the account. */
export async function resetPassword(deps: Deps, raw: unknown, source: ActivitySource = {}): Promise<{ userId: string }> {
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
    await queueEmail(deps, trx, user.email, 'password_changed', { name: user.name, when: now.toUTCString(), resetUrl: `${deps.config.publicUrl}/forgot-password`, apiKeysRevoked: keysRevoked });
    await recordActivity(trx, {
      action: 'auth.password_reset', actorUserId: user.id, origin: source.origin, impersonatorUserId: source.impersonatorUserId,
      target: { type: 'user', id: user.id }, details: { sessions_ended: ended, api_keys_revoked: keysRevoked }, occurredAt: now,
    });
    return { userId: user.id };
  });
}
