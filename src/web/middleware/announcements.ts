import type { MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { announcementsFor, type ShownAnnouncement } from '../../domain/announcements/announcements.ts';
import type { Db } from '../../db/index.ts';
import type { DataCache } from '../../lib/data-cache.ts';
import { isUuid } from '../../lib/ids.ts';
import type { Clock } from '../../lib/time.ts';

/** The cookie holding the ids of the announcements a guest dismissed (comma-separated, newest last). */
export const DISMISSED_COOKIE = 'sp_dismissed';
/** How many dismissed ids a guest's cookie keeps (older ones fall off). */
export const MAX_GUEST_DISMISSALS = 20;

/** The ids in a guest's dismissal cookie (anything that is no id is ignored). */
export function guestDismissals(raw: string | undefined): string[] {
  return (raw ?? '')
    .split(/[,\s]+/)
    .filter((id) => isUuid(id))
    .slice(-MAX_GUEST_DISMISSALS);
}

/**
 * The announcements this visitor sees, for every layout's banner (views/shared/_announcements.eta
 * reads `it.ctx.announcements`): read from the process's data cache, filtered by the window,
 * the audience and their dismissals. Runs after the actor is known.
 *
 * @example html.use(announcementsLoader({ db, clock, cache: deps.cache }))
 */
export function announcementsLoader(opts: { db: Db; clock: Clock; cache?: DataCache }): MiddlewareHandler {
  return async function announcementsMiddleware(c, next) {
    const user = c.get('auth')?.user ?? null;
    const actor = c.get('actor') ?? null;
    const shown: ShownAnnouncement[] = await announcementsFor(opts, {
      userId: user?.id ?? null,
      isPlatformAdmin: actor?.isPlatformAdmin === true,
      dismissedIds: user ? [] : guestDismissals(getCookie(c, DISMISSED_COOKIE)),
    });
    c.set('announcements', shown);
    return next();
  };
}
