import type { DbOrTx, Tx } from '../../db/index.ts';
import { ForbiddenError, NotFoundError, ValidationError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import { can, membershipOf, type Actor } from './actor.ts';
import { notHeld, OWNER_ROLE, PERMISSIONS, type Permission } from './permissions.ts';

/**
 * How organization-scoped domain functions find their tenant: always through the actor.
 * The organization is the actor's (pages: the active one; API: the one in the URL, resolved
 * by `orgActor`); a record of any other organization is simply not found.
 *
 * Who may change whom is asked here once: `mayGrantRole` and `mayManageMember` are the
 * predicates views and handlers call to offer a control; `assertCanGrant` and
 * `assertCanManageMember` are the same rules as refusals, checked again by the domain.
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
  const permissions = actor.apiKeyId
    ? new Set([...m.permissions].filter((p) => actor.permissions.has(p)))
    : m.permissions;
  return { ...actor, organizationId: orgId, roleName: m.roleName, permissions };
}

/** Account-level actions (creating organizations, answering invitations) need the person, not a key bound to one organization. */
export function refuseApiKey(actor: Actor): void {
  if (actor.apiKeyId)
    throw new ForbiddenError('An API key acts only inside its own organization; use a user access token for this.');
}

/**
 * Who belongs to an organization, and with which role, is for its members to decide. While a
 * platform admin impersonates a member, membership, invitation, role and ownership changes are
 * refused (403): otherwise the admin could invite themselves, or be given a role, and keep that
 * access after the impersonation ends. Every such change goes through `lockedActor` or
 * answers an invitation, and both ask here.
 */
export function refuseMembershipChangeWhileImpersonating(actor: Actor): void {
  if (actor.impersonatorUserId) {
    throw new ForbiddenError(
      'Not while impersonating: the members, invitations, roles and ownership of an organization can only be changed by its members.',
    );
  }
}

/**
 * Locks the actor's organization row for the rest of `trx` (membership changes in one
 * organization happen one at a time, so "the last owner" is counted truthfully) and returns
 * the actor with permissions re-read under the lock: never more than it had on entry.
 * Membership changes only: refused while impersonating.
 */
export async function lockedActor(trx: Tx, actor: Actor, permission?: Permission): Promise<Actor> {
  refuseMembershipChangeWhileImpersonating(actor);
  const orgId = orgOf(actor);
  await trx.selectFrom('organizations').select('id').where('id', '=', orgId).forUpdate().executeTakeFirst();
  const m = await membershipOf(trx, actor.userId, orgId);
  if (!m) throw new NotFoundError(NO_SUCH_ORGANIZATION);
  const fresh: Actor = {
    ...actor,
    roleName: m.roleName,
    permissions: new Set([...m.permissions].filter((p) => actor.permissions.has(p))),
  };
  if (permission && !can(fresh, permission)) throw new ForbiddenError();
  return fresh;
}

/** Whether the actor holds the predefined owner role (an API key also needs every permission). */
export function isOwner(actor: Actor): boolean {
  return actor.roleName === OWNER_ROLE && notHeld(PERMISSIONS, actor.permissions).length === 0;
}

type RoleShape = { name: string; permissions: string[]; predefined: boolean };

const isOwnerRole = (role: Pick<RoleShape, 'name' | 'predefined'>) => role.predefined && role.name === OWNER_ROLE;
/** Owners are made, changed and removed only by owners. */
const ownerRuleAllows = (actor: Actor, role: RoleShape) => !isOwnerRole(role) || isOwner(actor);
/** Nobody grants, or acts on someone holding, a permission they lack (no demoting your superiors). */
const holdsAll = (actor: Actor, role: RoleShape) => notHeld(role.permissions, actor.permissions).length === 0;

/** May `actor` give someone `role`? Only an owner makes owners, and nobody grants a permission they do not hold. */
export function mayGrantRole(actor: Actor, role: RoleShape): boolean {
  return ownerRuleAllows(actor, role) && holdsAll(actor, role);
}

/**
 * May `actor` change the role of, or remove, a member who holds `role`? They need
 * `members_manage`; owners are changed only by owners; nobody acts on someone holding a
 * permission they lack.
 */
export function mayManageMember(actor: Actor, role: RoleShape): boolean {
  return can(actor, 'members_manage') && ownerRuleAllows(actor, role) && holdsAll(actor, role);
}

/** `mayGrantRole` as a refusal: 422 on `field`, naming what is missing. */
export function assertCanGrant(actor: Actor, role: RoleShape, field = 'role_id'): void {
  if (!ownerRuleAllows(actor, role)) throw new ValidationError({ [field]: 'Only an owner can make someone an owner.' });
  const missing = notHeld(role.permissions, actor.permissions);
  if (missing.length)
    throw new ValidationError({
      [field]: `You cannot grant permissions you do not hold yourself: ${missing.join(', ')}.`,
    });
}

/** `mayManageMember` as a refusal (403), for a caller that has already checked `members_manage`. */
export function assertCanManageMember(actor: Actor, role: RoleShape): void {
  if (!ownerRuleAllows(actor, role)) throw new ForbiddenError('Only an owner can change or remove an owner.');
  if (!holdsAll(actor, role))
    throw new ForbiddenError('You cannot change or remove a member who holds permissions you do not hold.');
}
