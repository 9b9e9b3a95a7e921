import { UnauthenticatedError } from '../../lib/errors.ts';
import { signInPath } from '../local-path.ts';
import type { MiddlewareHandler } from 'hono';

/**
 * Lets only signed-in users through; others go to the sign-in page (and come back after). A
 * write from someone not signed in is 401 with the error page, which links to sign-in and back
 * to the page the form was on; an htmx request is also told to go there (HX-Redirect), so the
 * page does not just sit still. (A form whose session ended is mostly refused before this, by
 * its CSRF token: middleware/csrf.ts.)
 *
 * @example area.use('*', requireUser())
 */
export function requireUser(): MiddlewareHandler {
  return async function requireUserMiddleware(c, next) {
    if (c.get('auth')) return next();
    if (c.req.method === 'GET') {
      const url = new URL(c.req.url);
      return c.redirect(`/login?next=${encodeURIComponent(url.pathname + url.search)}`, 303);
    }
    if (c.req.header('hx-request')) c.header('HX-Redirect', signInPath(c));
    throw new UnauthenticatedError('You are not signed in, or your session has ended.');
  };
}

/**
 * Platform staff only. Signed-in non-admins get 404: the admin area does not exist for them,
 * nor for an admin while impersonating (the actor's `isPlatformAdmin` is false then).
 *
 * @example area.use('*', requireAdmin())
 */
export function requireAdmin(): MiddlewareHandler {
  const user = requireUser();
  return async function requireAdminMiddleware(c, next) {
    if (!c.get('auth')) return user(c, next);
    if (!c.get('actor')?.isPlatformAdmin) return c.notFound();
    return next();
  };
}

/**
 * Only a browser that is impersonating; everyone else gets 404 (there is nothing to stop).
 *
 * @example area.use('*', requireImpersonation())
 */
export function requireImpersonation(): MiddlewareHandler {
  return async function requireImpersonationMiddleware(c, next) {
    if (!c.get('auth')?.impersonatorUserId || !c.get('actor')) return c.notFound();
    return next();
  };
}
