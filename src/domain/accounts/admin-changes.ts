import { z } from 'zod';
import { inTransaction } from '../../db/index.ts';
import { AppError, NotFoundError, ValidationError } from '../../lib/errors.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Actor } from '../access/actor.ts';
import { unlockAccount } from './login.ts';
import { profileInput } from './profile.ts';
import { emailSchema, nameSchema } from './register.ts';
import { issueUserToken } from './user-tokens.ts';
import type { Deps } from '../deps.ts';
import { queueEmail } from '../../mail/queue.ts';
import { clearAttempts } from '../security/attempts.ts';
import { codeAttemptsKey } from './two-factor.ts';
import {
  ADMIN_SIGN_IN_PROTECTED,
  assertMayChangeSignInOf,
  checkedId,
  mayChangeSignInOf,
  requirePlatformAdmin,
} from '../access/guard.ts';
import { recordAdminChange } from '../activity/record.ts';

/**
 * Staff changes to one user's account. Each records an `admin.*` activity row in the same
 * transaction, with the admin as actor and the user as target.
 *
 * users.status transitions made here (the set itself is in the accounts migration):
 *   active | review  → suspended   suspendUser: every session ends at once; tokens and keys
 *                                  stop working because they check status = 'active'
 *   suspended → active             reactivateUser (an account held for review is decided in
 *                                  the fraud review queue, so the screening is not bypassed)
 * Platform admins are never suspended (demote first), so an admin is always an active user.
 * Nor can staff change another platform admin's email address or reset their two-factor
 * (access/guard.ts, `mayChangeSignInOf`): each update is guarded in its statement, so a
 * promotion that lands meanwhile is respected too.
 */
export const updateUserInput = z.object({ name: nameSchema, email: emailSchema, phone: profileInput.shape.phone });

const EMAIL_TAKEN = 'Another account already uses this email address.';

async function loadUser(deps: Pick<Deps, 'db'>, userId: string) {
  const user = await deps.db
    .selectFrom('users')
    .select(['id', 'name', 'email', 'phone', 'status', 'is_admin', 'totp_enabled_at'])
    .where('id', '=', checkedId(userId))
    .executeTakeFirst();
  if (!user) throw new NotFoundError('No such user.');
  return user;
}

/** Edits name, email and phone. A new email is unconfirmed again: a link goes there, the old address is told. */
export async function updateUser(deps: Deps, actor: Actor, input: { userId: string; values: unknown }) {
  requirePlatformAdmin(actor);
  const user = await loadUser(deps, input.userId);
  const v = parseInput(updateUserInput, input.values);
  const phone = v.phone ?? null;
  const changed = (['name', 'email', 'phone'] as const).filter(
    (k) => ({ name: v.name, email: v.email, phone })[k] !== user[k],
  );
  if (!changed.length) return changed;
  const now = deps.clock.now();
  const emailChanged = changed.includes('email');
  if (emailChanged && !mayChangeSignInOf(actor, user)) throw new ValidationError({ email: ADMIN_SIGN_IN_PROTECTED });
  try {
    await inTransaction(deps.db, async (trx) => {
      const taken =
        emailChanged &&
        (await trx
          .selectFrom('users')
          .select('id')
          .where('email', '=', v.email)
          .where('id', '!=', user.id)
          .executeTakeFirst());
      if (taken) throw new ValidationError({ email: EMAIL_TAKEN });
      const res = await trx
        .updateTable('users')
        .set({
          name: v.name,
          email: v.email,
          phone,
          updated_at: now,
          ...(emailChanged ? { email_verified_at: null } : {}),
        })
        .where('id', '=', user.id)
        .$if(emailChanged && user.id !== actor.userId, (q) => q.where('is_admin', '=', false))
        .executeTakeFirst();
      if (res.numUpdatedRows === 0n) throw new ValidationError({ email: ADMIN_SIGN_IN_PROTECTED });
      if (emailChanged) {
        const token = await issueUserToken(trx, user.id, 'verify_email', v.email, now);
        await queueEmail(deps, trx, v.email, 'verify_email', {
          name: v.name,
          verifyUrl: `${deps.config.publicUrl}/verify-email/${token}`,
        });
        await queueEmail(deps, trx, user.email, 'email_changed', {
          name: user.name,
          newEmail: v.email,
          when: now.toUTCString(),
        });
      }
      await recordAdminChange(trx, actor, 'admin.user_updated', user.id, now, { fields: changed.join(',') });
    });
  } catch (err) {
    if ((err as { code?: string }).code === '23505') throw new ValidationError({ email: EMAIL_TAKEN });
    throw err;
  }
  return changed;
}

