import type { DbOrTx, Tx } from '../../db/index.ts';
import { AppError, ForbiddenError, NotFoundError, ValidationError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import { can, membershipOf, type Actor } from '../access/actor.ts';
import { notHeld, OWNER_ROLE, PERMISSIONS, type Permission } from './permissions.ts';

/**
 * How organization-scoped domain functions find their tenant: always through the actor.
 * The organization is the actor's (pages: the active one; API: the one in the URL, resolved
 * by `orgActor`); a record of any other organization is simply not found.
 */

const NO_SUCH_ORGANIZATION = 'No such organization.';

/** The organization `actor` acts in; 404 when it has none. */
export function orgOf(actor: Actor): string {
  if (!actor.organizationId) throw new NotFoundError('You do not belong to an organization yet.');
  return actor.organizationId;
}

/** The actor's organization, after checking `permission` (403 without it). */
export function authorize(actor: Actor, permission: Permission): string {
  const orgId = orgOf(actor);
  if (!can(actor, permission)) throw new ForbiddenError();
  return orgId;
}

/**
 * The actor acting in organization `orgId` (the JSON API's `{id}`): the user's role there,
 * read now. Not a member → 404, like any foreign id. An API key is bound to its organization:
 * any other id is 404, and it never holds more than both the key's and the role's permissions.
 */
export async function orgActor(db: DbOrTx, actor: Actor, orgId: string): Promise<Actor> {
  if (!isUuid(orgId)) throw new NotFoundError(NO_SUCH_ORGANIZATION);
  if (actor.apiKeyId && orgId !== actor.organizationId) throw new NotFoundError(NO_SUCH_ORGANIZATION);
  const m = await membershipOf(db, actor.userId, orgId);
  if (!m) throw new NotFoundError(NO_SUCH_ORGANIZATION);
  const permissions = actor.apiKeyId ? new Set([...m.permissions].filter((p) => actor.permissions.has(p))) : m.permissions;
  return { ...actor, organizationId: orgId, roleName: m.roleName, permissions };
}

/** Account-level actions (creating organizations, answering invitations) need the person, not a key bound to one organization. */
export function refuseApiKey(actor: Actor): void {
  if (actor.apiKeyId) throw new ForbiddenError('An API key acts only inside its own organization; use a user access token for this.');
}

/**
 * Locks the actor's organization row for the rest of `trx` (membership changes in one
 * organization happen one at a time, so "the last owner" is counted truthfully) and returns
 * the actor with permissions re-read under the lock: never more than it had on entry.
 */
export async function lockedActor(trx: Tx, actor: Actor, permission?: Permission): Promise<Actor> {
  const orgId = orgOf(actor);
  await trx.selectFrom('organizations').select('id').where('id', '=', orgId).forUpdate().executeTakeFirst();
  const m = await membershipOf(trx, actor.userId, orgId);
  if (!m) throw new NotFoundError(NO_SUCH_ORGANIZATION);
  const fresh: Actor = { ...actor, roleName: m.roleName, permissions: new Set([...m.permissions].filter((p) => actor.permissions.has(p))) };
  if (permission && !can(fresh, permission)) throw new ForbiddenError();
  return fresh;
}

/** Whether the actor holds the predefined owner role (an API key also needs every permission). */
export function isOwner(actor: Actor): boolean {
  return actor.roleName === OWNER_ROLE && notHeld(PERMISSIONS, actor.permissions).length === 0;
}

/** A role of the actor's organization by id, or null (a foreign or malformed id). */
export async function roleInOrg(db: DbOrTx, orgId: string, roleId: string) {
  if (!isUuid(roleId)) return null;
  return (await db.selectFrom('roles').select(['id', 'name', 'permissions', 'predefined']).where('id', '=', roleId).where('organization_id', '=', orgId).executeTakeFirst()) ?? null;
}

/**
 * May `actor` give someone `role`? Only an owner makes owners, and nobody grants a permission
 * they do not hold. Refusals are 422 on `field`, naming what is missing.
 */
export function assertCanGrant(actor: Actor, role: { name: string; permissions: string[]; predefined: boolean }, field = 'role_id'): void {
  if (role.predefined && role.name === OWNER_ROLE && !isOwner(actor)) throw new ValidationError({ [field]: 'Only an owner can make someone an owner.' });
  const missing = notHeld(role.permissions, actor.permissions);
  if (missing.length) throw new ValidationError({ [field]: `You cannot grant permissions you do not hold yourself: ${missing.join(', ')}.` });
}

/**
 * May `actor` change or remove a member who holds `role`? Owners are changed only by owners,
 * and nobody acts on someone holding a permission they lack (no demoting your superiors).
 */
export function assertCanManageMember(actor: Actor, role: { name: string; permissions: string[]; predefined: boolean }): void {
  if (role.predefined && role.name === OWNER_ROLE && !isOwner(actor)) throw new ForbiddenError('Only an owner can change or remove an owner.');
  if (notHeld(role.permissions, actor.permissions).length) throw new ForbiddenError('You cannot change or remove a member who holds permissions you do not hold.');
}

/** Members whose role is the predefined owner role. */
export async function ownerCount(db: DbOrTx, orgId: string): Promise<number> {
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

export const lastOwner = (what: string) => new AppError('last_owner', 422, `${what}: every organization needs an owner. Transfer ownership or make another member an owner first.`);
