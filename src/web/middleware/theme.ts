import type { MiddlewareHandler } from 'hono';
import type { Db } from '../../db/index.ts';
import { getPlatformSettings } from '../../domain/settings/platform.ts';
import { brandingOf, getSiteSettings, type Branding, type SiteSettings } from '../../domain/settings/site.ts';
import { isTheme, themeFor } from '../../domain/settings/themes.ts';
import type { DataCache } from '../../lib/data-cache.ts';
import { derived } from '../../lib/shared-values.ts';

/**
 * The colour preset every page of this request is drawn in (issue 16 item 7): the signed-in
 * person's own choice (`users.theme`, carried by the session), else the platform default from
 * the process's data cache (no query per page). views/shared/_theme_init.eta puts it on <html>
 * as `data-theme` before first paint.
 *
 * Also the brand (issue 16 item 6, src/domain/settings/site.ts): `c.get('branding')`, which
 * layouts read as `it.ctx.branding` (name, logo, favicon, colour, footer links, support). The
 * brand colour is drawn only for people who keep the platform default (`brandColour`): a
 * person's own preset wins.
 *
 * @example html.use(themeLoader({ db, cache: deps.cache, brandName: config.BRAND_NAME }))
 */
/**
 * The brand as pages print it, worked out once per settings read (`derived`: the data cache hands
 * out the same object until the settings change): with the brand colour, and without it for
 * people on a preset of their own.
 */
function brandsOf(site: SiteSettings): { platform: Branding; ownTheme: Branding } {
  const branding = brandingOf(site);
  return {
    platform: { ...branding, brandColour: branding.primaryColor },
    ownTheme: { ...branding, brandColour: null },
  };
}

export function themeLoader(opts: { db: Db; cache?: DataCache; brandName?: string }): MiddlewareHandler {
  return async function themeLoaderMiddleware(c, next) {
    const { defaultTheme } = await getPlatformSettings(opts.db, { cache: opts.cache });
    const own = c.get('auth')?.user.theme;
    c.set('theme', themeFor(own, defaultTheme));
    const site = await getSiteSettings(opts.db, { cache: opts.cache, brandName: opts.brandName });
    const b = derived(site, brandsOf);
    c.set('branding', isTheme(own) ? b.ownTheme : b.platform);
    await next();
  };
}