/** Blocks the account and ends every session now. False when it was already suspended. */
export async function suspendUser(deps: Deps, actor: Actor, input: { userId: string }): Promise<boolean> {
  requirePlatformAdmin(actor);
  const user = await loadUser(deps, input.userId);
  if (user.id === actor.userId) throw new AppError('cannot_suspend_self', 422, 'You cannot suspend your own account.');
  if (user.is_admin)
    throw new AppError(
      'cannot_suspend_admin',
      422,
      'Platform admins cannot be suspended. Remove their admin access first.',
    );
  const now = deps.clock.now();
  return inTransaction(deps.db, async (trx) => {
    // Guarded: a concurrent promotion makes this match nothing, so no suspended admin exists.
    const res = await trx
      .updateTable('users')
      .set({ status: 'suspended', updated_at: now })
      .where('id', '=', user.id)
      .where('status', '!=', 'suspended')
      .where('is_admin', '=', false)
      .executeTakeFirst();
    if (res.numUpdatedRows === 0n) return false;
    // Impersonation sessions of this user go too (they are rows of this user).
    const ended = await trx.deleteFrom('sessions').where('user_id', '=', user.id).executeTakeFirst();
    await recordAdminChange(trx, actor, 'admin.user_suspended', user.id, now, {
      previous_status: user.status,
      sessions_ended: Number(ended.numDeletedRows),
    });
    return true;
  });
}

/** Lets a suspended account sign in again. False when it was already active. */
export async function reactivateUser(deps: Deps, actor: Actor, input: { userId: string }): Promise<boolean> {
  requirePlatformAdmin(actor);
  const user = await loadUser(deps, input.userId);
  if (user.status === 'review')
    throw new AppError(
      'held_for_review',
      422,
      'This account is held by fraud screening: allow or block it in the fraud review queue.',
    );
  const now = deps.clock.now();
  return inTransaction(deps.db, async (trx) => {
    const res = await trx
      .updateTable('users')
      .set({ status: 'active', updated_at: now })
      .where('id', '=', user.id)
      .where('status', '=', 'suspended')
      .executeTakeFirst();
    if (res.numUpdatedRows === 0n) return false;
    await recordAdminChange(trx, actor, 'admin.user_reactivated', user.id, now, { previous_status: user.status });
    return true;
  });
}

/** Lifts a brute-force lockout: failed sign-ins for the email and failed second-factor codes. */
export async function unlockUser(deps: Deps, actor: Actor, input: { userId: string }): Promise<void> {
  requirePlatformAdmin(actor);
  const user = await loadUser(deps, input.userId);
  await inTransaction(deps.db, async (trx) => {
    await unlockAccount({ db: trx }, user.email);
    await clearAttempts(trx, codeAttemptsKey(user.id));
    await recordAdminChange(trx, actor, 'admin.user_unlocked', user.id, deps.clock.now());
  });
}

/** Turns two-factor authentication off (secret and recovery codes gone) for a user who lost their device. */
export async function resetTwoFactor(deps: Deps, actor: Actor, input: { userId: string }): Promise<boolean> {
  requirePlatformAdmin(actor);
  const user = await loadUser(deps, input.userId);
  assertMayChangeSignInOf(actor, user);
  const now = deps.clock.now();
  return inTransaction(deps.db, async (trx) => {
    const res = await trx
      .updateTable('users')
      .set({ totp_secret: null, totp_enabled_at: null, totp_last_step: 0, updated_at: now })
      .where('id', '=', user.id)
      .$if(user.id !== actor.userId, (q) => q.where('is_admin', '=', false))
      .where((eb) => eb.or([eb('totp_enabled_at', 'is not', null), eb('totp_secret', 'is not', null)]))
      .executeTakeFirst();
    if (res.numUpdatedRows === 0n) {
      // Not on (leftover recovery codes still go), or promoted meanwhile (then nothing is touched).
      await trx
        .deleteFrom('recovery_codes')
        .where('user_id', 'in', (eb) =>
          eb
            .selectFrom('users')
            .select('id')
            .where('id', '=', user.id)
            .where((w) => w.or([w('is_admin', '=', false), w('id', '=', actor.userId)])),
        )
        .execute();
      return false;
    }
    await trx.deleteFrom('recovery_codes').where('user_id', '=', user.id).execute();
    if (user.totp_enabled_at)
      await queueEmail(deps, trx, user.email, 'two_factor_changed', {
        name: user.name,
        enabled: false,
        when: now.toUTCString(),
      });
    await recordAdminChange(trx, actor, 'admin.two_factor_reset', user.id, now);
    return true;
  });
}
