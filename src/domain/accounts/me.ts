import { type DataCache, userScope } from '../../lib/data-cache.ts';
import type { Db } from '../../db/index.ts';

/**
 * The organizations a user belongs to, with their role and balance, oldest first. With `cache`,
 * kept per user until one of their memberships or one of those organizations (name, wallet,
 * roles) changes (src/lib/data-cache.ts).
 */
export async function userOrganizations(db: Db, userId: string, opts: { cache?: DataCache } = {}) {
  if (opts.cache)
    return opts.cache.read(
      `organizations:${userId}`,
      (orgs) => [userScope(userId), ...orgs.map((o) => o.id)],
      () => readUserOrganizations(db, userId),
    );
  return readUserOrganizations(db, userId);
}

function readUserOrganizations(db: Db, userId: string) {
  return db
    .selectFrom('organization_members as m')
    .innerJoin('organizations as o', 'o.id', 'm.organization_id')
    .innerJoin('roles as r', 'r.id', 'm.role_id')
    .innerJoin('wallets as w', 'w.organization_id', 'o.id')
    .select([
      'o.id',
      'o.name',
      'o.personal',
      'r.name as role',
      'r.permissions',
      'w.balance',
      'w.currency',
      'o.created_at',
    ])
    .where('m.user_id', '=', userId)
    .orderBy('o.created_at')
    .execute();
}

export async function getUser(db: Db, userId: string) {
  return db
    .selectFrom('users')
    .select([
      'id',
      'email',
      'name',
      'phone',
      'timezone',
      'is_admin',
      'status',
      'email_verified_at',
      'totp_enabled_at',
      'active_organization_id',
      'created_at',
    ])
    .where('id', '=', userId)
    .executeTakeFirstOrThrow();
}
