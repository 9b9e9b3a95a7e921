import { sql } from 'kysely';
import { z } from 'zod';
import type { DbOrTx } from '../../db/index.ts';
import { likePattern } from '../../db/like.ts';
import { NotFoundError, ValidationError } from '../../lib/errors.ts';
import { checkFile, isRasterImage, safeFileName, type FileType } from '../../lib/file-types.ts';
import { isUuid } from '../../lib/ids.ts';
import { renderMarkdown } from '../../lib/markdown.ts';
import type { Actor } from '../access/actor.ts';
import { requirePlatformAdmin } from '../access/guard.ts';
import type { Deps } from '../deps.ts';
import { deleteFile, openFile, withStoredFiles, type OpenedFile } from '../files/store.ts';
import { attachmentLimits, formatBytes, type Attachment, type IncomingFile } from '../support/attachments.ts';
import {
  deleteCategory,
  deleteContent,
  saveContent,
  setPublished,
  slugInUse,
  slugOrTitle,
  slugTaken,
} from './content-rows.ts';
import { line, markdown, parseFields, plainSummary, position, recordContent, slugField } from './pages-fields.ts';

/**
 * The knowledge base (/docs, issue 16 items 1 and 4): categories (sections, /docs/<slug>) in
 * `position` order; articles (/docs/<category>/<slug>) with a title, a summary, a Markdown
 * body (rendered and sanitised by src/lib/markdown.ts) and files to download
 * (/docs/files/<id>: kinds decided by content, src/lib/file-types.ts; stored by
 * src/domain/files/store.ts in PostgreSQL or a bucket; sent with the attachment headers of
 * src/web/attachments.ts). Only published articles, their files and the categories that have
 * any are public: a draft is a 404, absent from search and the sitemap.
 */

/** A category slug the public routes use for themselves (/docs/files/<id>). */
const RESERVED_CATEGORY_SLUGS = ['files', 'search'];
/** Files one article may offer. */
export const MAX_FILES_PER_ARTICLE = 20;

export interface DocsCategory {
  id: string;
  slug: string;
  name: string;
  description: string;
  position: number;
}

export interface DocsFile {
  id: string;
  articleId: string;
  fileName: string;
  contentType: string;
  size: number;
}

export interface DocsArticle {
  id: string;
  categoryId: string;
  categorySlug: string;
  categoryName: string;
  slug: string;
  title: string;
  summary: string;
  body: string;
  position: number;
  published: boolean;
  updatedAt: Date;
}

export interface DocsSection extends DocsCategory {
  articles: Omit<DocsArticle, 'body'>[];
}

/** A public article as /docs shows it in lists and search results. */
export interface DocsArticleLink {
  categorySlug: string;
  categoryName: string;
  slug: string;
  title: string;
  summary: string;
  updatedAt: Date;
}

const categoryInput = z.object({
  name: line('The name', 100),
  slug: slugField,
  description: line('The description', 500, false),
  position,
});
const articleInput = z.object({
  categoryId: z.string().refine(isUuid, 'Choose a category.'),
  title: line('The title', 200),
  slug: slugField,
  summary: line('The summary', 500, false),
  body: markdown('The text', 100_000),
  position,
  published: z.boolean(),
});

export type DocsCategoryInput = z.input<typeof categoryInput>;
export type DocsArticleInput = z.input<typeof articleInput>;

export function docsCategoryFromForm(v: Record<string, string>): DocsCategoryInput {
  return { name: v.name ?? '', slug: v.slug ?? '', description: v.description ?? '', position: v.position ?? '' };
}

export function docsArticleFromForm(v: Record<string, string>): DocsArticleInput {
  return {
    categoryId: v.categoryId ?? '',
    title: v.title ?? '',
    slug: v.slug ?? '',
    summary: v.summary ?? '',
    body: v.body ?? '',
    position: v.position ?? '',
    published: v.published === 'on' || v.published === 'true',
  };
}

const CATEGORY_COLUMNS = ['id', 'slug', 'name', 'description', 'position'] as const;

const selectArticles = (db: DbOrTx) =>
  db
    .selectFrom('docs_articles as a')
    .innerJoin('docs_categories as c', 'c.id', 'a.category_id')
    .select([
      'a.id',
      'a.category_id as categoryId',
      'c.slug as categorySlug',
      'c.name as categoryName',
      'a.slug',
      'a.title',
      'a.summary',
      'a.body',
      'a.position',
      'a.published',
      'a.updated_at as updatedAt',
    ]);

