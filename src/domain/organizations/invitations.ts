import { sql } from 'kysely';
import { z } from 'zod';
import { inTransaction, type DbOrTx, type Tx } from '../../db/index.ts';
import { hashToken, randomToken } from '../../lib/crypto.ts';
import { AppError, NotFoundError, ValidationError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import { addDays } from '../../lib/time.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Actor } from '../access/actor.ts';
import { emailSchema } from '../accounts/register.ts';
import { activityBy, recordActivity } from '../activity/record.ts';
import type { Deps } from '../deps.ts';
import { queueEmail } from '../../mail/queue.ts';
import { assertCanGrant, authorize, lockedActor } from '../access/organization.ts';
import { roleInOrg } from './roles.ts';
import { fetchSize, uuidCursor, type PageRequest } from '../../db/paging.ts';

/**
 * Invitations, the organization's side (members_manage). An invitation is `pending` until
 * the invitee accepts or declines it or the organization cancels it (see the migration for
 * the status set; expiry is `expires_at`, not a status). Its link carries a random token of
 * which only the hash is stored; a resend replaces the token, so the old link dies. One
 * pending invitation per address and organization (a unique index); an expired pending one
 * is simply re-issued. The invitee's side is in `invitation-answers.ts`.
 */

export const INVITATION_DAYS = 7;

export const inviteInput = z.object({
  email: emailSchema,
  role_id: z.string({ error: 'Choose a role.' }).min(1, 'Choose a role.'),
});

export async function inviteMember(deps: Deps, actor: Actor, raw: unknown) {
  authorize(actor, 'members_manage');
  const input = parseInput(inviteInput, raw);
  return inTransaction(deps.db, async (trx) => {
    const me = await lockedActor(trx, actor, 'members_manage');
    const orgId = me.organizationId!;
    const role = await roleInOrg(trx, orgId, input.role_id);
    if (!role) throw new ValidationError({ role_id: 'Choose one of this organization’s roles.' });
    assertCanGrant(me, role);
    const member = await trx
      .selectFrom('organization_members as m')
      .innerJoin('users as u', 'u.id', 'm.user_id')
      .select('u.id')
      .where('m.organization_id', '=', orgId)
      .where('u.email', '=', input.email)
      .executeTakeFirst();
    if (member) throw new ValidationError({ email: `${input.email} is already a member of this organization.` });
    const now = deps.clock.now();
    const pending = await trx
      .selectFrom('invitations')
      .select(['id', 'expires_at'])
      .where('organization_id', '=', orgId)
      .where('email', '=', input.email)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    if (pending && pending.expires_at > now)
      throw new ValidationError({
        email: `${input.email} already has a pending invitation. Resend it from the list if it got lost.`,
      });
    const token = randomToken();
    const values = {
      role_id: role.id,
      token_hash: hashToken(token),
      invited_by: me.userId,
      created_at: now,
      expires_at: addDays(now, INVITATION_DAYS),
    };
    const { id } = pending
      ? await trx
          .updateTable('invitations')
          .set(values)
          .where('id', '=', pending.id)
          .returning('id')
          .executeTakeFirstOrThrow()
      : await trx
          .insertInto('invitations')
          .values({ organization_id: orgId, email: input.email, ...values })
          .returning('id')
          .executeTakeFirstOrThrow();
    await sendInvitation(deps, trx, id, token);
    await recordActivity(
      trx,
      activityBy(me, 'member.invited', {
        target: { type: 'invitation', id },
        details: { email: input.email, role: role.name },
      }),
    );
    return invitationById(trx, orgId, id, now);
  });
}

/** Sends a pending invitation again with a new link and a new 7-day expiry; the old link stops working. */
export async function resendInvitation(deps: Deps, actor: Actor, invitationId: string) {
  authorize(actor, 'members_manage');
  return inTransaction(deps.db, async (trx) => {
    const me = await lockedActor(trx, actor, 'members_manage');
    const orgId = me.organizationId!;
    const inv = await pendingInvitation(trx, orgId, invitationId);
    const role = (await roleInOrg(trx, orgId, inv.role_id))!;
    assertCanGrant(me, role);
    const token = randomToken();
    const now = deps.clock.now();
    await trx
      .updateTable('invitations')
      .set({ token_hash: hashToken(token), expires_at: addDays(now, INVITATION_DAYS), invited_by: me.userId })
      .where('id', '=', inv.id)
      .execute();
    await sendInvitation(deps, trx, inv.id, token);
    await recordActivity(
      trx,
      activityBy(me, 'member.invited', {
        target: { type: 'invitation', id: inv.id },
        details: { email: inv.email, role: role.name, resent: true },
      }),
    );
    return invitationById(trx, orgId, inv.id, now);
  });
}

/** Withdraws a pending invitation: its link stops working. */
export async function cancelInvitation(deps: Deps, actor: Actor, invitationId: string) {
  authorize(actor, 'members_manage');
  await inTransaction(deps.db, async (trx) => {
    const me = await lockedActor(trx, actor, 'members_manage');
    const inv = await pendingInvitation(trx, me.organizationId!, invitationId);
    await trx.updateTable('invitations').set({ status: 'cancelled' }).where('id', '=', inv.id).execute();
    await recordActivity(
      trx,
      activityBy(me, 'member.invitation_cancelled', {
        target: { type: 'invitation', id: inv.id },
        details: { email: inv.email },
      }),
    );
  });
}

/** The organization's invitations, newest first; `status: 'pending'` includes expired ones (see `expired`). */
/** The organization's invitations, newest first, each saying whether it has expired at `opts.now`. */
export async function listInvitations(
  db: DbOrTx,
  actor: Actor,
  opts: { now: Date; status?: 'pending' | 'accepted' | 'declined' | 'cancelled'; page?: PageRequest },
) {
  const orgId = authorize(actor, 'members_manage');
  const cursor = uuidCursor(opts.page);
  const size = fetchSize(opts.page);
  let q = selectInvitations(db, orgId).orderBy('i.created_at', 'desc').orderBy('i.id', 'desc');
  if (opts.status) q = q.where('i.status', '=', opts.status);
  if (cursor)
    q = q.where(sql<boolean>`(i.created_at, i.id) < (select created_at, id from invitations where id = ${cursor})`);
  if (size) q = q.limit(size);
  return (await q.execute()).map((r) => withExpiry(r, opts.now));
}

function selectInvitations(db: DbOrTx, orgId: string) {
  return db
    .selectFrom('invitations as i')
    .innerJoin('roles as r', 'r.id', 'i.role_id')
    .leftJoin('users as u', 'u.id', 'i.invited_by')
    .select([
      'i.id',
      'i.email',
      'i.status',
      'i.role_id',
      'r.name as role_name',
      'i.invited_by',
      'u.name as inviter_name',
      'i.created_at',
      'i.expires_at',
      'i.answered_at',
    ])
    .where('i.organization_id', '=', orgId);
}

type InvitationRow = Awaited<ReturnType<ReturnType<typeof selectInvitations>['executeTakeFirstOrThrow']>>;
const withExpiry = (r: InvitationRow, now: Date) => ({ ...r, expired: r.status === 'pending' && r.expires_at <= now });

async function invitationById(db: DbOrTx, orgId: string, id: string, now: Date) {
  return withExpiry(await selectInvitations(db, orgId).where('i.id', '=', id).executeTakeFirstOrThrow(), now);
}

/** A pending invitation of `orgId` (locked), 404 for a foreign or unknown id, 422 once answered. */
async function pendingInvitation(trx: Tx, orgId: string, invitationId: string) {
  const inv = isUuid(invitationId)
    ? await trx
        .selectFrom('invitations')
        .select(['id', 'email', 'status', 'role_id'])
        .where('id', '=', invitationId)
        .where('organization_id', '=', orgId)
        .forUpdate()
        .executeTakeFirst()
    : undefined;
  if (!inv) throw new NotFoundError('No such invitation.');
  if (inv.status !== 'pending')
    throw new AppError('invitation_not_pending', 422, `This invitation was already ${inv.status}.`);
  return inv;
}

/** Queues the invitation email in `trx`, with the accept link for `token`. */
async function sendInvitation(deps: Deps, trx: Tx, invitationId: string, token: string) {
  const inv = await trx
    .selectFrom('invitations as i')
    .innerJoin('organizations as o', 'o.id', 'i.organization_id')
    .innerJoin('roles as r', 'r.id', 'i.role_id')
    .leftJoin('users as u', 'u.id', 'i.invited_by')
    .select(['i.email', 'i.expires_at', 'o.name as organization', 'r.name as role', 'u.name as inviter'])
    .where('i.id', '=', invitationId)
    .executeTakeFirstOrThrow();
  await queueEmail(deps, trx, inv.email, 'invitation', {
    organization: inv.organization,
    inviter: inv.inviter ?? 'A member',
    role: inv.role,
    acceptUrl: `${deps.config.publicUrl}/invitations/${token}`,
    expiresAt: inv.expires_at.toUTCString(),
  });
}
