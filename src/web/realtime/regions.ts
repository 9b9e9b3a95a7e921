import { Hono } from 'hono';
import { activeBalance } from '../../domain/notifications/header.ts';
import type { AppDeps } from '../context.ts';
import type { Renderer } from '../render.ts';

/**
 * Live regions of the portal's layout that are not a page's own (issue 14 item 8), each
 * re-fetched by the region itself when its event arrives over `/events` (sse.ts):
 *
 *   GET /wallet/balance   the header's balance (views/shared/_header_balance.eta), on `wallet`
 *
 * The bell's count and dropdown live with the notifications (pages/portal/notifications.ts).
 * Read afresh, not from the data cache: they are asked for exactly when something changed.
 * Without SSE a region simply keeps what the page showed; the next page shows the truth.
 */
export function liveRegionPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();
  app.get('/balance', async (c) =>
    view.partial(c, 'shared/_header_balance', { balance: await activeBalance(deps.db, c.get('actor') ?? null) }),
  );
  return app;
}
