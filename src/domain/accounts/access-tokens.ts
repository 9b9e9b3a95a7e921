import type { Config } from '../../config.ts';
import { inTransaction, type DbOrTx } from '../../db/index.ts';
import { hashToken, randomToken } from '../../lib/crypto.ts';
import { recordActivity } from '../activity/record.ts';
import type { RequestOrigin } from '../deps.ts';
import { recordSignIn } from './sign-in.ts';

/** Bearer access tokens for the JSON API: `spt_` + 256 random bits, stored hashed, revocable. */
export const ACCESS_TOKEN_PREFIX = 'spt_';

/** The bearer caller of the JSON API: an access token (`spt_`) or an API key (`spk_`). */
export interface TokenActor {
  /** The access token's id, or the API key's id when `via` is 'api_key'. */
  tokenId: string;
  via: 'access_token' | 'api_key';
  /** `isAdmin` is always false for an API key: a key never carries platform-admin powers. */
  user: { id: string; email: string; name: string; isAdmin: boolean; activeOrganizationId: string | null };
}

/** Issues a token after a completed sign-in (password and any second factor) and records the sign-in. */
export async function createAccessToken(db: DbOrTx, config: Config, userId: string, origin: RequestOrigin, now: Date) {
  const token = ACCESS_TOKEN_PREFIX + randomToken();
  const expiresAt = new Date(now.getTime() + config.API_TOKEN_DAYS * 86_400_000);
  await inTransaction(db, async (trx) => {
    const row = await trx
      .insertInto('access_tokens')
      .values({
        user_id: userId,
        token_hash: hashToken(token),
        ip: origin.ip,
        user_agent: origin.userAgent?.slice(0, 400) ?? null,
        expires_at: expiresAt,
        created_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await recordSignIn(trx, userId, { via: 'api', target: { type: 'access_token', id: row.id }, origin }, now);
  });
  return { token, expiresAt };
}

/** The token's user when it is live and the user is active; records last use at most once a minute. */
export async function findAccessToken(db: DbOrTx, token: string, now: Date): Promise<TokenActor | null> {
  const found = await readAccessToken(db, token, now);
  if (!found) return null;
  if (accessTokenUseIsStale(found.lastUsedAt, now)) await touchAccessToken(db, found.actor.tokenId, now);
  return found.actor;
}

/** A live token's caller, expiry and last use, without recording the use (`findAccessToken` does). */
export async function readAccessToken(
  db: DbOrTx,
  token: string,
  now: Date,
): Promise<{ actor: TokenActor; expiresAt: Date; lastUsedAt: Date | null } | null> {
  if (!token.startsWith(ACCESS_TOKEN_PREFIX)) return null;
  const row = await db
    .selectFrom('access_tokens as t')
    .innerJoin('users as u', 'u.id', 't.user_id')
    .select([
      't.id as token_id',
      't.last_used_at',
      't.expires_at',
      'u.id',
      'u.email',
      'u.name',
      'u.is_admin',
      'u.active_organization_id',
    ])
    .where('t.token_hash', '=', hashToken(token))
    .where('t.revoked_at', 'is', null)
    .where('t.expires_at', '>', now)
    .where('u.status', '=', 'active')
    .executeTakeFirst();
  if (!row) return null;
  return {
    actor: {
      tokenId: row.token_id,
      via: 'access_token',
      user: {
        id: row.id,
        email: row.email,
        name: row.name,
        isAdmin: row.is_admin,
        activeOrganizationId: row.active_organization_id,
      },
    },
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
  };
}

/** Last use is recorded at most once a minute. */
export const accessTokenUseIsStale = (lastUsedAt: Date | null, now: Date) =>
  !lastUsedAt || now.getTime() - lastUsedAt.getTime() > 60_000;

export async function touchAccessToken(db: DbOrTx, tokenId: string, now: Date): Promise<void> {
  await db.updateTable('access_tokens').set({ last_used_at: now }).where('id', '=', tokenId).execute();
}

/**
 * Revokes a token. With `origin` it is the holder signing out (DELETE /auth/tokens/current)
 * and `auth.sign_out` is recorded in the same transaction.
 */
export async function revokeAccessToken(db: DbOrTx, tokenId: string, now: Date, origin?: RequestOrigin): Promise<void> {
  await inTransaction(db, async (trx) => {
    const row = await trx
      .updateTable('access_tokens')
      .set({ revoked_at: now })
      .where('id', '=', tokenId)
      .where('revoked_at', 'is', null)
      .returning('user_id')
      .executeTakeFirst();
    if (row && origin) {
      await recordActivity(trx, {
        action: 'auth.sign_out',
        actorUserId: row.user_id,
        origin,
        occurredAt: now,
        target: { type: 'access_token', id: tokenId },
        details: { via: 'api' },
      });
    }
  });
}
