import { inTransaction } from '../../db/index.ts';
import { hashToken, randomToken } from '../../lib/crypto.ts';
import { AppError, ForbiddenError, NotFoundError, RateLimitedError, ValidationError } from '../../lib/errors.ts';
import type { Actor } from '../access/actor.ts';
import { verifyPassword } from '../accounts/passwords.ts';
import { activityBy, recordActivity } from '../activity/record.ts';
import type { Deps } from '../deps.ts';
import { claimAttempt, clearAttempts } from '../security/attempts.ts';
import { checkedId, requirePlatformAdmin } from '../access/guard.ts';

/**
 * Impersonation: a platform admin, after typing their password again, gets a NEW session of
 * the target user that names them (`impersonator_user_id`) and the admin session it came
 * from (`impersonator_session_id`, ON DELETE CASCADE: revoking the admin's session ends the
 * impersonation too). It lasts at most 60 minutes and never outlives the admin's session.
 * Admins and accounts that are not active cannot be impersonated. The web layer keeps the
 * admin's own cookie aside and puts it back on stop: nothing new is minted for the admin.
 */
export const IMPERSONATION_MINUTES = 60;
const MAX_PASSWORD_FAILURES = 5;
const FAILURE_WINDOW_MINUTES = 15;

export async function startImpersonation(
  deps: Deps,
  actor: Actor,
  input: { userId: string; password: string; adminSessionId: string },
): Promise<{ token: string; sessionId: string; expiresAt: Date; user: { id: string; name: string } }> {
  requirePlatformAdmin(actor);
  const now = deps.clock.now();
  const target = await deps.db
    .selectFrom('users')
    .select(['id', 'name', 'status', 'is_admin'])
    .where('id', '=', checkedId(input.userId))
    .executeTakeFirst();
  if (!target) throw new NotFoundError('No such user.');
  if (target.id === actor.userId || target.is_admin)
    throw new ForbiddenError('Platform admins cannot be impersonated.');
  if (target.status !== 'active')
    throw new AppError(
      'user_not_active',
      422,
      `This account is ${target.status === 'review' ? 'under review' : target.status}: only active accounts can be impersonated.`,
    );
  await checkAdminPassword(deps, actor.userId, input.password, now);

  return inTransaction(deps.db, async (trx) => {
    const admin = await trx
      .selectFrom('sessions')
      .select(['id', 'expires_at'])
      .where('id', '=', input.adminSessionId)
      .where('user_id', '=', actor.userId)
      .where('stage', '=', 'full')
      .where('impersonator_user_id', 'is', null)
      .where('expires_at', '>', now)
      .forUpdate()
      .executeTakeFirst();
    if (!admin) throw new ForbiddenError('Your session has ended. Sign in again.');
    // The admin's session is not used while impersonating: mark it seen now, and end the
    // impersonation before it could go idle, so stopping always finds it alive.
    await trx.updateTable('sessions').set({ last_seen_at: now }).where('id', '=', admin.id).execute();
    const limit = Math.min(IMPERSONATION_MINUTES, deps.config.SESSION_IDLE_MINUTES) * 60_000;
    const expiresAt = new Date(Math.min(now.getTime() + limit, admin.expires_at.getTime()));
    const token = randomToken();
    const session = await trx
      .insertInto('sessions')
      .values({
        user_id: target.id,
        token_hash: hashToken(token),
        csrf_token: randomToken(24),
        stage: 'full',
        ip: actor.origin.ip,
        user_agent: actor.origin.userAgent?.slice(0, 400) ?? null,
        created_at: now,
        last_seen_at: now,
        expires_at: expiresAt,
        impersonator_user_id: actor.userId,
        impersonator_session_id: admin.id,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await recordActivity(trx, {
      action: 'admin.impersonation_started',
      actorUserId: actor.userId,
      target: { type: 'user', id: target.id },
      origin: actor.origin,
      details: { session_id: session.id, expires_at: expiresAt.toISOString() },
      occurredAt: now,
    });
    return { token, sessionId: session.id, expiresAt, user: { id: target.id, name: target.name } };
  });
}

/**
 * The password step is a second chance to guess: it has its own small lockout, counted before
 * bcrypt runs (security/attempts.ts) so racing requests cannot check more passwords than it allows.
 */
async function checkAdminPassword(deps: Deps, adminId: string, password: string, now: Date) {
  const key = `impersonation-fail:${adminId}`;
  const claim = await claimAttempt(deps.db, key, MAX_PASSWORD_FAILURES, FAILURE_WINDOW_MINUTES * 60_000, now);
  if (!claim.allowed)
    throw new RateLimitedError(claim.retryAfterSeconds, 'Too many wrong passwords. Please wait and try again.');
  const admin = await deps.db
    .selectFrom('users')
    .select('password_hash')
    .where('id', '=', adminId)
    .executeTakeFirstOrThrow();
  if (!password || !(await verifyPassword(password, admin.password_hash))) {
    throw new ValidationError(
      { password: 'That is not your password.' },
      'Enter your own password to start impersonating.',
    );
  }
  await clearAttempts(deps.db, key);
}

/**
 * Ends the impersonation the actor is in: its session row is deleted. Returns the
 * impersonated user's id and the admin session to go back to.
 */
export async function stopImpersonation(deps: Pick<Deps, 'db' | 'clock'>, actor: Actor, input: { sessionId: string }) {
  if (!actor.impersonatorUserId) throw new NotFoundError('You are not impersonating anyone.');
  const adminId = actor.impersonatorUserId;
  return inTransaction(deps.db, async (trx) => {
    const ended = await trx
      .deleteFrom('sessions')
      .where('id', '=', input.sessionId)
      .where('user_id', '=', actor.userId)
      .where('impersonator_user_id', '=', adminId)
      .returning(['impersonator_session_id'])
      .executeTakeFirst();
    if (!ended) throw new NotFoundError('You are not impersonating anyone.');
    await recordActivity(trx, {
      action: 'admin.impersonation_stopped',
      actorUserId: adminId,
      target: { type: 'user', id: actor.userId },
      origin: actor.origin,
      details: { session_id: input.sessionId },
      occurredAt: deps.clock.now(),
    });
    return { userId: actor.userId, adminSessionId: ended.impersonator_session_id };
  });
}

/** Every unsafe request made while impersonating, with both ids (the user acts, the admin is named). */
export async function recordImpersonatedWrite(
  deps: Pick<Deps, 'db' | 'clock'>,
  actor: Actor,
  input: { method: string; path: string; status: number },
) {
  if (!actor.impersonatorUserId) return;
  await recordActivity(
    deps.db,
    activityBy(actor, 'admin.impersonated_write', {
      details: { method: input.method, path: input.path.slice(0, 300), status: input.status },
      occurredAt: deps.clock.now(),
    }),
  );
}
