import { Hono } from 'hono';
import { listOrganizations, organizationDetail } from '../../../domain/organizations/admin.ts';
import { adminListServers } from '../../../domain/servers/admin.ts';
import type { AppDeps } from '../../context.ts';
import { serverFormat } from '../portal/servers/present.ts';
import type { Renderer } from '../../render.ts';

/** Staff view of organizations: list with search, and one organization with members and wallet. */
export function organizationPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();

  app.get('/', async (c) => {
    const list = await listOrganizations(deps.db, c.get('actor')!, c.req.query());
    const links = pageLinks('/admin/organizations', { q: list.filters.q }, list.filters.page, list.pages);
    const region = { id: 'organization-results', partial: 'admin/organizations/_results' };
    return view.page(
      c,
      'admin/organizations/index',
      { ...list, links },
      { layout: 'admin', title: 'Organizations', region },
    );
  });

  app.get('/:id', async (c) => {
    const data = await organizationDetail(deps.db, c.get('actor')!, c.req.param('id'));
    const servers = await adminListServers(deps, c.get('actor')!, { organizationId: data.organization.id }, 1);
    return view.page(
      c,
      'admin/organizations/show',
      { ...data, servers: servers.items, serverTotal: servers.total, fmt: serverFormat },
      { layout: 'admin', title: data.organization.name },
    );
  });

  return app;
}

/** Links to the neighbouring pages of a filtered list, keeping the filters. */
export function pageLinks(
  base: string,
  filters: Record<string, string | number | undefined>,
  page: number,
  pages: number,
) {
  const url = (n: number) => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(filters)) if (v !== undefined && v !== '') q.set(k, String(v));
    if (n > 1) q.set('page', String(n));
    const s = q.toString();
    return s ? `${base}?${s}` : base;
  };
  return { prev: page > 1 ? url(page - 1) : null, next: page < pages ? url(page + 1) : null };
}
