import type { DbOrTx } from '../../db/index.ts';
import { PERMISSIONS, type Permission } from './permissions.ts';
import type { RequestOrigin } from '../deps.ts';

/**
 * Who is acting, in which organization, with which permissions. Built once per request by
 * the web layer (session, access token or API key) and passed to every domain function.
 * Platform-admin powers are separate from organization permissions: an API key never has
 * them, whoever owns it.
 */
export interface Actor {
  userId: string;
  isPlatformAdmin: boolean;
  /** The organization the request acts in; null when the user belongs to none. */
  organizationId: string | null;
  roleName: string | null;
  permissions: ReadonlySet<Permission>;
  /** Set while a platform admin impersonates this user. */
  impersonatorUserId: string | null;
  /** Set when the request is authenticated by an API key. */
  apiKeyId: string | null;
  origin: RequestOrigin;
}

/** The one permission question, asked by routes, the JSON API and views alike. */
export function can(actor: Pick<Actor, 'permissions'> | null | undefined, permission: Permission): boolean {
  return actor?.permissions.has(permission) ?? false;
}

export function toPermissions(list: readonly string[] | null | undefined): ReadonlySet<Permission> {
  const known = new Set<string>(PERMISSIONS);
  return new Set((list ?? []).filter((p): p is Permission => known.has(p)));
}

/** The user's membership in one organization (role and permissions), or null if not a member. */
export async function membershipOf(db: DbOrTx, userId: string, organizationId: string) {
  const row = await db
    .selectFrom('organization_members as m')
    .innerJoin('roles as r', 'r.id', 'm.role_id')
    .select(['m.organization_id', 'r.id as role_id', 'r.name as role_name', 'r.permissions'])
    .where('m.user_id', '=', userId)
    .where('m.organization_id', '=', organizationId)
    .executeTakeFirst();
  return row
    ? {
        organizationId: row.organization_id,
        roleId: row.role_id,
        roleName: row.role_name,
        permissions: toPermissions(row.permissions),
      }
    : null;
}

/** The organization a user works in when none is named: the active one, else their first. */
export async function defaultOrganization(db: DbOrTx, userId: string, activeOrganizationId: string | null) {
  if (activeOrganizationId) {
    const m = await membershipOf(db, userId, activeOrganizationId);
    if (m) return m;
  }
  const first = await db
    .selectFrom('organization_members')
    .select('organization_id')
    .where('user_id', '=', userId)
    .orderBy('created_at')
    .limit(1)
    .executeTakeFirst();
  return first ? membershipOf(db, userId, first.organization_id) : null;
}
