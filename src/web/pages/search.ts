import { Hono } from 'hono';
import type { Actor } from '../../domain/access/actor.ts';
import { GROUP_LIMIT, normalizeQuery, searchRecords, type SearchHit } from '../../domain/search/search.ts';
import { actorOf } from '../actor.ts';
import type { Area } from '../areas.ts';
import type { AppDeps } from '../context.ts';
import { ADMIN_NAVIGATION, navigationFor, PORTAL_NAVIGATION } from '../navigation.ts';
import type { Renderer } from '../render.ts';

/** The palette's results region (views/shared/_palette.eta): an htmx request aimed at it gets the listbox alone. */
export const PALETTE_REGION = 'palette-results';

export interface SearchGroup {
  key: string;
  heading: string;
  hits: SearchHit[];
}

/**
 * The sidebar links the actor may follow (src/web/navigation.ts, the same `can` questions),
 * those whose label or section matches `q`; all of them for an empty query (the palette's
 * opening list). Platform staff get the admin area's links as well.
 */
export function navigationHits(actor: Actor, q: string): SearchHit[] {
  const needle = q.toLowerCase();
  const seen = new Set<string>();
  // The admin area's links say so (its "Servers" is not the portal's).
  const sections = [
    ...navigationFor(PORTAL_NAVIGATION, actor, ''),
    ...(actor.isPlatformAdmin
      ? navigationFor(ADMIN_NAVIGATION, actor, '').map((s) => ({ ...s, heading: s.heading ?? 'Admin area' }))
      : []),
  ];
  const hits: SearchHit[] = [];
  for (const section of sections) {
    for (const link of section.links) {
      if (seen.has(link.href)) continue;
      const text = `${section.heading ?? ''} ${link.label}`.toLowerCase();
      if (needle && !text.includes(needle)) continue;
      seen.add(link.href);
      hits.push({ label: link.label, detail: section.heading, href: link.href });
    }
  }
  return hits.slice(0, needle ? GROUP_LIMIT : 8);
}

/** Everything the palette and /search show for `q`, in groups, empty groups left out. */
export async function searchGroups(deps: Pick<AppDeps, 'db'>, actor: Actor, q: string): Promise<SearchGroup[]> {
  const found = await searchRecords(deps.db, actor, q);
  const groups: SearchGroup[] = [
    { key: 'navigation', heading: 'Go to', hits: navigationHits(actor, q) },
    { key: 'servers', heading: 'Servers', hits: found.servers },
    { key: 'invoices', heading: 'Invoices', hits: found.invoices },
    { key: 'tickets', heading: 'Tickets', hits: found.tickets },
    { key: 'notes', heading: 'Notes', hits: found.notes },
    { key: 'users', heading: 'Users', hits: found.users },
    { key: 'organizations', heading: 'Organizations', hits: found.organizations },
  ];
  return groups.filter((g) => g.hits.length > 0);
}

/**
 * /search?q=…: the command palette's endpoint (issue 16 item 11). An htmx request aimed at the
 * palette's results (HX-Target: palette-results) gets the listbox partial; anyone else, a
 * browser without JavaScript included, gets the search page with a form and the same results
 * as links. Signed-in users only; what each group shows is decided in domain/search.
 */
export function searchArea(deps: AppDeps, view: Renderer): Area {
  const pages = new Hono();
  pages.get('/', async (c) => {
    const q = normalizeQuery(c.req.query('q'));
    const groups = await searchGroups(deps, actorOf(c), q);
    const total = groups.reduce((n, g) => n + g.hits.length, 0);
    return view.page(
      c,
      'portal/search/index',
      { q, groups, total },
      { layout: 'portal', title: 'Search', region: { id: PALETTE_REGION, partial: 'shared/_palette_results' } },
    );
  });
  return { prefix: '/search', access: 'signed-in', pages };
}
