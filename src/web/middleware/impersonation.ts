import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Config } from '../../config.ts';
import type { Db } from '../../db/index.ts';
import { findSession, revokeSession } from '../../domain/accounts/sessions.ts';
import { recordImpersonatedWrite } from '../../domain/admin/impersonation.ts';
import { ForbiddenError } from '../../lib/errors.ts';
import type { Clock } from '../../lib/time.ts';
import { flash, redirect } from '../render.ts';
import { loggablePath } from './request-context.ts';
import { setSessionCookie } from './session.ts';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/** While impersonating, the admin's own session token waits in this cookie (same attributes as the session cookie). */
export function adminSessionCookieName(config: Config): string {
  return config.isProduction ? '__Host-sp_admin_session' : 'sp_admin_session';
}

export function setAdminSessionCookie(c: Context, config: Config, token: string, expiresAt: Date): void {
  setCookie(c, adminSessionCookieName(config), token, {
    path: '/',
    httpOnly: true,
    secure: config.isProduction,
    sameSite: 'Lax',
    expires: expiresAt,
  });
}

export function clearAdminSessionCookie(c: Context, config: Config): void {
  deleteCookie(c, adminSessionCookieName(config), { path: '/', secure: config.isProduction });
}

export function readAdminSessionCookie(c: Context, config: Config): string | null {
  const token = getCookie(c, adminSessionCookieName(config));
  return token && token.length <= 100 ? token : null;
}

/**
 * Impersonation bookkeeping for the HTML app; run after `sessionLoader`, `actorLoader` and
 * `csrf`. While impersonating, every unsafe request is recorded (`admin.impersonated_write`,
 * with its status, and its path as the request log shows it: no tokens) and signing out signs
 * the admin's kept session out too. (Membership, invitation, role and ownership changes are
 * refused by the domain: `refuseMembershipChangeWhileImpersonating`.) Once the
 * impersonation is over without "Stop" (time limit, the user or a suspension ended it), the
 * next page view puts the admin's own session back; a normal sign-in drops the kept cookie.
 *
 * @example html.use(impersonation({ db, config, clock }))
 */
export function impersonation(opts: { db: Db; config: Config; clock: Clock }): MiddlewareHandler {
  return async function impersonationMiddleware(c, next) {
    const auth = c.get('auth');
    if (auth?.impersonatorUserId) {
      if (SAFE.has(c.req.method) || (c.req.method === 'DELETE' && c.req.path === '/impersonation')) return next();
      await next();
      const actor = c.get('actor');
      if (actor)
        await recordImpersonatedWrite(opts, actor, {
          method: c.req.method,
          path: loggablePath(c.req.path),
          status: c.res.status,
        });
      if (c.req.method === 'POST' && c.req.path === '/logout' && auth.impersonatorSessionId) {
        await revokeSession(opts.db, auth.impersonatorSessionId);
        clearAdminSessionCookie(c, opts.config);
      }
      return;
    }
    if (getCookie(c, adminSessionCookieName(opts.config)) === undefined) return next();
    const kept = readAdminSessionCookie(c, opts.config);
    if (auth || !kept) {
      clearAdminSessionCookie(c, opts.config);
      return next();
    }
    // Only a page view switches accounts: a form posted after the end must not run as the admin.
    if (c.req.method !== 'GET' || c.get('pendingMfa')) return next();
    clearAdminSessionCookie(c, opts.config);
    const admin = await findSession(opts.db, opts.config, kept, opts.clock.now());
    if (admin?.stage !== 'full' || admin.impersonatorUserId || !admin.user.isAdmin) return next();
    setSessionCookie(c, opts.config, kept, admin.expiresAt);
    flash(c, 'The impersonation has ended. You are back in your own account.', 'info');
    return redirect(c, '/admin/users');
  };
}

/**
 * Refuses unsafe requests made while impersonating (403 with a clear message): for the
 * account's own credentials and access — password, email, two-factor, sessions, API keys.
 * The guard of the `account-owner` areas (src/web/areas.ts).
 *
 * @example area.use('*', requireUser(), refuseWhileImpersonating())
 */
export function refuseWhileImpersonating(opts: { message?: string } = {}): MiddlewareHandler {
  const message =
    opts.message ??
    'Not while impersonating: the password, email address, two-factor authentication, sessions and API keys of this account can only be changed by its owner.';
  return async function refuseWhileImpersonatingMiddleware(c, next) {
    if (c.get('auth')?.impersonatorUserId && !SAFE.has(c.req.method)) throw new ForbiddenError(message);
    await next();
  };
}
