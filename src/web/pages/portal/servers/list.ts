import { Hono } from 'hono';
import { hasEmulatedProvider, offeredRegions } from '../../../../domain/catalogue/offer.ts';
import { listServers } from '../../../../domain/servers/query.ts';
import { SERVER_STATUSES } from '../../../../domain/servers/status.ts';
import type { ServerView } from '../../../../domain/servers/view.ts';
import { ValidationError } from '../../../../lib/errors.ts';
import { share } from '../../../../lib/shared-values.ts';
import { actorOf } from '../../../actor.ts';
import type { AppDeps } from '../../../context.ts';
import type { Renderer } from '../../../render.ts';
import { serverFormat, STATUS_LABELS } from './present.ts';

const PAGE = 25;
/** The status filter's options; shared (src/lib/shared-values.ts), so a kept page is found by it. */
const STATUS_OPTIONS = share(SERVER_STATUSES.map((s) => ({ value: s, label: STATUS_LABELS[s] })));
const FILTERS = ['q', 'status', 'region'] as const;

/**
 * GET /vps: the organization's servers (vps_view) with search and filters. The rows are one
 * region (`server-rows`) that re-fetches itself when the event stream says a server's status
 * changed, so provisioning → running shows without a reload.
 */
export function serverListPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();
  app.get('/', async (c) => {
    const filters = Object.fromEntries(FILTERS.map((k) => [k, (c.req.query(k) ?? '').trim()]));
    const query = new URLSearchParams(Object.entries(filters).filter(([, v]) => v)).toString();
    const cursor = c.req.query('cursor') || null;
    let page: { items: ServerView[]; nextCursor: string | null } = { items: [], nextCursor: null };
    let errors: Record<string, string> = {};
    try {
      page = await listServers(deps, actorOf(c), filters, { limit: PAGE, cursor });
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      errors = err.fields ?? {};
    }
    const here = new URLSearchParams(query);
    if (cursor) here.set('cursor', cursor);
    const [regions, emulated] = await Promise.all([
      offeredRegions(deps.db, { cache: deps.cache }),
      hasEmulatedProvider(deps.db, { cache: deps.cache }),
    ]);
    const data = {
      servers: page.items,
      nextCursor: page.nextCursor,
      first: !cursor,
      filters,
      query,
      // What the live refresh fetches: this very page, cursor included.
      self: `/vps${here.size ? `?${here}` : ''}`,
      filtered: query !== '',
      errors,
      regions,
      statuses: STATUS_OPTIONS,
      emulated,
      fmt: serverFormat,
    };
    return view.page(c, 'portal/servers/index', data, {
      layout: 'portal',
      title: 'Servers',
      status: Object.keys(errors).length ? 422 : 200,
      region: { id: 'server-rows', partial: 'portal/servers/_rows' },
    });
  });
  return app;
}