const filesOf = async (db: DbOrTx, articleIds: string[]): Promise<DocsFile[]> =>
  articleIds.length
    ? (
        await db
          .selectFrom('docs_files')
          .select(['id', 'article_id as articleId', 'file_name as fileName', 'content_type as contentType', 'size'])
          .where('article_id', 'in', articleIds)
          .orderBy('created_at')
          .orderBy('file_name')
          .execute()
      ).map((f) => ({ ...f, size: Number(f.size) }))
    : [];

// ---------------------------------------------------------------------------------------------
// Staff

/** Every category with its articles (drafts included, without bodies), in order. */
export async function listDocs(deps: Pick<Deps, 'db'>, actor: Actor): Promise<DocsSection[]> {
  requirePlatformAdmin(actor);
  const categories = await deps.db
    .selectFrom('docs_categories')
    .select(CATEGORY_COLUMNS)
    .orderBy('position')
    .orderBy('name')
    .execute();
  const articles = await selectArticles(deps.db).orderBy('a.position').orderBy('a.title').execute();
  return categories.map((c) => ({
    ...c,
    articles: articles.filter((a) => a.categoryId === c.id).map(({ body: _body, ...a }) => a),
  }));
}

export async function listDocsCategories(deps: Pick<Deps, 'db'>, actor: Actor): Promise<DocsCategory[]> {
  requirePlatformAdmin(actor);
  return deps.db.selectFrom('docs_categories').select(CATEGORY_COLUMNS).orderBy('position').orderBy('name').execute();
}

export async function getDocsCategory(deps: Pick<Deps, 'db'>, actor: Actor, id: string): Promise<DocsCategory> {
  requirePlatformAdmin(actor);
  const row = isUuid(id)
    ? await deps.db.selectFrom('docs_categories').select(CATEGORY_COLUMNS).where('id', '=', id).executeTakeFirst()
    : undefined;
  if (!row) throw new NotFoundError('No such docs category.');
  return row;
}

async function parseCategory(db: DbOrTx, raw: DocsCategoryInput, exceptId: string | null) {
  const c = parseFields(categoryInput, raw);
  const slug = slugOrTitle(c.slug, c.name, 'getting-started');
  if (RESERVED_CATEGORY_SLUGS.includes(slug))
    throw new ValidationError({ slug: `“${slug}” is used by the site itself; choose another URL name.` });
  if (await slugInUse(db, 'docs_categories', slug, exceptId))
    throw new ValidationError({ slug: `Another category already uses /docs/${slug}; choose another URL name.` });
  return { ...c, slug };
}

const categorySlugTaken = slugTaken('Another category already uses this URL name.');
const articleSlugTaken = slugTaken('Another article in this category already uses this URL name.');

export async function createDocsCategory(
  deps: Pick<Deps, 'db' | 'clock'>,
  actor: Actor,
  raw: DocsCategoryInput,
): Promise<DocsCategory> {
  requirePlatformAdmin(actor);
  const c = await parseCategory(deps.db, raw, null);
  return saveContent(
    deps,
    actor,
    { type: 'docs_category', details: { name: c.name, slug: c.slug } },
    (trx, now) =>
      trx
        .insertInto('docs_categories')
        .values({ ...c, created_at: now, updated_at: now })
        .returning(CATEGORY_COLUMNS)
        .executeTakeFirstOrThrow(),
    categorySlugTaken,
  );
}

export async function updateDocsCategory(
  deps: Pick<Deps, 'db' | 'clock'>,
  actor: Actor,
  id: string,
  raw: DocsCategoryInput,
): Promise<DocsCategory> {
  const current = await getDocsCategory(deps, actor, id);
  const c = await parseCategory(deps.db, raw, current.id);
  return saveContent(
    deps,
    actor,
    { type: 'docs_category', details: { name: c.name, slug: c.slug } },
    (trx, now) =>
      trx
        .updateTable('docs_categories')
        .set({ ...c, updated_at: now })
        .where('id', '=', current.id)
        .returning(CATEGORY_COLUMNS)
        .executeTakeFirstOrThrow(),
    categorySlugTaken,
  );
}

/** Deletes a category; refused (422) while it has articles. */
export async function deleteDocsCategory(deps: Pick<Deps, 'db' | 'clock'>, actor: Actor, id: string): Promise<void> {
  const current = await getDocsCategory(deps, actor, id);
  await deleteCategory(deps, actor, 'docs_categories', 'docs_articles', {
    type: 'docs_category',
    id: current.id,
    details: { name: current.name, slug: current.slug },
    message: `“${current.name}” still has articles: move or delete them first, then delete the category.`,
  });
}

