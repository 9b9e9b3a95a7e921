import { sql } from 'kysely';
import { z } from 'zod';
import { inTransaction, type DbOrTx, type Tx } from '../../db/index.ts';
import { AppError, ForbiddenError, NotFoundError, ValidationError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Actor } from '../access/actor.ts';
import { activityBy, recordActivity } from '../activity/record.ts';
import type { Deps } from '../deps.ts';
import {
  assertCanGrant,
  assertCanManageMember,
  authorize,
  isOwner,
  lockedActor,
  orgOf,
  refuseApiKey,
} from '../access/organization.ts';
import { roleInOrg } from './roles.ts';
import { fetchSize, uuidCursor, type PageRequest } from '../../db/paging.ts';
import { OWNER_ROLE } from '../access/permissions.ts';

/**
 * Members of the actor's organization. Rules: members_manage changes roles and removes; you
 * only act on members whose permissions you hold yourself, and only grant roles whose
 * permissions you hold; owners are made and changed only by owners; the last owner can't be
 * demoted, removed or leave. Every change locks the organization row first (`lockedActor`).
 */

export const changeRoleInput = z.object({ role_id: z.string({ error: 'Choose a role.' }).min(1, 'Choose a role.') });
export const transferInput = z.object({
  user_id: z.string({ error: 'Choose the new owner.' }).min(1, 'Choose the new owner.'),
});

