import type { MiddlewareHandler } from 'hono';
import type { Db } from '../../db/index.ts';
import { getPlatformSettings } from '../../domain/settings/platform.ts';
import { themeFor } from '../../domain/settings/themes.ts';
import type { DataCache } from '../../lib/data-cache.ts';

/**
 * The colour preset every page of this request is drawn in (issue 16 item 7): the signed-in
 * person's own choice (`users.theme`, carried by the session), else the platform default from
 * the process's data cache (no query per page). views/shared/_theme_init.eta puts it on <html>
 * as `data-theme` before first paint.
 *
 * @example html.use(themeLoader({ db, cache: deps.cache }))
 */
export function themeLoader(opts: { db: Db; cache?: DataCache }): MiddlewareHandler {
  return async function themeLoaderMiddleware(c, next) {
    const { defaultTheme } = await getPlatformSettings(opts.db, { cache: opts.cache });
    c.set('theme', themeFor(c.get('auth')?.user.theme, defaultTheme));
    await next();
  };
}
