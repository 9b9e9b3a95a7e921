import type { MiddlewareHandler } from 'hono';
import type { Config } from '../../config.ts';
import type { Db } from '../../db/index.ts';
import { arrearsBanner } from '../../domain/dunning/query.ts';
import { dunningConfig } from '../../domain/settings/billing-policy.ts';
import type { DataCache } from '../../lib/data-cache.ts';
import type { Clock } from '../../lib/time.ts';

/**
 * Loads `c.get('arrears')` for the portal layout's banner (views/shared/_arrears_banner.eta): the
 * active organization's balance when it is below zero, and what happens when. One indexed
 * read, kept per organization in the data cache, on pages of the portal (not the admin area,
 * the event stream or PayPal's return pages). Every method, as header-status.ts: a form sent
 * back with its errors (422) shows the banner too.
 *
 * @example html.use(arrearsLoader({ db, config, clock, cache }))
 */
export function arrearsLoader(opts: { db: Db; config: Config; clock: Clock; cache: DataCache }): MiddlewareHandler {
  return async function arrearsLoaderMiddleware(c, next) {
    c.set('arrears', null);
    const path = c.req.path;
    // PayPal's return pages credit the wallet while they render: a balance read before would be stale.
    const skip = path.startsWith('/admin') || path === '/events' || path.startsWith('/billing/payment/');
    if (c.get('actor')?.organizationId && !skip)
      c.set(
        'arrears',
        await arrearsBanner(opts.db, c.get('actor'), {
          now: opts.clock.now(),
          config: () => dunningConfig(opts),
          cache: opts.cache,
        }),
      );
    await next();
  };
}
