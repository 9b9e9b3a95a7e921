import { sql } from 'kysely';
import { inTransaction, type Tx } from '../../db/index.ts';
import { AppError, ForbiddenError, NotFoundError } from '../../lib/errors.ts';
import type { Actor } from '../access/actor.ts';
import type { Deps } from '../deps.ts';
import { checkedId, requirePlatformAdmin } from '../access/guard.ts';
import { recordAdminChange } from '../activity/record.ts';

/**
 * Granting and removing platform-admin access. Changes to the set of admins run one at a
 * time (a transaction-scoped advisory lock), and each re-reads the set under that lock, so
 * two admins demoting each other at the same moment cannot leave the platform with none.
 */
const ADMIN_SET_LOCK = 7_301_001;

async function lockAdminSet(trx: Tx, actor: Actor) {
  await sql`select pg_advisory_xact_lock(${ADMIN_SET_LOCK})`.execute(trx);
  // The actor may have been demoted a moment ago by another admin.
  const me = await trx.selectFrom('users').select('is_admin').where('id', '=', actor.userId).executeTakeFirst();
  if (!me?.is_admin) throw new ForbiddenError('Only platform staff can do that.');
}

async function loadTarget(trx: Tx, userId: string) {
  const user = await trx
    .selectFrom('users')
    .select(['id', 'status', 'is_admin'])
    .where('id', '=', checkedId(userId))
    .executeTakeFirst();
  if (!user) throw new NotFoundError('No such user.');
  return user;
}

/** Makes an active user a platform admin. False when they already were. */
export async function promoteUser(
  deps: Pick<Deps, 'db' | 'clock'>,
  actor: Actor,
  input: { userId: string },
): Promise<boolean> {
  requirePlatformAdmin(actor);
  return inTransaction(deps.db, async (trx) => {
    await lockAdminSet(trx, actor);
    const user = await loadTarget(trx, input.userId);
    if (user.is_admin) return false;
    if (user.status !== 'active')
      throw new AppError(
        'user_not_active',
        422,
        'Only an active account can become a platform admin. Reactivate it first.',
      );
    const res = await trx
      .updateTable('users')
      .set({ is_admin: true, updated_at: deps.clock.now() })
      .where('id', '=', user.id)
      .where('status', '=', 'active')
      .executeTakeFirst();
    if (res.numUpdatedRows === 0n)
      throw new AppError(
        'user_not_active',
        422,
        'Only an active account can become a platform admin. Reactivate it first.',
      );
    // Admins are never impersonated: an impersonation of this user that is running ends now.
    await trx
      .deleteFrom('sessions')
      .where('user_id', '=', user.id)
      .where('impersonator_user_id', 'is not', null)
      .execute();
    await recordAdminChange(trx, actor, 'admin.user_promoted', user.id, deps.clock.now());
    return true;
  });
}

/** Removes platform-admin access: never your own, never the last active admin's. False when they were not an admin. */
export async function demoteUser(
  deps: Pick<Deps, 'db' | 'clock'>,
  actor: Actor,
  input: { userId: string },
): Promise<boolean> {
  requirePlatformAdmin(actor);
  if (input.userId === actor.userId)
    throw new AppError('cannot_demote_self', 422, 'You cannot remove your own admin access. Ask another admin.');
  return inTransaction(deps.db, async (trx) => {
    await lockAdminSet(trx, actor);
    const user = await loadTarget(trx, input.userId);
    if (!user.is_admin) return false;
    const others = await trx
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('is_admin', '=', true)
      .where('status', '=', 'active')
      .where('id', '!=', user.id)
      .executeTakeFirstOrThrow();
    if (Number(others.n) === 0)
      throw new AppError('last_admin', 422, 'This is the last platform admin. Promote someone else first.');
    await trx
      .updateTable('users')
      .set({ is_admin: false, updated_at: deps.clock.now() })
      .where('id', '=', user.id)
      .execute();
    await recordAdminChange(trx, actor, 'admin.user_demoted', user.id, deps.clock.now());
    return true;
  });
}
