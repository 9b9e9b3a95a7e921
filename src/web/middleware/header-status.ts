import type { MiddlewareHandler } from 'hono';
import type { Db } from '../../db/index.ts';
import { headerStatus } from '../../domain/notifications/header.ts';
import type { DataCache } from '../../lib/data-cache.ts';

/**
 * Loads `c.get('headerStatus')` for the portal layout's header (views/shared/_bell.eta,
 * _header_balance.eta): the signed-in person's unread notifications and, when they may see
 * billing, the active organization's balance. Both kept in the data cache, so a page view
 * usually asks PostgreSQL nothing for them. Every method: a form sent back with its errors
 * (422) is a whole page too, and it changed nothing, so what was read before it is still
 * true (a write that succeeds redirects, and the next page reads again; the balance also
 * refreshes itself on `wallet` events). Not a region an htmx request asked for alone (no
 * layout), the admin area, the event stream or PayPal's return pages (which credit the wallet
 * while they render). Without it the layout's bell loads its count itself.
 *
 * @example html.use(headerStatusLoader({ db, cache }))
 */
export function headerStatusLoader(opts: { db: Db; cache: DataCache }): MiddlewareHandler {
  return async function headerStatusLoaderMiddleware(c, next) {
    c.set('headerStatus', null);
    const auth = c.get('auth');
    const path = c.req.path;
    const skip =
      path.startsWith('/admin') ||
      path === '/events' ||
      path.startsWith('/billing/payment/') ||
      path.startsWith('/notifications/') ||
      c.req.header('hx-target') !== undefined;
    if (auth && !skip)
      c.set('headerStatus', await headerStatus(opts.db, auth.user.id, c.get('actor'), { cache: opts.cache }));
    await next();
  };
}
