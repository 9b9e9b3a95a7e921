import { sql } from 'kysely';
import type { Config } from '../../config.ts';
import type { DbOrTx } from '../../db/index.ts';
import { inTransaction } from '../../db/index.ts';
import { hashToken, randomToken } from '../../lib/crypto.ts';
import { recordActivity, type ActivitySource } from '../activity/record.ts';
import { toPermissions } from '../access/actor.ts';
import type { RequestOrigin } from '../deps.ts';
import type { Permission } from '../access/permissions.ts';
import { purgeAttempts } from '../security/attempts.ts';
import type { SessionCache } from './session-cache.ts';

/**
 * Server-side sessions. The browser holds an opaque 256-bit token; the database holds its
 * SHA-256. A session has an absolute expiry and an idle timeout (last_seen_at). Stage `mfa`
 * means the password was right and the second factor is still owed: it grants nothing else.
 */
export interface SessionUser {
  sessionId: string;
  stage: 'mfa' | 'full';
  csrfToken: string;
  /** Set when a platform admin is impersonating this user through this session. */
  impersonatorUserId: string | null;
  impersonatorSessionId: string | null;
  expiresAt: Date;
  /** Role and permissions in the user's active organization, when they are a member of it. */
  membership: { organizationId: string; roleName: string; permissions: ReadonlySet<Permission> } | null;
  user: {
    id: string;
    email: string;
    name: string;
    isAdmin: boolean;
    emailVerified: boolean;
    timezone: string;
    activeOrganizationId: string | null;
    twoFactorEnabled: boolean;
    /** Colour preset (domain/settings/themes.ts); null: the platform default. */
    theme: string | null;
  };
}

/** last_seen_at is refreshed at most this often, so reading a page does not always write. */
const TOUCH_AFTER_MS = 60_000;

