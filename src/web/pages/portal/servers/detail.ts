import { Hono, type Context } from 'hono';
import { deleteCookie, getCookie } from 'hono/cookie';
import { can } from '../../../../domain/access/actor.ts';
import { listAddresses } from '../../../../domain/servers/addresses.ts';
import { listBackups } from '../../../../domain/servers/backups.ts';
import {
  getServer,
  serverActions,
  serverCosts,
  serverStats,
  serverTransfer,
} from '../../../../domain/servers/query.ts';
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

/** Everything the server page shows (also used to show it again with an action's refusal). */
export async function loadDetail(deps: AppDeps, c: Context, id: string) {
  const actor = actorOf(c);
  const server = await getServer(deps, actor, id);
  const live = server.status !== 'deleted' && server.status !== 'failed';
  const [costs, transfer, stats, actions, addresses, backups, extras] = await Promise.all([
    serverCosts(deps, actor, id),
    live ? optional(() => serverTransfer(deps, actor, id)) : none,
    live ? optional(() => serverStats(deps, actor, id)) : none,
    serverActions(deps, actor, id, { limit: 20 }),
    live ? optional(() => listAddresses(deps, actor, id)) : none,
    live && server.backupsEnabled ? optional(() => listBackups(deps, actor, id)) : none,
    serverExtras(deps, actor, server),
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
