import { sql } from 'kysely';
import { z } from 'zod';
import { inTransaction, type DbOrTx, type Tx } from '../../db/index.ts';
import { AppError, ForbiddenError, NotFoundError, ValidationError } from '../../lib/errors.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Actor } from '../access/actor.ts';
import { activityBy, recordActivity } from '../activity/record.ts';
import type { Deps } from '../deps.ts';
import { isUuid } from '../../lib/ids.ts';
import { assertCanGrant, authorize, lockedActor, orgOf } from '../access/organization.ts';
import { fetchSize, uuidCursor, type PageRequest } from '../../db/paging.ts';
import { notHeld, PERMISSIONS, PREDEFINED_ROLES } from '../access/permissions.ts';

/**
 * Roles of the actor's organization. Predefined roles are seeded and read-only; custom roles
 * are created, edited and deleted with members_manage, and only with permissions the actor
 * holds — an edit may also not touch a role that grants something the actor lacks.
 */

const reserved = new Set(Object.keys(PREDEFINED_ROLES));
const known = new Set<string>(PERMISSIONS);

const roleName = z
  .string({ error: 'Enter a name.' })
  .trim()
  .min(1, 'Enter a name.')
  .max(50, 'Use at most 50 characters.')
  .refine((n) => !reserved.has(n.toLowerCase()), 'That name belongs to a predefined role.');
const permissionList = z
  .array(z.string(), { error: 'Send a list of permissions.' })
  .max(PERMISSIONS.length * 2)
  .superRefine((list, ctx) => {
    const unknown = list.filter((p) => !known.has(p));
    if (unknown.length)
      ctx.addIssue({ code: 'custom', message: `Unknown permission: ${unknown.slice(0, 3).join(', ')}.` });
  })
  .transform((list) => PERMISSIONS.filter((p) => list.includes(p)));

export const createRoleInput = z.object({ name: roleName, permissions: permissionList });
export const updateRoleInput = z.object({ name: roleName.optional(), permissions: permissionList.optional() });

const order = Object.keys(PREDEFINED_ROLES);

/** A role of organization `orgId` by id, or null (a foreign or malformed id). */
export async function roleInOrg(db: DbOrTx, orgId: string, roleId: string) {
  if (!isUuid(roleId)) return null;
  return (
    (await db
      .selectFrom('roles')
      .select(['id', 'name', 'permissions', 'predefined'])
      .where('id', '=', roleId)
      .where('organization_id', '=', orgId)
      .executeTakeFirst()) ?? null
  );
}

function selectRoles(db: DbOrTx, orgId: string) {
  return db
    .selectFrom('roles as r')
    .select(['r.id', 'r.name', 'r.permissions', 'r.predefined', 'r.created_at'])
    .select((eb) =>
      eb
        .selectFrom('organization_members as m')
        .whereRef('m.role_id', '=', 'r.id')
        .select(eb.fn.countAll<string>().as('n'))
        .as('members'),
    )
    .where('r.organization_id', '=', orgId);
}
const withCount = <R extends { members: string | null }>(r: R) => ({ ...r, members: Number(r.members ?? 0) });

/** All roles with how many members hold each. Paged: in (created_at, id) order; else predefined first (documented order), then custom by name. */
export async function listRoles(db: DbOrTx, actor: Actor, page?: PageRequest) {
  const orgId = orgOf(actor);
  const cursor = uuidCursor(page);
  const size = fetchSize(page);
  let q = selectRoles(db, orgId).orderBy('r.created_at').orderBy('r.id');
  if (cursor) q = q.where(sql<boolean>`(r.created_at, r.id) > (select created_at, id from roles where id = ${cursor})`);
  if (size) q = q.limit(size);
  const rows = (await q.execute()).map(withCount);
  if (page) return rows;
  const rank = (r: { name: string; predefined: boolean }) => (r.predefined ? order.indexOf(r.name) : order.length);
  return rows.sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
}

/** One role of the actor's organization (404 for a foreign or unknown id). */
export async function getRole(db: DbOrTx, actor: Actor, roleId: string) {
  const row = isUuid(roleId)
    ? await selectRoles(db, orgOf(actor)).where('r.id', '=', roleId).executeTakeFirst()
    : undefined;
  if (!row) throw new NotFoundError('No such role.');
  return withCount(row);
}