/** Everyone in the actor's organization with their role, oldest membership first. */
export async function listMembers(db: DbOrTx, actor: Actor, page?: PageRequest) {
  const orgId = orgOf(actor);
  const cursor = uuidCursor(page);
  const size = fetchSize(page);
  let q = db
    .selectFrom('organization_members as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .innerJoin('roles as r', 'r.id', 'm.role_id')
    .select([
      'u.id as user_id',
      'u.name',
      'u.email',
      'r.id as role_id',
      'r.name as role_name',
      'r.predefined as role_predefined',
      'm.created_at as joined_at',
    ])
    .where('m.organization_id', '=', orgId)
    .orderBy('m.created_at')
    .orderBy('m.user_id');
  if (cursor)
    q = q.where(
      sql<boolean>`(m.created_at, m.user_id) > (select created_at, user_id from organization_members where organization_id = ${orgId} and user_id = ${cursor})`,
    );
  if (size) q = q.limit(size);
  return q.execute();
}

/** One member of the actor's organization (404 for anyone else). */
export async function getMember(db: DbOrTx, actor: Actor, userId: string) {
  const orgId = orgOf(actor);
  const row = isUuid(userId)
    ? await db
        .selectFrom('organization_members as m')
        .innerJoin('users as u', 'u.id', 'm.user_id')
        .innerJoin('roles as r', 'r.id', 'm.role_id')
        .select([
          'u.id as user_id',
          'u.name',
          'u.email',
          'r.id as role_id',
          'r.name as role_name',
          'r.predefined as role_predefined',
          'm.created_at as joined_at',
        ])
        .where('m.organization_id', '=', orgId)
        .where('m.user_id', '=', userId)
        .executeTakeFirst()
    : undefined;
  if (!row) throw new NotFoundError('No such member.');
  return row;
}

/** A member of `orgId` with their role, or 404. */
async function memberOf(trx: Tx, orgId: string, userId: string) {
  const row = isUuid(userId)
    ? await trx
        .selectFrom('organization_members as m')
        .innerJoin('roles as r', 'r.id', 'm.role_id')
        .select(['m.user_id', 'r.id as role_id', 'r.name', 'r.permissions', 'r.predefined'])
        .where('m.organization_id', '=', orgId)
        .where('m.user_id', '=', userId)
        .executeTakeFirst()
    : undefined;
  if (!row) throw new NotFoundError('No such member.');
  return row;
}

const isOwnerRole = (r: { name: string; predefined: boolean }) => r.predefined && r.name === OWNER_ROLE;

/** Members whose role is the predefined owner role. */
async function ownerCount(db: DbOrTx, orgId: string): Promise<number> {
  const row = await db
    .selectFrom('organization_members as m')
    .innerJoin('roles as r', 'r.id', 'm.role_id')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('m.organization_id', '=', orgId)
    .where('r.predefined', '=', true)
    .where('r.name', '=', OWNER_ROLE)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

const lastOwner = (what: string) =>
  new AppError(
    'last_owner',
    422,
    `${what}: every organization needs an owner. Transfer ownership or make another member an owner first.`,
  );

/** Gives member `userId` another role of the organization (`values.role_id`). Takes effect on their next request. */
export async function changeMemberRole(
  deps: Deps,
  actor: Actor,
  { userId, values }: { userId: string; values: unknown },
) {
  authorize(actor, 'members_manage');
  const input = parseInput(changeRoleInput, values);
  return inTransaction(deps.db, async (trx) => {
    const me = await lockedActor(trx, actor, 'members_manage');
    const orgId = me.organizationId!;
    const target = await memberOf(trx, orgId, userId);
    const role = await roleInOrg(trx, orgId, input.role_id);
    if (!role) throw new ValidationError({ role_id: 'Choose one of this organization’s roles.' });
    assertCanManageMember(me, target);
    assertCanGrant(me, role);
    if (role.id === target.role_id) return { changed: false };
    if (isOwnerRole(target) && !isOwnerRole(role) && (await ownerCount(trx, orgId)) <= 1)
      throw lastOwner('The last owner cannot be given another role');
    await trx
      .updateTable('organization_members')
      .set({ role_id: role.id })
      .where('organization_id', '=', orgId)
      .where('user_id', '=', target.user_id)
      .execute();
    await recordActivity(
      trx,
      activityBy(me, 'member.role_changed', {
        target: { type: 'user', id: target.user_id },
        details: { from: target.name, to: role.name },
      }),
    );
    return { changed: true };
  });
}

/** Removes member `userId`. Removing yourself is leaving (no members_manage needed). */
export async function removeMember(deps: Deps, actor: Actor, userId: string) {
  if (userId === actor.userId) return leaveOrganization(deps, actor);
  authorize(actor, 'members_manage');
  await inTransaction(deps.db, async (trx) => {
    const me = await lockedActor(trx, actor, 'members_manage');
    const orgId = me.organizationId!;
    const target = await memberOf(trx, orgId, userId);
    assertCanManageMember(me, target);
    if (isOwnerRole(target) && (await ownerCount(trx, orgId)) <= 1) throw lastOwner('The last owner cannot be removed');
    await detach(trx, orgId, target.user_id);
    await recordActivity(
      trx,
      activityBy(me, 'member.removed', {
        target: { type: 'user', id: target.user_id },
        details: { role: target.name },
      }),
    );
  });
}

/** The actor leaves their organization. Not the last owner, and not their own personal organization. */
export async function leaveOrganization(deps: Deps, actor: Actor) {
  refuseApiKey(actor);
  orgOf(actor);
  await inTransaction(deps.db, async (trx) => {
    const me = await lockedActor(trx, actor);
    const orgId = me.organizationId!;
    const mine = await memberOf(trx, orgId, me.userId);
    const org = await trx
      .selectFrom('organizations')
      .select(['personal', 'created_by'])
      .where('id', '=', orgId)
      .executeTakeFirstOrThrow();
    if (org.personal && org.created_by === me.userId)
      throw new AppError(
        'personal_organization',
        422,
        'This is your personal organization: it stays with your account and cannot be left.',
      );
    if (isOwnerRole(mine) && (await ownerCount(trx, orgId)) <= 1)
      throw lastOwner('You are the last owner and cannot leave');
    await detach(trx, orgId, me.userId);
    await recordActivity(trx, activityBy(me, 'member.left', { target: { type: 'user', id: me.userId } }));
  });
}

/** Makes member `userId` an owner and the acting owner an admin. Owners only. */
export async function transferOwnership(deps: Deps, actor: Actor, raw: unknown) {
  orgOf(actor);
  if (!isOwner(actor)) throw new ForbiddenError('Only an owner can transfer ownership.');
  const input = parseInput(transferInput, raw);
  await inTransaction(deps.db, async (trx) => {
    const me = await lockedActor(trx, actor);
    if (!isOwner(me)) throw new ForbiddenError('Only an owner can transfer ownership.');
    const orgId = me.organizationId!;
    if (input.user_id === me.userId)
      throw new ValidationError({ user_id: 'Choose another member: you are already an owner.' });
    const target = await memberOf(trx, orgId, input.user_id).catch(() => {
      throw new ValidationError({ user_id: 'Choose a member of this organization.' });
    });
    const roles = await trx
      .selectFrom('roles')
      .select(['id', 'name'])
      .where('organization_id', '=', orgId)
      .where('predefined', '=', true)
      .where('name', 'in', [OWNER_ROLE, 'admin'])
      .execute();
    const roleId = (name: string) => roles.find((r) => r.name === name)!.id;
    await trx
      .updateTable('organization_members')
      .set({ role_id: roleId(OWNER_ROLE) })
      .where('organization_id', '=', orgId)
      .where('user_id', '=', target.user_id)
      .execute();
    await trx
      .updateTable('organization_members')
      .set({ role_id: roleId('admin') })
      .where('organization_id', '=', orgId)
      .where('user_id', '=', me.userId)
      .execute();
    await recordActivity(
      trx,
      activityBy(me, 'organization.ownership_transferred', {
        target: { type: 'user', id: target.user_id },
        details: { previous_role: target.name },
      }),
    );
  });
}

/** Ends a membership; the user's active organization falls back to their first. */
async function detach(trx: Tx, orgId: string, userId: string) {
  await trx
    .deleteFrom('organization_members')
    .where('organization_id', '=', orgId)
    .where('user_id', '=', userId)
    .execute();
  await trx
    .updateTable('users')
    .set({ active_organization_id: null })
    .where('id', '=', userId)
    .where('active_organization_id', '=', orgId)
    .execute();
}
