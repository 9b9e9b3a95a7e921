import { Hono } from 'hono';
import type { DbOrTx } from '../../../db/index.ts';
import { blogSitemapEntries } from '../../../domain/content/blog.ts';
import { contentSitemapEntries } from '../../../domain/content/pages.ts';
import type { AppDeps } from '../../context.ts';

/**
 * robots.txt and sitemap.xml (issue 16 item 3). URLs are absolute on PUBLIC_URL (config
 * `publicUrl`), never on the request's Host header: these answers are kept by CDNs
 * (middleware/public-cache.ts), and a Host an attacker chose must not end up in them.
 */

/** One page of the sitemap: a site path (`/blog/hello`) and when it last changed, when known. */
export interface SitemapEntry {
  path: string;
  updatedAt: Date | null;
}

/** A source of sitemap entries read at `now` (published content only: each source decides what is public). */
export type SitemapSource = (db: DbOrTx, now: Date) => Promise<SitemapEntry[]>;

/** The storefront's own pages. */
export const STATIC_SITEMAP: readonly SitemapEntry[] = [
  { path: '/', updatedAt: null },
  { path: '/pricing', updatedAt: null },
  { path: '/regions', updatedAt: null },
  { path: '/status', updatedAt: null },
  { path: '/contact', updatedAt: null },
  { path: '/api-docs', updatedAt: null },
];

/**
 * Where the rest comes from: the CMS pages, FAQ and docs (src/domain/content/pages.ts
 * `contentSitemapEntries`) and published blog posts (src/domain/content/blog.ts
 * `blogSitemapEntries`). Each plugs in with one line here.
 */
export const SITEMAP_SOURCES: SitemapSource[] = [contentSitemapEntries, blogSitemapEntries];

/** Paths crawlers are asked to leave alone: signed-in areas, staff, the API and one-time links. */
export const DISALLOWED = [
  '/admin',
  '/api/',
  '/dashboard',
  '/vps',
  '/wallet',
  '/billing',
  '/invoices',
  '/activity',
  '/settings',
  '/notifications',
  '/organization',
  '/active-organization',
  '/invitations',
  '/support',
  '/ssh-keys',
  '/notes',
  '/firewalls',
  '/search',
  '/events',
  '/impersonation',
  '/email-verification',
  '/login',
  '/register',
  '/logout',
  '/forgot-password',
  '/reset-password',
  '/verify-email',
  '/announcements/',
  '/maintenance',
];

export function robotsTxt(publicUrl: string): string {
  return [
    'User-agent: *',
    'Allow: /',
    ...DISALLOWED.map((p) => `Disallow: ${p}`),
    '',
    `Sitemap: ${publicUrl}/sitemap.xml`,
    '',
  ].join('\n');
}

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
export const xmlEscape = (s: string) => s.replace(/[&<>"']/g, (ch) => XML_ESCAPES[ch]!);

/** The sitemap document: each path once (the first entry wins), absolute on `publicUrl`, escaped. */
export function sitemapXml(publicUrl: string, entries: readonly SitemapEntry[]): string {
  const seen = new Set<string>();
  const urls: string[] = [];
  for (const e of entries) {
    // Site paths only: an entry that is not one (a full URL, `//host`) is never published.
    if (!e.path.startsWith('/') || e.path.startsWith('//') || seen.has(e.path)) continue;
    seen.add(e.path);
    const loc = `<loc>${xmlEscape(publicUrl + encodeURI(decodeURIComponentSafe(e.path)))}</loc>`;
    const lastmod =
      e.updatedAt && !Number.isNaN(e.updatedAt.getTime()) ? `<lastmod>${e.updatedAt.toISOString()}</lastmod>` : '';
    urls.push(`  <url>${loc}${lastmod}</url>`);
  }
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
    ...urls,
    '</urlset>',
    '',
  ].join('\n');
}

function decodeURIComponentSafe(p: string): string {
  try {
    return decodeURI(p);
  } catch {
    return p;
  }
}

/** Every entry: the static pages, then each source's (a failing source is logged and left out, never the whole map). */
export async function sitemapEntries(
  deps: Pick<AppDeps, 'db' | 'log' | 'clock'>,
  sources: readonly SitemapSource[] = SITEMAP_SOURCES,
): Promise<SitemapEntry[]> {
  const lists = await Promise.all(
    sources.map((source) =>
      source(deps.db, deps.clock.now()).catch((err: unknown) => {
        deps.log.error({ err }, 'sitemap source failed');
        return [] as SitemapEntry[];
      }),
    ),
  );
  return [...STATIC_SITEMAP, ...lists.flat()];
}

export function seoRoutes(deps: AppDeps) {
  const app = new Hono();
  app.get('/robots.txt', (c) => {
    c.header('Content-Type', 'text/plain; charset=utf-8');
    return c.body(robotsTxt(deps.config.publicUrl));
  });
  app.get('/sitemap.xml', async (c) => {
    const xml = sitemapXml(deps.config.publicUrl, await sitemapEntries(deps));
    c.header('Content-Type', 'application/xml; charset=utf-8');
    return c.body(xml);
  });
  return app;
}
