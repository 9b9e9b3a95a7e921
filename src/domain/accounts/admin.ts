import { z } from 'zod';
import type { DbOrTx } from '../../db/index.ts';
import { likePattern } from '../../db/like.ts';
import { offsetOf, pageCount, pageNumber } from '../../db/paging.ts';
import { NotFoundError } from '../../lib/errors.ts';
import type { Actor } from '../access/actor.ts';
import { checkedId, requirePlatformAdmin } from '../access/guard.ts';

/** Staff reads of user accounts: the searchable list and one user's detail page. */
export const USERS_PER_PAGE = 50;

const USER_STATUSES = ['active', 'suspended', 'review'] as const;

/** Query-string filters: an unknown value is ignored rather than refused (it is a GET). */
export const userListInput = z.object({
  q: z.string().trim().max(200).catch(''),
  status: z.enum(USER_STATUSES).optional().catch(undefined),
  admin: z.enum(['yes', 'no']).optional().catch(undefined),
  page: pageNumber,
});
export type UserListFilters = z.infer<typeof userListInput>;

export async function listUsers(db: DbOrTx, actor: Actor, raw: unknown) {
  requirePlatformAdmin(actor);
  const filters = userListInput.parse(raw ?? {});
  const { limit, offset } = offsetOf(filters.page, USERS_PER_PAGE);
  let q = db.selectFrom('users');
  if (filters.q)
    q = q.where((eb) =>
      eb.or([eb('name', 'ilike', likePattern(filters.q)), eb('email', 'ilike', likePattern(filters.q))]),
    );
  if (filters.status) q = q.where('status', '=', filters.status);
  if (filters.admin) q = q.where('is_admin', '=', filters.admin === 'yes');
  const [rows, count] = await Promise.all([
    q
      .select([
        'id',
        'name',
        'email',
        'status',
        'is_admin',
        'email_verified_at',
        'totp_enabled_at',
        'last_sign_in_at',
        'created_at',
      ])
      .orderBy('created_at', 'desc')
      .orderBy('id')
      .limit(limit)
      .offset(offset)
      .execute(),
    q.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
  ]);
  const total = Number(count.n);
  return { users: rows, filters, total, pages: pageCount(total, USERS_PER_PAGE) };
}

/**
 * One user with their organizations (role, wallet), live sessions (seen within `idleMinutes`
 * of `now`) and recent activity.
 */
export async function userDetail(db: DbOrTx, actor: Actor, userId: string, at: { now: Date; idleMinutes: number }) {
  requirePlatformAdmin(actor);
  const id = checkedId(userId);
  const user = await db
    .selectFrom('users')
    .select([
      'id',
      'name',
      'email',
      'phone',
      'status',
      'is_admin',
      'timezone',
      'email_verified_at',
      'totp_enabled_at',
      'last_sign_in_at',
      'created_at',
      'updated_at',
    ])
    .where('id', '=', id)
    .executeTakeFirst();
  if (!user) throw new NotFoundError('No such user.');
  const { now } = at;
  const idleCutoff = new Date(now.getTime() - at.idleMinutes * 60_000);
  const [organizations, sessions, activity] = await Promise.all([
    db
      .selectFrom('organization_members as m')
      .innerJoin('organizations as o', 'o.id', 'm.organization_id')
      .innerJoin('roles as r', 'r.id', 'm.role_id')
      .leftJoin('wallets as w', 'w.organization_id', 'o.id')
      .select([
        'o.id',
        'o.name',
        'o.personal',
        'r.name as role',
        'w.balance',
        'w.currency',
        'm.created_at as joined_at',
      ])
      .where('m.user_id', '=', id)
      .orderBy('m.created_at')
      .execute(),
    db
      .selectFrom('sessions as s')
      .leftJoin('users as i', 'i.id', 's.impersonator_user_id')
      .select([
        's.id',
        's.ip',
        's.user_agent',
        's.created_at',
        's.last_seen_at',
        's.expires_at',
        's.impersonator_user_id',
        'i.email as impersonator_email',
      ])
      .where('s.user_id', '=', id)
      .where('s.stage', '=', 'full')
      .where('s.expires_at', '>', now)
      .where('s.last_seen_at', '>', idleCutoff)
      .orderBy('s.last_seen_at', 'desc')
      .execute(),
    db
      .selectFrom('activity_log as l')
      .leftJoin('users as a', 'a.id', 'l.actor_user_id')
      .select([
        'l.id',
        'l.occurred_at',
        'l.action',
        'l.actor_user_id',
        'a.email as actor_email',
        'l.impersonator_user_id',
        'l.target_type',
        'l.target_id',
        'l.ip',
        'l.details',
      ])
      .where((eb) => eb.or([eb('l.actor_user_id', '=', id), eb('l.target_id', '=', id)]))
      .orderBy('l.occurred_at', 'desc')
      .orderBy('l.id')
      .limit(25)
      .execute(),
  ]);
  return { user, organizations, sessions, activity };
}
