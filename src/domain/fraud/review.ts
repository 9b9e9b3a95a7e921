import { z } from 'zod';
import { inTransaction, type DbOrTx } from '../../db/index.ts';
import { ConflictError, NotFoundError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Actor } from '../access/actor.ts';
import { issueUserToken } from '../accounts/user-tokens.ts';
import { recordActivity } from '../activity/record.ts';
import { requirePlatformAdmin } from '../access/guard.ts';
import type { Deps } from '../deps.ts';
import { queueEmail } from '../../mail/queue.ts';

/**
 * An admin's decision on a check held for review (status `review` → `allowed` | `blocked`,
 * once). What it does to the thing that was held:
 *
 *   registration  allow → users.status review → active; the welcome email (with its
 *                         verification link) goes out now, as the "under review" page promised
 *                 block → users.status → suspended (never an admin); sessions end
 *   top_up        allow → nothing else here: the held payment stays `held`; the top-ups code
 *                         treats a payment whose check is `allowed` as approved when the
 *                         customer continues (see `isTopUpCleared`)
 *                 block → payments.status held → cancelled (failure_reason says why)
 *
 * Audited as `admin.fraud_allowed` / `admin.fraud_blocked`, the admin as actor, the check as target.
 */
export const FRAUD_DECISIONS = ['allow', 'block'] as const;
export type FraudDecision = (typeof FRAUD_DECISIONS)[number];

const decisionInput = z.enum(FRAUD_DECISIONS, { error: 'Choose allow or block.' });

/** Decides a held check; returns it as decided. 404 for an unknown id, 409 when already decided. */
export async function decideFraudCheck(
  deps: Deps,
  actor: Actor,
  { checkId, decision }: { checkId: string; decision: FraudDecision | string },
) {
  requirePlatformAdmin(actor);
  const choice = parseInput(z.object({ decision: decisionInput }), { decision }).decision;
  if (!isUuid(checkId)) throw new NotFoundError('No such fraud check.');
  const now = deps.clock.now();
  const allow = choice === 'allow';

  return inTransaction(deps.db, async (trx) => {
    const check = await trx
      .updateTable('fraud_checks')
      .set({ status: allow ? 'allowed' : 'blocked', decided_by: actor.userId, decided_at: now })
      .where('id', '=', checkId)
      .where('status', '=', 'review')
      .returningAll()
      .executeTakeFirst();
    if (!check) {
      const exists = await trx.selectFrom('fraud_checks').select('status').where('id', '=', checkId).executeTakeFirst();
      if (!exists) throw new NotFoundError('No such fraud check.');
      throw new ConflictError(`This check was already decided (${exists.status}).`);
    }

    const effect: Record<string, string | number | boolean | null> = {};
    if (check.subject === 'registration' && check.user_id) {
      if (allow) {
        // Only an account still held becomes active: one suspended for another reason stays so.
        const user = await trx
          .updateTable('users')
          .set({ status: 'active', updated_at: now })
          .where('id', '=', check.user_id)
          .where('status', '=', 'review')
          .returning(['id', 'email', 'name', 'email_verified_at'])
          .executeTakeFirst();
        effect.user_status = user ? 'active' : 'unchanged';
        if (user && !user.email_verified_at) {
          const token = await issueUserToken(trx, user.id, 'verify_email', user.email, now);
          await queueEmail(deps, trx, user.email, 'welcome', {
            name: user.name,
            verifyUrl: `${deps.config.publicUrl}/verify-email/${token}`,
          });
        }
      } else {
        const res = await trx
          .updateTable('users')
          .set({ status: 'suspended', updated_at: now })
          .where('id', '=', check.user_id)
          .where('is_admin', '=', false)
          .executeTakeFirst();
        await trx.deleteFrom('sessions').where('user_id', '=', check.user_id).execute();
        effect.user_status = res.numUpdatedRows > 0n ? 'suspended' : 'unchanged';
      }
    }
    if (check.subject === 'top_up' && !allow) {
      const res = await trx
        .updateTable('payments')
        .set({ status: 'cancelled', failure_reason: 'Blocked by fraud review', updated_at: now })
        .where('fraud_check_id', '=', check.id)
        .where('status', '=', 'held')
        .executeTakeFirst();
      effect.payments_cancelled = Number(res.numUpdatedRows);
    }

    await recordActivity(trx, {
      action: allow ? 'admin.fraud_allowed' : 'admin.fraud_blocked',
      actorUserId: actor.userId,
      organizationId: check.organization_id,
      target: { type: 'fraud_check', id: check.id },
      origin: actor.origin,
      occurredAt: now,
      details: { subject: check.subject, email: check.email, user_id: check.user_id, score: check.score, ...effect },
    });
    return check;
  });
}

/**
 * Whether a top-up may go ahead as far as fraud screening is concerned: no check (screening
 * off), or a check that approved, was skipped (fail-open) or was allowed by an admin.
 */
export async function isTopUpCleared(db: DbOrTx, checkId: string | null): Promise<boolean> {
  if (!checkId) return true;
  const check = await db.selectFrom('fraud_checks').select('status').where('id', '=', checkId).executeTakeFirst();
  return (
    check !== undefined && (check.status === 'approve' || check.status === 'skipped' || check.status === 'allowed')
  );
}