export async function getDocsArticle(
  deps: Pick<Deps, 'db'>,
  actor: Actor,
  id: string,
): Promise<DocsArticle & { files: DocsFile[] }> {
  requirePlatformAdmin(actor);
  const row = isUuid(id) ? await selectArticles(deps.db).where('a.id', '=', id).executeTakeFirst() : undefined;
  if (!row) throw new NotFoundError('No such article.');
  return { ...row, files: await filesOf(deps.db, [row.id]) };
}

async function parseArticle(db: DbOrTx, raw: DocsArticleInput, exceptId: string | null) {
  const a = parseFields(articleInput, raw);
  const category = await db
    .selectFrom('docs_categories')
    .select(['id', 'slug'])
    .where('id', '=', a.categoryId)
    .executeTakeFirst();
  if (!category) throw new ValidationError({ categoryId: 'Choose a category.' });
  const slug = slugOrTitle(a.slug, a.title, 'connect-with-ssh');
  if (await slugInUse(db, 'docs_articles', slug, exceptId, category.id))
    throw new ValidationError({
      slug: `Another article already uses /docs/${category.slug}/${slug}; choose another URL name.`,
    });
  return { ...a, slug };
}

/** An article's columns as its form gives them. */
const articleRow = (a: Awaited<ReturnType<typeof parseArticle>>) => ({
  category_id: a.categoryId,
  slug: a.slug,
  title: a.title,
  summary: a.summary,
  body: a.body,
  position: a.position,
  published: a.published,
});

const articleDetails = (a: { title: string; slug: string; published: boolean }) => ({
  title: a.title,
  slug: a.slug,
  published: a.published,
});

export async function createDocsArticle(
  deps: Pick<Deps, 'db' | 'clock'>,
  actor: Actor,
  raw: DocsArticleInput,
): Promise<DocsArticle> {
  requirePlatformAdmin(actor);
  const a = await parseArticle(deps.db, raw, null);
  const log = { type: 'docs_article', details: articleDetails(a) };
  const row = await saveContent(
    deps,
    actor,
    log,
    (trx, now) =>
      trx
        .insertInto('docs_articles')
        .values({
          ...articleRow(a),
          created_by: actor.userId,
          updated_by: actor.userId,
          created_at: now,
          updated_at: now,
        })
        .returning('id')
        .executeTakeFirstOrThrow(),
    articleSlugTaken,
  );
  return getDocsArticle(deps, actor, row.id);
}

export async function updateDocsArticle(
  deps: Pick<Deps, 'db' | 'clock'>,
  actor: Actor,
  id: string,
  raw: DocsArticleInput,
): Promise<DocsArticle> {
  const current = await getDocsArticle(deps, actor, id);
  const a = await parseArticle(deps.db, raw, current.id);
  const log = { type: 'docs_article', details: articleDetails(a) };
  await saveContent(
    deps,
    actor,
    log,
    async (trx, now) => {
      await trx
        .updateTable('docs_articles')
        .set({
          ...articleRow(a),
          updated_by: actor.userId,
          updated_at: now,
        })
        .where('id', '=', current.id)
        .execute();
      return current.id;
    },
    articleSlugTaken,
  );
  return getDocsArticle(deps, actor, current.id);
}

export async function setDocsArticlePublished(
  deps: Pick<Deps, 'db' | 'clock'>,
  actor: Actor,
  id: string,
  published: boolean,
): Promise<DocsArticle> {
  const current = await getDocsArticle(deps, actor, id);
  return setPublished(deps, actor, 'docs_articles', current, published, {
    type: 'docs_article',
    details: articleDetails({ ...current, published }),
  });
}

/** Deletes an article and its files (their stored bytes too). */
export async function deleteDocsArticle(
  deps: Pick<Deps, 'db' | 'clock' | 'config' | 'log'>,
  actor: Actor,
  id: string,
): Promise<DocsArticle & { files: DocsFile[] }> {
  const current = await getDocsArticle(deps, actor, id);
  await deleteContent(deps, actor, 'docs_articles', { type: 'docs_article', id: current.id }, async (trx) => {
    const files = await trx.selectFrom('docs_files').select('file_id').where('article_id', '=', current.id).execute();
    for (const f of files) await deleteFile(deps, trx, f.file_id);
    return { title: current.title, slug: current.slug, files: files.length };
  });
  return current;
}

/**
 * Adds files to an article: each checked by its content (an allowed kind whose name agrees
 * with it: HTML named .pdf is refused), at most the upload size each and
 * MAX_FILES_PER_ARTICLE in all; refused as a whole (422 on `attachments`) when one fails.
 */