export async function createRole(deps: Deps, actor: Actor, raw: unknown) {
  authorize(actor, 'members_manage');
  const input = parseInput(createRoleInput, raw);
  return uniqueName(() =>
    inTransaction(deps.db, async (trx) => {
      const me = await lockedActor(trx, actor, 'members_manage');
      assertCanGrant(me, { name: input.name, permissions: input.permissions, predefined: false }, 'permissions');
      const role = await trx
        .insertInto('roles')
        .values({
          organization_id: me.organizationId!,
          name: input.name,
          permissions: input.permissions,
          predefined: false,
        })
        .returning(['id', 'name', 'permissions', 'predefined'])
        .executeTakeFirstOrThrow();
      await recordActivity(
        trx,
        activityBy(me, 'role.created', {
          target: { type: 'role', id: role.id },
          details: { name: role.name, permissions: role.permissions.join(',') },
        }),
      );
      return role;
    }),
  );
}

/** Renames a custom role and/or replaces its permissions; its members feel it on their next request. */
/** Renames role `roleId` or changes its permissions (`values`: name and/or permissions). */
export async function updateRole(deps: Deps, actor: Actor, { roleId, values }: { roleId: string; values: unknown }) {
  authorize(actor, 'members_manage');
  return uniqueName(() =>
    inTransaction(deps.db, async (trx) => {
      const { me, role } = await editable(trx, actor, roleId);
      const input = parseInput(updateRoleInput, values);
      const next = { name: input.name ?? role.name, permissions: input.permissions ?? role.permissions };
      assertCanGrant(me, { ...next, predefined: false }, 'permissions');
      const updated = await trx
        .updateTable('roles')
        .set(next)
        .where('id', '=', role.id)
        .returning(['id', 'name', 'permissions', 'predefined'])
        .executeTakeFirstOrThrow();
      await recordActivity(
        trx,
        activityBy(me, 'role.updated', {
          target: { type: 'role', id: role.id },
          details: { name: updated.name, from: role.permissions.join(','), to: updated.permissions.join(',') },
        }),
      );
      return updated;
    }),
  );
}

/** Deletes a custom role nobody holds and no pending invitation offers. */
export async function deleteRole(deps: Deps, actor: Actor, roleId: string) {
  authorize(actor, 'members_manage');
  await inTransaction(deps.db, async (trx) => {
    const { me, role } = await editable(trx, actor, roleId);
    const used = await trx
      .selectFrom('organization_members')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('role_id', '=', role.id)
      .executeTakeFirstOrThrow();
    if (Number(used.n) > 0)
      throw new AppError(
        'role_in_use',
        422,
        `“${role.name}” is held by ${used.n} member${Number(used.n) === 1 ? '' : 's'}: give them another role before deleting it.`,
      );
    const invited = await trx
      .selectFrom('invitations')
      .select('id')
      .where('role_id', '=', role.id)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    if (invited)
      throw new AppError(
        'role_in_use',
        422,
        `A pending invitation offers “${role.name}”: cancel it before deleting the role.`,
      );
    // Answered invitations keep no live meaning; the foreign key removes them with the role.
    await trx.deleteFrom('roles').where('id', '=', role.id).execute();
    await recordActivity(
      trx,
      activityBy(me, 'role.deleted', { target: { type: 'role', id: role.id }, details: { name: role.name } }),
    );
  });
}

/** A custom role the (locked, re-read) actor may edit: theirs, not predefined, nothing in it they lack. */
async function editable(trx: Tx, actor: Actor, roleId: string) {
  const me = await lockedActor(trx, actor, 'members_manage');
  const role = await roleInOrg(trx, me.organizationId!, roleId);
  if (!role) throw new NotFoundError('No such role.');
  if (role.predefined)
    throw new AppError(
      'role_read_only',
      422,
      `“${role.name}” is a predefined role: it cannot be changed or deleted. Create a custom role instead.`,
    );
  const missing = notHeld(role.permissions, me.permissions);
  if (missing.length)
    throw new ForbiddenError(
      `This role grants permissions you do not hold (${missing.join(', ')}), so you cannot change it.`,
    );
  return { me, role };
}

/** Two roles of one organization cannot share a name: the unique index answers, as a field error. */
async function uniqueName<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if ((err as { code?: string }).code === '23505')
      throw new ValidationError({ name: 'A role with this name already exists.' });
    throw err;
  }
}
