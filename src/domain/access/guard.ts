import { ForbiddenError, NotFoundError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import type { Actor } from './actor.ts';

/**
 * Every staff function starts here. `isPlatformAdmin` is false for API keys and while
 * impersonating, so neither can reach staff powers even if a route forgot its middleware.
 */
export function requirePlatformAdmin(actor: Actor | null | undefined): asserts actor is Actor {
  if (!actor?.isPlatformAdmin) throw new ForbiddenError('Only platform staff can do that.');
}

/** An id from a URL that is not a UUID names nothing: 404, not a database error. */
export function checkedId(id: string): string {
  if (!isUuid(id)) throw new NotFoundError('No such user.');
  return id;
}
