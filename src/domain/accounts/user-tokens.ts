import type { DbOrTx } from '../../db/index.ts';
import { hashToken, randomToken } from '../../lib/crypto.ts';

export type TokenPurpose = 'verify_email' | 'reset_password';

/** How long each kind of emailed link lives. */
export const TOKEN_LIFETIME_MINUTES: Record<TokenPurpose, number> = {
  verify_email: 48 * 60,
  reset_password: 60,
};

/**
 * Issues a single-use token for `purpose`; earlier unused tokens of the same purpose stop
 * working, so only the newest emailed link is valid. Only the hash is stored.
 */
export async function issueUserToken(
  db: DbOrTx,
  userId: string,
  purpose: TokenPurpose,
  email: string,
  now: Date,
): Promise<string> {
  const token = randomToken();
  await db
    .updateTable('user_tokens')
    .set({ used_at: now })
    .where('user_id', '=', userId)
    .where('purpose', '=', purpose)
    .where('used_at', 'is', null)
    .execute();
  await db
    .insertInto('user_tokens')
    .values({
      user_id: userId,
      purpose,
      email,
      token_hash: hashToken(token),
      expires_at: new Date(now.getTime() + TOKEN_LIFETIME_MINUTES[purpose] * 60_000),
    })
    .execute();
  return token;
}

/** Marks the token used and returns it, or null when it is unknown, used or expired. Atomic. */
export async function consumeUserToken(db: DbOrTx, token: string, purpose: TokenPurpose, now: Date) {
  return db
    .updateTable('user_tokens')
    .set({ used_at: now })
    .where('token_hash', '=', hashToken(token))
    .where('purpose', '=', purpose)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .returning(['user_id', 'email'])
    .executeTakeFirst();
}

/** Whether a token is currently usable, without using it (to show the reset form). */
export async function peekUserToken(db: DbOrTx, token: string, purpose: TokenPurpose, now: Date): Promise<boolean> {
  const row = await db
    .selectFrom('user_tokens')
    .select('id')
    .where('token_hash', '=', hashToken(token))
    .where('purpose', '=', purpose)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return row !== undefined;
}
