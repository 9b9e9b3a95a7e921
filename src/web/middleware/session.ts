import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Config } from '../../config.ts';
import type { Db } from '../../db/index.ts';
import type { SessionCache } from '../../domain/accounts/session-cache.ts';
import { findSession } from '../../domain/accounts/sessions.ts';
import type { Clock } from '../../lib/time.ts';

/**
 * Loads the browser session from its cookie into `c.get('auth')` (signed in) or
 * `c.get('pendingMfa')` (second factor owed). Never used on the bearer-authenticated API.
 *
 * Sessions come from `cache` while it holds them (src/domain/accounts/session-cache.ts).
 *
 * @example app.use(sessionLoader({ db, config, clock, cache: deps.sessionCache }))
 */
export function sessionLoader(opts: { db: Db; config: Config; clock: Clock; cache?: SessionCache }): MiddlewareHandler {
  return async function sessionLoaderMiddleware(c, next) {
    c.set('auth', null);
    c.set('pendingMfa', null);
    const token = getCookie(c, opts.config.cookieName);
    if (token && token.length <= 100) {
      const session = await findSession(opts.db, opts.config, token, opts.clock.now(), opts.cache);
      if (session?.stage === 'full') c.set('auth', session);
      else if (session?.stage === 'mfa') c.set('pendingMfa', session);
      else clearSessionCookie(c, opts.config);
    }
    await next();
  };
}

export function setSessionCookie(c: Context, config: Config, token: string, expiresAt: Date): void {
  setCookie(c, config.cookieName, token, {
    path: '/',
    httpOnly: true,
    secure: config.isProduction,
    sameSite: 'Lax',
    expires: expiresAt,
  });
}

export function clearSessionCookie(c: Context, config: Config): void {
  deleteCookie(c, config.cookieName, { path: '/', secure: config.isProduction });
}