export async function addDocsFiles(
  deps: Pick<Deps, 'db' | 'clock' | 'config' | 'log'>,
  actor: Actor,
  articleId: string,
  files: readonly IncomingFile[],
): Promise<DocsFile[]> {
  const article = await getDocsArticle(deps, actor, articleId);
  const refuse = (message: string) => new ValidationError({ attachments: message }, message);
  const { maxBytes, perMessage } = attachmentLimits(deps.config);
  if (!files.length) throw refuse('Choose a file to upload.');
  if (files.length > perMessage)
    throw refuse(`Upload at most ${perMessage} files at once (you chose ${files.length}).`);
  if (article.files.length + files.length > MAX_FILES_PER_ARTICLE)
    throw refuse(`An article may offer at most ${MAX_FILES_PER_ARTICLE} files; remove some first.`);
  const checked: { name: string; type: FileType; bytes: Uint8Array }[] = files.map((f) => {
    if (f.bytes.length > maxBytes)
      throw refuse(
        `${safeFileName(f.name)} is ${formatBytes(f.bytes.length)}; a file may be at most ${formatBytes(maxBytes)}.`,
      );
    const check = checkFile(f.name, f.bytes);
    if (!check.ok) throw refuse(check.message);
    return { name: check.name, type: check.type, bytes: f.bytes };
  });
  const now = deps.clock.now();
  await withStoredFiles(deps, (store) =>
    deps.db.transaction().execute(async (trx) => {
      for (const up of checked) {
        const file = await store(trx, { bytes: up.bytes, contentType: up.type });
        const row = await trx
          .insertInto('docs_files')
          .values({
            article_id: article.id,
            file_id: file.id,
            file_name: up.name,
            content_type: up.type,
            size: file.size,
            created_at: now,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        await recordContent(trx, actor, {
          type: 'docs_file',
          id: row.id,
          occurredAt: now,
          details: { article: article.title, file_name: up.name, content_type: up.type, size: file.size },
        });
      }
      await trx.updateTable('docs_articles').set({ updated_at: now }).where('id', '=', article.id).execute();
    }),
  );
  return filesOf(deps.db, [article.id]);
}

/** Removes one of an article's files (and its stored bytes). */
export async function removeDocsFile(
  deps: Pick<Deps, 'db' | 'clock' | 'config' | 'log'>,
  actor: Actor,
  articleId: string,
  fileId: string,
): Promise<DocsFile> {
  const article = await getDocsArticle(deps, actor, articleId);
  const file = article.files.find((f) => f.id === fileId);
  if (!file) throw new NotFoundError('No such file.');
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('docs_files')
      .select('file_id')
      .where('id', '=', file.id)
      .executeTakeFirstOrThrow();
    await deleteFile(deps, trx, row.file_id);
    await trx.updateTable('docs_articles').set({ updated_at: now }).where('id', '=', article.id).execute();
    await recordContent(trx, actor, {
      deleted: true,
      type: 'docs_file',
      id: file.id,
      occurredAt: now,
      details: { article: article.title, file_name: file.fileName },
    });
  });
  return file;
}

/** A download: the file's safe name and type beside its bytes (src/web/attachments.ts sendAttachment). */
export interface DocsDownload {
  attachment: Attachment;
  file: OpenedFile;
}

async function openDocsFile(
  deps: Pick<Deps, 'db' | 'config' | 'log'>,
  id: string,
  publishedOnly: boolean,
): Promise<DocsDownload> {
  const row = isUuid(id)
    ? await deps.db
        .selectFrom('docs_files as f')
        .innerJoin('docs_articles as a', 'a.id', 'f.article_id')
        .select(['f.id', 'f.article_id', 'f.file_id', 'f.file_name', 'f.content_type', 'f.size'])
        .where('f.id', '=', id)
        .$if(publishedOnly, (q) => q.where('a.published', '=', true))
        .executeTakeFirst()
    : undefined;
  const file = row ? await openFile(deps, deps.db, row.file_id) : null;
  if (!row || !file) throw new NotFoundError('No such file.');
  return {
    attachment: {
      id: row.id,
      messageId: row.article_id,
      fileName: row.file_name,
      contentType: file.contentType,
      size: Number(row.size),
      previewable: isRasterImage(file.contentType),
    },
    file,
  };
}

/** A file of any article, drafts included (staff). */
export async function staffDocsFile(
  deps: Pick<Deps, 'db' | 'config' | 'log'>,
  actor: Actor,
  id: string,
): Promise<DocsDownload> {
  requirePlatformAdmin(actor);
  return openDocsFile(deps, id, false);
}

// ---------------------------------------------------------------------------------------------
// Public: published articles only

