import { inTransaction, type DbOrTx } from '../../db/index.ts';
import { hashToken } from '../../lib/crypto.ts';
import { AppError, NotFoundError } from '../../lib/errors.ts';
import type { Actor } from '../access/actor.ts';
import { activityBy, recordActivity } from '../activity/record.ts';
import type { Deps } from '../deps.ts';
import { refuseApiKey, refuseMembershipChangeWhileImpersonating } from '../access/organization.ts';

/**
 * Invitations, the invitee's side. Only the signed-in user whose email is the invited one may
 * see or answer an invitation; anyone else learns nothing about it (404, no organization
 * name). Answering needs that email to be verified. A pending, unexpired invitation can be
 * answered once: accepting joins with the invited role and makes the organization active.
 */

export type InvitationState = 'pending' | 'expired' | 'accepted' | 'declined' | 'cancelled';

const NOT_VALID = 'This invitation link is not valid.';
const NOT_FOR_YOU =
  'This invitation is not for the account you are signed in with. Sign in with the address it was sent to.';

const STATE_MESSAGES: Record<Exclude<InvitationState, 'pending'>, string> = {
  expired: 'This invitation has expired. Ask the organization to send you a new one.',
  accepted: 'This invitation was already used: it can be accepted only once.',
  declined: 'This invitation was declined and can no longer be used.',
  cancelled: 'This invitation was cancelled by the organization.',
};

async function findByToken(db: DbOrTx, token: string, lock = false) {
  if (token.length < 20 || token.length > 100) return null;
  let q = db
    .selectFrom('invitations')
    .select(['id', 'organization_id', 'email', 'role_id', 'status', 'expires_at', 'invited_by'])
    .where('token_hash', '=', hashToken(token));
  if (lock) q = q.forUpdate();
  return (await q.executeTakeFirst()) ?? null;
}

/** The invitation behind `token` if it is the actor's (404 otherwise), and whether their email is verified. */
async function mine(db: DbOrTx, actor: Actor, token: string, lock = false) {
  const inv = await findByToken(db, token, lock);
  if (!inv) throw new NotFoundError(NOT_VALID);
  const user = await db
    .selectFrom('users')
    .select(['email', 'email_verified_at'])
    .where('id', '=', actor.userId)
    .executeTakeFirstOrThrow();
  if (user.email !== inv.email) throw new NotFoundError(NOT_FOR_YOU);
  return { inv, verified: user.email_verified_at !== null };
}

const stateOf = (inv: { status: InvitationState | 'pending'; expires_at: Date }, now: Date): InvitationState =>
  inv.status === 'pending' && inv.expires_at <= now ? 'expired' : inv.status;

/** What the invitee sees: organization, role, inviter, and whether (and why not) they can answer. */
export async function viewInvitation(deps: Deps, actor: Actor, token: string) {
  const { inv, verified } = await mine(deps.db, actor, token);
  const details = await deps.db
    .selectFrom('organizations as o')
    .innerJoin('roles as r', 'r.organization_id', 'o.id')
    .leftJoin('users as u', (j) => j.on('u.id', '=', inv.invited_by))
    .select(['o.name as organization', 'r.name as role', 'r.permissions', 'u.name as inviter'])
    .where('o.id', '=', inv.organization_id)
    .where('r.id', '=', inv.role_id)
    .executeTakeFirstOrThrow();
  const state = stateOf(inv, deps.clock.now());
  const message = state !== 'pending' ? STATE_MESSAGES[state] : verified ? null : UNVERIFIED;
  return {
    ...details,
    email: inv.email,
    expiresAt: inv.expires_at,
    state,
    verified,
    canAnswer: state === 'pending' && verified,
    message,
  };
}

const UNVERIFIED =
  'Confirm your email address before answering this invitation: use the link we emailed you, or ask for a new one from the banner.';

/** Checks, in order: the token exists and is the actor's (404), their email is verified (403), it is still open (422). */
async function answerable(db: DbOrTx, actor: Actor, token: string, now: Date) {
  refuseApiKey(actor);
  refuseMembershipChangeWhileImpersonating(actor);
  const { inv, verified } = await mine(db, actor, token, true);
  if (!verified) throw new AppError('email_unverified', 403, UNVERIFIED);
  const state = stateOf(inv, now);
  if (state !== 'pending') throw new AppError(`invitation_${state}`, 422, STATE_MESSAGES[state]);
  return inv;
}

/** Joins the organization with the invited role and makes it the active one. */
export async function acceptInvitation(deps: Deps, actor: Actor, token: string) {
  const now = deps.clock.now();
  return inTransaction(deps.db, async (trx) => {
    const inv = await answerable(trx, actor, token, now);
    const member = await trx
      .selectFrom('organization_members')
      .select('user_id')
      .where('organization_id', '=', inv.organization_id)
      .where('user_id', '=', actor.userId)
      .executeTakeFirst();
    if (member) throw new AppError('already_member', 422, 'You are already a member of this organization.');
    await trx
      .insertInto('organization_members')
      .values({ organization_id: inv.organization_id, user_id: actor.userId, role_id: inv.role_id, created_at: now })
      .execute();
    await trx
      .updateTable('invitations')
      .set({ status: 'accepted', answered_at: now })
      .where('id', '=', inv.id)
      .execute();
    await trx
      .updateTable('users')
      .set({ active_organization_id: inv.organization_id })
      .where('id', '=', actor.userId)
      .execute();
    const role = await trx.selectFrom('roles').select('name').where('id', '=', inv.role_id).executeTakeFirstOrThrow();
    await recordActivity(
      trx,
      activityBy(actor, 'member.joined', {
        organizationId: inv.organization_id,
        target: { type: 'user', id: actor.userId },
        details: { invitation: inv.id, role: role.name },
      }),
    );
    const org = await trx
      .selectFrom('organizations')
      .select(['id', 'name'])
      .where('id', '=', inv.organization_id)
      .executeTakeFirstOrThrow();
    return { organization: org, role: role.name };
  });
}

/** Declines the invitation: its link stops working and the organization sees it declined. */
export async function declineInvitation(deps: Deps, actor: Actor, token: string) {
  const now = deps.clock.now();
  await inTransaction(deps.db, async (trx) => {
    const inv = await answerable(trx, actor, token, now);
    await trx
      .updateTable('invitations')
      .set({ status: 'declined', answered_at: now })
      .where('id', '=', inv.id)
      .execute();
    await recordActivity(
      trx,
      activityBy(actor, 'member.declined', {
        organizationId: inv.organization_id,
        target: { type: 'invitation', id: inv.id },
      }),
    );
  });
}