export async function createSession(
  db: DbOrTx,
  config: Config,
  userId: string,
  stage: 'mfa' | 'full',
  origin: RequestOrigin,
  now: Date,
): Promise<{ token: string; sessionId: string; expiresAt: Date }> {
  const token = randomToken();
  // A half-signed-in session lives only long enough to type a code.
  const expiresAt = new Date(
    now.getTime() + (stage === 'mfa' ? 10 * 60_000 : config.SESSION_ABSOLUTE_DAYS * 86_400_000),
  );
  const row = await db
    .insertInto('sessions')
    .values({
      user_id: userId,
      token_hash: hashToken(token),
      csrf_token: randomToken(24),
      stage,
      ip: origin.ip,
      user_agent: origin.userAgent?.slice(0, 400) ?? null,
      created_at: now,
      last_seen_at: now,
      expires_at: expiresAt,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { token, sessionId: row.id, expiresAt };
}

/**
 * The live session for a cookie token, or null (unknown, expired, idle too long, user not
 * active). With `cache`, a session this process read recently is used without a database
 * read while nothing it depends on has changed (src/domain/accounts/session-cache.ts).
 */
export async function findSession(
  db: DbOrTx,
  config: Config,
  token: string,
  now: Date,
  cache?: SessionCache,
): Promise<SessionUser | null> {
  const idleCutoff = new Date(now.getTime() - config.SESSION_IDLE_MINUTES * 60_000);
  const hash = hashToken(token);
  const key = cache?.active ? hash.toString('base64') : null;
  if (key) {
    const hit = cache!.get(key);
    // An entry that looks expired or idle is read again: another process may have seen it since.
    if (hit && hit.session.expiresAt > now && hit.lastSeenAt > idleCutoff) {
      if (now.getTime() - hit.lastSeenAt.getTime() > TOUCH_AFTER_MS) {
        await touchSession(db, hit.session.sessionId, now);
        hit.lastSeenAt = now;
      }
      return hit.session;
    }
  }
  const version = cache?.version ?? 0;
  const row = await db
    .selectFrom('sessions as s')
    .innerJoin('users as u', 'u.id', 's.user_id')
    // The membership in the active organization comes in the same round trip (a cached session
    // is forgotten when it changes, so role changes apply at once); null when there is none and
    // the caller picks a default.
    .leftJoin('organization_members as m', (j) =>
      j.onRef('m.user_id', '=', 'u.id').onRef('m.organization_id', '=', 'u.active_organization_id'),
    )
    .leftJoin('roles as r', 'r.id', 'm.role_id')
    .select([
      's.id as session_id',
      's.stage',
      's.csrf_token',
      's.last_seen_at',
      's.expires_at',
      's.impersonator_user_id',
      's.impersonator_session_id',
      'u.id',
      'u.email',
      'u.name',
      'u.is_admin',
      'u.email_verified_at',
      'u.timezone',
      'u.active_organization_id',
      'u.totp_enabled_at',
      'u.theme',
      'm.organization_id as member_of',
      'r.name as role_name',
      'r.permissions',
    ])
    .where('s.token_hash', '=', hash)
    .where('s.expires_at', '>', now)
    .where('s.last_seen_at', '>', idleCutoff)
    .where('u.status', '=', 'active')
    .executeTakeFirst();
  if (!row) return null;
  let lastSeenAt = row.last_seen_at;
  if (now.getTime() - lastSeenAt.getTime() > TOUCH_AFTER_MS) {
    await touchSession(db, row.session_id, now);
    lastSeenAt = now;
  }
  const session: SessionUser = {
    sessionId: row.session_id,
    stage: row.stage,
    csrfToken: row.csrf_token,
    impersonatorUserId: row.impersonator_user_id,
    impersonatorSessionId: row.impersonator_session_id,
    expiresAt: row.expires_at,
    membership: row.member_of
      ? { organizationId: row.member_of, roleName: row.role_name!, permissions: toPermissions(row.permissions) }
      : null,
    user: {
      id: row.id,
      email: row.email,
      name: row.name,
      isAdmin: row.is_admin,
      emailVerified: row.email_verified_at !== null,
      timezone: row.timezone,
      activeOrganizationId: row.active_organization_id,
      twoFactorEnabled: row.totp_enabled_at !== null,
      theme: row.theme,
    },
  };
  if (key) cache!.set(key, session, session.user.id, lastSeenAt, version);
  return session;
}

/**
 * Moves last_seen_at on (at most every TOUCH_AFTER_MS). The database's auth triggers ignore
 * this change, and so does src/db/index.ts's `onAuthWrite`: it invalidates nothing.
 */
async function touchSession(db: DbOrTx, sessionId: string, now: Date): Promise<void> {
  await db.updateTable('sessions').set({ last_seen_at: now }).where('id', '=', sessionId).execute();
}

export async function revokeSession(db: DbOrTx, sessionId: string): Promise<void> {
  await db.deleteFrom('sessions').where('id', '=', sessionId).execute();
}

/** Ends one of the user's own sessions; another user's session id simply matches nothing. */
export async function revokeUserSession(db: DbOrTx, userId: string, sessionId: string): Promise<boolean> {
  const res = await db
    .deleteFrom('sessions')
    .where('id', '=', sessionId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return res.numDeletedRows > 0n;
}

/**
 * Ends every session (and API access token) of the user except `keepSessionId` (the browser
 * making the change) or `keepAccessTokenId` (the access token making it over the JSON API).
 */
export async function revokeOtherSessions(
  db: DbOrTx,
  userId: string,
  keepSessionId: string | null,
  now: Date,
  keepAccessTokenId: string | null = null,
): Promise<number> {
  let q = db.deleteFrom('sessions').where('user_id', '=', userId);
  if (keepSessionId) q = q.where('id', '!=', keepSessionId);
  const res = await q.executeTakeFirst();
  let tokens = db
    .updateTable('access_tokens')
    .set({ revoked_at: now })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null);
  if (keepAccessTokenId) tokens = tokens.where('id', '!=', keepAccessTokenId);
  await tokens.execute();
  return Number(res.numDeletedRows);
}

/** Who ends their own sessions from the security page (an Actor fits). */
type SessionOwner = ActivitySource & { userId: string };

/** The user signs out one of their own sessions (recorded); false when it is not theirs. */
export async function revokeOwnSession(db: DbOrTx, by: SessionOwner, sessionId: string, now: Date): Promise<boolean> {
  return inTransaction(db, async (trx) => {
    if (!(await revokeUserSession(trx, by.userId, sessionId))) return false;
    await recordActivity(trx, {
      action: 'auth.session_revoked',
      actorUserId: by.userId,
      impersonatorUserId: by.impersonatorUserId,
      origin: by.origin,
      target: { type: 'session', id: sessionId },
      details: { scope: 'one' },
      occurredAt: now,
    });
    return true;
  });
}

/** The user signs out every other session and access token of theirs (one row recorded). */
export async function revokeOwnOtherSessions(
  db: DbOrTx,
  by: SessionOwner,
  keepSessionId: string | null,
  now: Date,
): Promise<number> {
  return inTransaction(db, async (trx) => {
    const ended = await revokeOtherSessions(trx, by.userId, keepSessionId, now);
    await recordActivity(trx, {
      action: 'auth.session_revoked',
      actorUserId: by.userId,
      impersonatorUserId: by.impersonatorUserId,
      origin: by.origin,
      target: { type: 'user', id: by.userId },
      details: { scope: 'all_others', sessions: ended },
      occurredAt: now,
    });
    return ended;
  });
}

/** The user's live access tokens (JSON API sign-ins), most recently used first; never their hashes. */
export async function listAccessTokens(db: DbOrTx, userId: string, now: Date) {
  return db
    .selectFrom('access_tokens')
    .select(['id', 'ip', 'user_agent', 'created_at', 'last_used_at', 'expires_at'])
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .orderBy(sql`coalesce(last_used_at, created_at)`, 'desc')
    .execute();
}

/** The user signs out one of their own access tokens (recorded like a session); false when it is not a live one of theirs. */
export async function revokeOwnAccessToken(db: DbOrTx, by: SessionOwner, tokenId: string, now: Date): Promise<boolean> {
  return inTransaction(db, async (trx) => {
    const res = await trx
      .updateTable('access_tokens')
      .set({ revoked_at: now })
      .where('id', '=', tokenId)
      .where('user_id', '=', by.userId)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    if (res.numUpdatedRows === 0n) return false;
    await recordActivity(trx, {
      action: 'auth.session_revoked',
      actorUserId: by.userId,
      impersonatorUserId: by.impersonatorUserId,
      origin: by.origin,
      target: { type: 'access_token', id: tokenId },
      details: { scope: 'one' },
      occurredAt: now,
    });
    return true;
  });
}

export async function listSessions(db: DbOrTx, userId: string, now: Date) {
  return db
    .selectFrom('sessions')
    .select(['id', 'ip', 'user_agent', 'created_at', 'last_seen_at', 'expires_at', 'stage'])
    .where('user_id', '=', userId)
    .where('expires_at', '>', now)
    .where('stage', '=', 'full')
    .orderBy('last_seen_at', 'desc')
    .execute();
}

/** Deletes expired sessions, access tokens, used or expired user tokens, old counters and attempts, and idempotency keys. */
export async function purgeExpired(db: DbOrTx, config: Config, now: Date) {
  const idleCutoff = new Date(now.getTime() - config.SESSION_IDLE_MINUTES * 60_000);
  const sessions = await db
    .deleteFrom('sessions')
    .where((eb) => eb.or([eb('expires_at', '<=', now), eb('last_seen_at', '<=', idleCutoff)]))
    .executeTakeFirst();
  const tokens = await db
    .deleteFrom('access_tokens')
    .where((eb) =>
      eb.or([eb('expires_at', '<=', now), eb('revoked_at', '<=', sql<Date>`${now}::timestamptz - interval '30 days'`)]),
    )
    .executeTakeFirst();
  const userTokens = await db
    .deleteFrom('user_tokens')
    .where((eb) => eb.or([eb('expires_at', '<=', now), eb('used_at', 'is not', null)]))
    .executeTakeFirst();
  const counters = await db
    .deleteFrom('rate_limit_counters')
    .where('window_start', '<', new Date(now.getTime() - 24 * 3_600_000))
    .executeTakeFirst();
  const attempts = await purgeAttempts(db, now);
  // API Idempotency-Keys are honoured for 24 hours (src/web/api/v1/idempotency.ts).
  const idempotency = await db
    .deleteFrom('idempotency_keys')
    .where('created_at', '<', new Date(now.getTime() - 24 * 3_600_000))
    .executeTakeFirst();
  return {
    sessions: Number(sessions.numDeletedRows),
    access_tokens: Number(tokens.numDeletedRows),
    user_tokens: Number(userTokens.numDeletedRows),
    rate_limit_counters: Number(counters.numDeletedRows),
    auth_attempts: attempts,
    idempotency_keys: Number(idempotency.numDeletedRows),
  };
}