/** The categories that have published articles, each with them, in order. */
export async function publicDocsIndex(
  db: DbOrTx,
): Promise<(Pick<DocsCategory, 'slug' | 'name' | 'description'> & { articles: DocsArticleLink[] })[]> {
  const rows = await db
    .selectFrom('docs_articles as a')
    .innerJoin('docs_categories as c', 'c.id', 'a.category_id')
    .select([
      'c.id as categoryId',
      'c.slug as categorySlug',
      'c.name as categoryName',
      'c.description',
      'a.slug',
      'a.title',
      'a.summary',
      'a.updated_at as updatedAt',
    ])
    .where('a.published', '=', true)
    .orderBy('c.position')
    .orderBy('c.name')
    .orderBy('c.id')
    .orderBy('a.position')
    .orderBy('a.title')
    .execute();
  const out: (Pick<DocsCategory, 'slug' | 'name' | 'description'> & { id: string; articles: DocsArticleLink[] })[] = [];
  for (const r of rows) {
    let s = out.at(-1);
    if (!s || s.id !== r.categoryId)
      out.push(
        (s = {
          id: r.categoryId,
          slug: r.categorySlug,
          name: r.categoryName,
          description: r.description,
          articles: [],
        }),
      );
    s.articles.push({
      categorySlug: r.categorySlug,
      categoryName: r.categoryName,
      slug: r.slug,
      title: r.title,
      summary: r.summary,
      updatedAt: r.updatedAt,
    });
  }
  return out.map(({ id: _id, ...s }) => s);
}

/** A category with its published articles; 404 when it has none (or does not exist). */
export async function publicDocsCategory(db: DbOrTx, slug: string) {
  const section = (await publicDocsIndex(db)).find((s) => s.slug === slug);
  if (!section) throw new NotFoundError('No such page.');
  return section;
}

/** A published article, its body rendered, with its files; 404 otherwise. */
export async function publicDocsArticle(db: DbOrTx, categorySlug: string, slug: string) {
  const row = await selectArticles(db)
    .where('c.slug', '=', categorySlug)
    .where('a.slug', '=', slug)
    .where('a.published', '=', true)
    .executeTakeFirst();
  if (!row) throw new NotFoundError('No such page.');
  const { body, ...article } = row;
  return {
    ...article,
    bodyHtml: renderMarkdown(body, { localLinks: true, headingShift: 1 }),
    description: article.summary || plainSummary(body) || article.title,
    files: await filesOf(db, [row.id]),
  };
}

/** Words of a search, at most 8, each at most 50 characters. */
const searchWords = (q: string) =>
  q
    .split(/\s+/)
    .map((w) => w.trim().slice(0, 50))
    .filter(Boolean)
    .slice(0, 8);

/**
 * Published articles matching every word of `q` (case-insensitive, anywhere in the title,
 * summary or text; `%` and `_` match themselves), those with the words in the title first.
 */
export async function searchDocs(db: DbOrTx, q: string, limit = 50): Promise<DocsArticleLink[]> {
  const words = searchWords(q);
  if (!words.length) return [];
  const titleHits = sql<number>`(${sql.join(
    words.map((w) => sql`(a.title ilike ${likePattern(w)})::int`),
    sql` + `,
  )})`;
  return db
    .selectFrom('docs_articles as a')
    .innerJoin('docs_categories as c', 'c.id', 'a.category_id')
    .select([
      'c.slug as categorySlug',
      'c.name as categoryName',
      'a.slug',
      'a.title',
      'a.summary',
      'a.updated_at as updatedAt',
    ])
    .where('a.published', '=', true)
    .where((eb) =>
      eb.and(
        words.map((w) =>
          eb.or([
            eb('a.title', 'ilike', likePattern(w)),
            eb('a.summary', 'ilike', likePattern(w)),
            eb('a.body', 'ilike', likePattern(w)),
          ]),
        ),
      ),
    )
    .orderBy(titleHits, 'desc')
    .orderBy('a.title')
    .limit(limit)
    .execute();
}

/** A file of a published article; 404 for a draft's (or none). */
export async function publicDocsFile(deps: Pick<Deps, 'db' | 'config' | 'log'>, id: string): Promise<DocsDownload> {
  return openDocsFile(deps, id, true);
}

/** An article as the public page shows it, drafts included (staff preview). */
export async function previewDocsArticle(deps: Pick<Deps, 'db'>, actor: Actor, id: string) {
  const { body, ...article } = await getDocsArticle(deps, actor, id);
  return {
    ...article,
    bodyHtml: renderMarkdown(body, { localLinks: true, headingShift: 1 }),
    description: article.summary || plainSummary(body) || article.title,
  };
}
