import { z } from 'zod';
import type { DbOrTx } from '../../db/index.ts';
import { NotFoundError, ValidationError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import { renderMarkdown } from '../../lib/markdown.ts';
import type { Actor } from '../access/actor.ts';
import { requirePlatformAdmin } from '../access/guard.ts';
import type { Deps } from '../deps.ts';
import { faqUpdatedAt } from './faq.ts';
import { deleteContent, saveContent, setPublished, slugInUse, slugOrTitle, slugTaken } from './content-rows.ts';
import { line, markdown, parseFields, plainSummary, slugField } from './pages-fields.ts';

/**
 * Pages staff write in Markdown (issue 16 items 1 and 4): /about, /terms and /privacy (seeded
 * by migration 0033 with starter text that says it is a template to edit), and any other page
 * at /pages/<slug>. Unpublished pages are a 404 and left out of the sitemap.
 */

/** Pages served at the site's root (/about…); others are at /pages/<slug>. */
export const ROOT_PAGES = ['about', 'terms', 'privacy'] as const;

/** Where a page is served. */
export const pagePath = (slug: string) =>
  (ROOT_PAGES as readonly string[]).includes(slug) ? `/${slug}` : `/pages/${slug}`;

export interface SitePage {
  id: string;
  slug: string;
  title: string;
  description: string;
  body: string;
  published: boolean;
  updatedAt: Date;
}

const pageInput = z.object({
  title: line('The title', 200),
  slug: slugField,
  description: line('The description', 300, false),
  body: markdown('The text', 100_000),
  published: z.boolean(),
});

export type SitePageInput = z.input<typeof pageInput>;

export function sitePageFromForm(v: Record<string, string>): SitePageInput {
  return {
    title: v.title ?? '',
    slug: v.slug ?? '',
    description: v.description ?? '',
    body: v.body ?? '',
    published: v.published === 'on' || v.published === 'true',
  };
}

const selectPages = (db: DbOrTx) =>
  db
    .selectFrom('site_pages')
    .select(['id', 'slug', 'title', 'description', 'body', 'published', 'updated_at as updatedAt']);

export async function listSitePages(deps: Pick<Deps, 'db'>, actor: Actor): Promise<SitePage[]> {
  requirePlatformAdmin(actor);
  return selectPages(deps.db).orderBy('slug').execute();
}

export async function getSitePage(deps: Pick<Deps, 'db'>, actor: Actor, id: string): Promise<SitePage> {
  requirePlatformAdmin(actor);
  const row = isUuid(id) ? await selectPages(deps.db).where('id', '=', id).executeTakeFirst() : undefined;
  if (!row) throw new NotFoundError('No such page.');
  return row;
}

async function parsePage(db: DbOrTx, raw: SitePageInput, exceptId: string | null) {
  const p = parseFields(pageInput, raw);
  const slug = slugOrTitle(p.slug, p.title, 'shipping');
  if (await slugInUse(db, 'site_pages', slug, exceptId))
    throw new ValidationError({ slug: `Another page already uses ${pagePath(slug)}; choose another URL name.` });
  return { ...p, slug };
}

const taken = slugTaken('Another page already uses this URL name.');
const pageLog = (p: { title: string; slug: string; published: boolean }) => ({
  type: 'site_page',
  details: { title: p.title, slug: p.slug, published: p.published },
});

export async function createSitePage(
  deps: Pick<Deps, 'db' | 'clock'>,
  actor: Actor,
  raw: SitePageInput,
): Promise<SitePage> {
  requirePlatformAdmin(actor);
  const p = await parsePage(deps.db, raw, null);
  const row = await saveContent(
    deps,
    actor,
    pageLog(p),
    (trx, now) =>
      trx
        .insertInto('site_pages')
        .values({ ...p, updated_by: actor.userId, created_at: now, updated_at: now })
        .returning('id')
        .executeTakeFirstOrThrow(),
    taken,
  );
  return getSitePage(deps, actor, row.id);
}

export async function updateSitePage(
  deps: Pick<Deps, 'db' | 'clock'>,
  actor: Actor,
  id: string,
  raw: SitePageInput,
): Promise<SitePage> {
  const current = await getSitePage(deps, actor, id);
  const p = await parsePage(deps.db, raw, current.id);
  await saveContent(
    deps,
    actor,
    pageLog(p),
    async (trx, now) => {
      await trx
        .updateTable('site_pages')
        .set({ ...p, updated_by: actor.userId, updated_at: now })
        .where('id', '=', current.id)
        .execute();
      return current.id;
    },
    taken,
  );
  return getSitePage(deps, actor, current.id);
}

export async function setSitePagePublished(
  deps: Pick<Deps, 'db' | 'clock'>,
  actor: Actor,
  id: string,
  published: boolean,
): Promise<SitePage> {
  const current = await getSitePage(deps, actor, id);
  return setPublished(deps, actor, 'site_pages', current, published, pageLog({ ...current, published }));
}

export async function deleteSitePage(deps: Pick<Deps, 'db' | 'clock'>, actor: Actor, id: string): Promise<SitePage> {
  const current = await getSitePage(deps, actor, id);
  await deleteContent(deps, actor, 'site_pages', {
    type: 'site_page',
    id: current.id,
    details: { title: current.title, slug: current.slug },
  });
  return current;
}

/** A published page, its text rendered; 404 when there is none or it is a draft. */
export async function publicSitePage(db: DbOrTx, slug: string) {
  const row = await selectPages(db).where('slug', '=', slug).where('published', '=', true).executeTakeFirst();
  if (!row) throw new NotFoundError('No such page.');
  const { body, ...page } = row;
  return {
    ...page,
    bodyHtml: renderMarkdown(body, { localLinks: true, headingShift: 1 }),
    description: page.description || plainSummary(body) || page.title,
  };
}

/** Published pages (title and where), for links. */
export async function publishedSitePages(db: DbOrTx): Promise<{ slug: string; title: string; path: string }[]> {
  const rows = await db
    .selectFrom('site_pages')
    .select(['slug', 'title'])
    .where('published', '=', true)
    .orderBy('slug')
    .execute();
  return rows.map((r) => ({ ...r, path: pagePath(r.slug) }));
}

/**
 * The sitemap's entries for this content (SITE's src/web/pages/public/seo.ts lists them):
 * published pages, /faq when it has a published question, /docs, each category with
 * published articles, and the published articles. Drafts never appear.
 */
export async function contentSitemapEntries(db: DbOrTx): Promise<{ path: string; updatedAt: Date | null }[]> {
  const entries: { path: string; updatedAt: Date | null }[] = [];
  const pages = await db
    .selectFrom('site_pages')
    .select(['slug', 'updated_at'])
    .where('published', '=', true)
    .orderBy('slug')
    .execute();
  for (const p of pages) entries.push({ path: pagePath(p.slug), updatedAt: p.updated_at });
  const faq = await faqUpdatedAt(db);
  if (faq) entries.push({ path: '/faq', updatedAt: faq });
  const articles = await db
    .selectFrom('docs_articles as a')
    .innerJoin('docs_categories as c', 'c.id', 'a.category_id')
    .select(['c.slug as category', 'a.slug', 'a.updated_at'])
    .where('a.published', '=', true)
    .orderBy('c.position')
    .orderBy('c.slug')
    .orderBy('a.position')
    .orderBy('a.slug')
    .execute();
  const latest = (list: { updated_at: Date }[]) =>
    list.reduce<Date | null>((m, a) => (!m || a.updated_at > m ? a.updated_at : m), null);
  entries.push({ path: '/docs', updatedAt: latest(articles) });
  const categories = [...new Set(articles.map((a) => a.category))];
  for (const c of categories)
    entries.push({ path: `/docs/${c}`, updatedAt: latest(articles.filter((a) => a.category === c)) });
  for (const a of articles) entries.push({ path: `/docs/${a.category}/${a.slug}`, updatedAt: a.updated_at });
  return entries;
}

/** A page as the public sees it, drafts included (staff preview). */
export async function previewSitePage(deps: Pick<Deps, 'db'>, actor: Actor, id: string) {
  const { body, ...page } = await getSitePage(deps, actor, id);
  return {
    ...page,
    bodyHtml: renderMarkdown(body, { localLinks: true, headingShift: 1 }),
    description: page.description || plainSummary(body) || page.title,
  };
}
