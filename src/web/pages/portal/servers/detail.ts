import { Hono, type Context } from 'hono';
import { deleteCookie, getCookie } from 'hono/cookie';
import { can } from '../../../../domain/access/actor.ts';
import { serverSettings } from '../../../../domain/catalogue/offer.ts';
import { addressesOf } from '../../../../domain/servers/addresses.ts';
import { backupsOf } from '../../../../domain/servers/backups.ts';
import { pageReach, serverPage } from '../../../../domain/servers/page.ts';
import { getServer, statsOf, transferOf } from '../../../../domain/servers/query.ts';
import { AppError } from '../../../../lib/errors.ts';
import { CloudError } from '../../../../providers/cloud.ts';
import { actorOf } from '../../../actor.ts';
import type { AppDeps } from '../../../context.ts';
import type { Renderer } from '../../../render.ts';
import { serverGraphs } from './charts.ts';
import { serverExtras } from './extras.ts';
import { serverFormat } from './present.ts';

/** The cookie that carries a generated root password to the server's page, once (never a URL, never stored). */
export const ROOT_PASSWORD_COOKIE = 'sp_root_password';

const none = { value: null, unavailable: null };

/** A read from the provider that may fail without failing the page: the page says it is unavailable. */
async function optional<T>(read: () => Promise<T>): Promise<{ value: T | null; unavailable: string | null }> {
  try {
    return { value: await read(), unavailable: null };
  } catch (err) {
    if (err instanceof AppError && err.status !== 404 && err.status !== 403)
      return { value: null, unavailable: err.message };
    // A provider that cannot be reached at all (no client for its row) says so in white-label words.
    if (err instanceof CloudError) return { value: null, unavailable: err.customerMessage };
    throw err;
  }
}

/**
 * Everything the server page shows (also used to show it again with an action's refusal).
 * The server is read once, with its costs and actions (servers/page.ts); then, together, its
 * firewalls and notes when it has some, and the provider, whose answers are kept a few seconds
 * per instance and read afresh after any change to the server.
 */
export async function loadDetail(deps: AppDeps, c: Context, id: string) {
  const actor = actorOf(c);
  const [page, settings] = await Promise.all([
    serverPage(deps, actor, id),
    serverSettings(deps.db, { cache: deps.cache }),
  ]);
  const { server, costs, actions, instance } = page;
  const reach = pageReach(deps, page);
  const live = server.status !== 'deleted' && server.status !== 'failed';
  const [extras, transfer, stats, addresses, backups] = await Promise.all([
    serverExtras(deps, actor, page),
    live ? optional(() => transferOf(deps, instance, reach)) : none,
    live ? optional(() => statsOf(deps, instance, reach)) : none,
    live ? optional(() => addressesOf(deps, instance, reach)) : none,
    live && server.backupsEnabled ? optional(() => backupsOf(deps, instance, reach)) : none,
  ]);
  return {
    server,
    live,
    costs,
    transfer,
    graphs: serverGraphs(stats.value),
    statsUnavailable: stats.unavailable,
    actions,
    addresses,
    backups,
    backupsPrice: page.backupsMonthly,
    rdnsBaseDomain: settings.rdnsBaseDomain,
    ...extras,
    mayManage: can(actor, 'vps_manage') && live,
    mayDelete: can(actor, 'vps_delete') && server.status !== 'deleted',
    fmt: serverFormat,
    errors: {} as Record<string, string>,
    values: {} as Record<string, string>,
    /** Which form the errors belong to (rename, password, rdns:<address>, backups, action). */
    form: '',
    message: '',
    rootPassword: null as string | null,
  };
}

export type ServerDetail = Awaited<ReturnType<typeof loadDetail>>;

/** Renders the server page, with a refused action's messages when there are some. */
export function showDetail(view: Renderer, c: Context, data: ServerDetail, status: 200 | 409 | 422 | 429 | 503 = 200) {
  return view.page(c, 'portal/servers/show', data, { layout: 'portal', title: data.server.label, status });
}

/**
 * GET /vps/:id (vps_view): the server's specs, addresses, status (live: the summary region
 * re-fetches itself on `server.status` events), cost and transfer this month, graphs, backups,
 * firewalls, actions and notes. A generated root password, carried here once by a cookie
 * scoped to this page (create.ts), is shown and forgotten.
 */
export function serverDetailPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();
  app.get('/:id', async (c) => {
    const id = c.req.param('id');
    if (c.req.header('hx-target') === 'server-summary') {
      const server = await getServer(deps, actorOf(c), id);
      return view.partial(c, 'portal/servers/_summary', { server, fmt: serverFormat });
    }
    const data = await loadDetail(deps, c, id);
    const password = getCookie(c, ROOT_PASSWORD_COOKIE) ?? null;
    if (password) deleteCookie(c, ROOT_PASSWORD_COOKIE, { path: `/vps/${data.server.id}` });
    return showDetail(view, c, { ...data, rootPassword: password });
  });
  return app;
}
