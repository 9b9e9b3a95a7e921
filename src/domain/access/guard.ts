import { AppError, ForbiddenError, NotFoundError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import type { Actor } from './actor.ts';

/**
 * Every staff function starts here. `isPlatformAdmin` is false for API keys and while
 * impersonating, so neither can reach staff powers even if a route forgot its middleware.
 */
export function requirePlatformAdmin(actor: Actor | null | undefined): asserts actor is Actor {
  if (!actor?.isPlatformAdmin) throw new ForbiddenError('Only platform staff can do that.');
}

/**
 * Whether staff may change how `target` signs in: the address reset links go to, and the
 * second factor. Not for another platform admin: any admin could otherwise reset a colleague's
 * two-factor, point their email at an address of their own, follow the reset link and hold the
 * account, admin rights and all. A colleague changes these themselves under Settings, or loses
 * admin access first (visibly, in the log). The twin the domain calls: `assertMayChangeSignInOf`.
 */
export function mayChangeSignInOf(actor: Actor, target: { id: string; is_admin: boolean }): boolean {
  return !target.is_admin || target.id === actor.userId;
}

export const ADMIN_SIGN_IN_PROTECTED =
  "Another platform admin's email address and two-factor authentication are theirs to change, under Settings. Remove their admin access first if you must.";

/** Refuses (403) what `mayChangeSignInOf` forbids. */
export function assertMayChangeSignInOf(actor: Actor, target: { id: string; is_admin: boolean }): void {
  if (!mayChangeSignInOf(actor, target)) throw new AppError('admin_sign_in_protected', 403, ADMIN_SIGN_IN_PROTECTED);
}

/** An id from a URL that is not a UUID names nothing: 404, not a database error. */
export function checkedId(id: string): string {
  if (!isUuid(id)) throw new NotFoundError('No such user.');
  return id;
}
