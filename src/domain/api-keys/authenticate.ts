import { sql } from 'kysely';
import type { DbOrTx } from '../../db/index.ts';
import { hashToken } from '../../lib/crypto.ts';
import { toPermissions } from '../access/actor.ts';
import { API_KEY_PREFIX } from './keys.ts';

/** last_used_at is written at most this often, so a busy key does not write on every call. */
const TOUCH_AFTER_MS = 60_000;

export interface ApiKeyCaller {
  keyId: string;
  organizationId: string;
  roleName: string;
  /** The key's permissions that its owner still holds in the key's organization today. */
  permissions: ReturnType<typeof toPermissions>;
  user: { id: string; email: string; name: string; activeOrganizationId: string | null };
}

/**
 * The caller behind an API key, or null when the key is unknown, revoked, expired, its owner
 * is not active, or its owner no longer belongs to the key's organization. Permissions are
 * the key's intersected with the owner's current role, so demoting the owner narrows the key
 * on its next request. Platform-admin powers are never part of it.
 */
export async function findApiKey(db: DbOrTx, token: string, now: Date): Promise<ApiKeyCaller | null> {
  if (!token.startsWith(API_KEY_PREFIX)) return null;
  const row = await db
    .selectFrom('api_keys as k')
    .innerJoin('users as u', 'u.id', 'k.user_id')
    .innerJoin('organization_members as m', (j) =>
      j.onRef('m.user_id', '=', 'k.user_id').onRef('m.organization_id', '=', 'k.organization_id'),
    )
    .innerJoin('roles as r', 'r.id', 'm.role_id')
    .select([
      'k.id as key_id',
      'k.organization_id',
      'k.permissions as key_permissions',
      'k.last_used_at',
      'r.name as role_name',
      'r.permissions as role_permissions',
      'u.id',
      'u.email',
      'u.name',
      'u.active_organization_id',
    ])
    .where('k.key_hash', '=', hashToken(token))
    .where('k.revoked_at', 'is', null)
    .where((eb) => eb.or([eb('k.expires_at', 'is', null), eb('k.expires_at', '>', now)]))
    .where('u.status', '=', 'active')
    .executeTakeFirst();
  if (!row) return null;
  if (!row.last_used_at || now.getTime() - row.last_used_at.getTime() > TOUCH_AFTER_MS) {
    // Guarded, so concurrent requests write once.
    await db
      .updateTable('api_keys')
      .set({ last_used_at: now })
      .where('id', '=', row.key_id)
      .where((eb) =>
        eb.or([
          eb('last_used_at', 'is', null),
          eb('last_used_at', '<', sql<Date>`${now}::timestamptz - interval '1 minute'`),
        ]),
      )
      .execute();
  }
  const held = new Set(row.role_permissions);
  return {
    keyId: row.key_id,
    organizationId: row.organization_id,
    roleName: row.role_name,
    permissions: toPermissions(row.key_permissions.filter((p) => held.has(p))),
    user: { id: row.id, email: row.email, name: row.name, activeOrganizationId: row.active_organization_id },
  };
}
