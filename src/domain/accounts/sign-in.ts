import { inTransaction, type DbOrTx } from '../../db/index.ts';
import { recordActivity } from '../activity/record.ts';
import type { Deps, RequestOrigin } from '../deps.ts';
import { queueEmail } from '../../mail/queue.ts';
import { createAccessToken } from './access-tokens.ts';
import { createSession, revokeSession } from './sessions.ts';

/** How the second factor was given, if the account has one. */
export type SecondFactor = 'none' | 'totp' | 'recovery_code';

/**
 * A completed sign-in (every factor given), browser or API: stamps users.last_sign_in_at and
 * writes the one `auth.sign_in` row. Call inside the transaction that issues the credential.
 */
export async function recordSignIn(
  db: DbOrTx,
  userId: string,
  how: {
    via: 'browser' | 'api';
    secondFactor?: SecondFactor;
    target: { type: string; id: string };
    origin: RequestOrigin;
  },
  now: Date,
): Promise<void> {
  await db.updateTable('users').set({ last_sign_in_at: now }).where('id', '=', userId).execute();
  await recordActivity(db, {
    action: 'auth.sign_in',
    actorUserId: userId,
    target: how.target,
    origin: how.origin,
    occurredAt: now,
    details: { via: how.via, second_factor: how.secondFactor ?? 'none' },
  });
}

/** Issues the full browser session of a completed sign-in, records it and emails the notice. */
export async function completeSignIn(
  deps: Pick<Deps, 'db' | 'config' | 'clock' | 'queue'>,
  user: { id: string; email: string; name: string },
  origin: RequestOrigin,
  secondFactor: SecondFactor,
) {
  const now = deps.clock.now();
  return inTransaction(deps.db, async (trx) => {
    const session = await createSession(trx, deps.config, user.id, 'full', origin, now);
    await recordSignIn(
      trx,
      user.id,
      { via: 'browser', secondFactor, target: { type: 'session', id: session.sessionId }, origin },
      now,
    );
    await emailSignInNotice(deps, trx, user, origin, now);
    return session;
  });
}

/** Issues an API access token for a completed sign-in (recorded by createAccessToken) and emails the notice. */
export async function issueAccessToken(
  deps: Pick<Deps, 'db' | 'config' | 'clock' | 'queue'>,
  user: { id: string; email: string; name: string },
  origin: RequestOrigin,
) {
  const now = deps.clock.now();
  return inTransaction(deps.db, async (trx) => {
    await emailSignInNotice(deps, trx, user, origin, now);
    return createAccessToken(trx, deps.config, user.id, origin, now);
  });
}

/** Every new credential is announced to the account's address; the outbox row commits with it. */
function emailSignInNotice(
  deps: Pick<Deps, 'config' | 'queue'>,
  trx: DbOrTx,
  user: { email: string; name: string },
  origin: RequestOrigin,
  now: Date,
) {
  return queueEmail(deps, trx, user.email, 'new_sign_in', {
    name: user.name,
    ip: origin.ip,
    userAgent: origin.userAgent ?? 'unknown',
    when: now.toUTCString(),
  });
}

/** Ends a signed-in browser session at the user's request and records `auth.sign_out`. */
export async function signOut(
  db: DbOrTx,
  session: { sessionId: string; user: { id: string }; impersonatorUserId: string | null },
  origin: RequestOrigin,
  now: Date,
): Promise<void> {
  await inTransaction(db, async (trx) => {
    await revokeSession(trx, session.sessionId);
    await recordActivity(trx, {
      action: 'auth.sign_out',
      actorUserId: session.user.id,
      impersonatorUserId: session.impersonatorUserId,
      target: { type: 'session', id: session.sessionId },
      origin,
      occurredAt: now,
      details: { via: 'browser' },
    });
  });
}
