import type { DbOrTx } from '../../db/index.ts';
import { NotFoundError, ValidationError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import type { Actor } from '../access/actor.ts';
import { requirePlatformAdmin } from '../access/guard.ts';
import { recordActivity } from '../activity/record.ts';
import type { Deps } from '../deps.ts';
import { deleteFile, withStoredFiles } from '../files/store.ts';
import { checkCover, openCover, type CoverUpload } from './blog-cover.ts';
import { parsePost, type BlogPostInput, type ParsedPost } from './blog-input.ts';
import { selectPosts, withTags, type BlogPost, type PostState } from './blog-query.ts';

/**
 * The blog (issue 16 items 1 and 4): posts staff write in Markdown (rendered and sanitised on
 * the server by src/lib/markdown.ts), with an optional cover image (blog-cover.ts), a category
 * (blog-categories.ts) and tags. A post is a `draft` (staff only) or `published`; a published
 * post is public once its `publishedAt` has come, so a later one is scheduled and appears by
 * itself. Public reads are in blog-public.ts; every one of them asks for both.
 *
 * Writes are staff-only and audited as `admin.content_saved` / `admin.content_deleted` with
 * `kind: 'blog_post'`.
 */

export { postFromForm, POST_STATUSES, type BlogPostInput, type PostStatus } from './blog-input.ts';
export { POST_STATES, postState, type BlogPost, type PostState } from './blog-query.ts';

/** Extra things a save may do: a new cover image, or taking the current one away. */
export interface CoverChange {
  cover?: CoverUpload | null;
  removeCover?: boolean;
}

/** Every post, newest first, optionally only those in one state at the clock's now (staff). */
export async function listPosts(
  deps: Pick<Deps, 'db' | 'clock'>,
  actor: Actor,
  filter: { state?: PostState | null } = {},
): Promise<BlogPost[]> {
  requirePlatformAdmin(actor);
  const now = deps.clock.now();
  let q = selectPosts(deps.db);
  if (filter.state === 'draft') q = q.where('p.status', '=', 'draft');
  if (filter.state === 'scheduled') q = q.where('p.status', '=', 'published').where('p.published_at', '>', now);
  if (filter.state === 'published') q = q.where('p.status', '=', 'published').where('p.published_at', '<=', now);
  const rows = await q.orderBy('p.updated_at', 'desc').orderBy('p.id').limit(500).execute();
  return withTags(deps.db, rows);
}

export async function getPost(deps: Pick<Deps, 'db'>, actor: Actor, id: string): Promise<BlogPost> {
  requirePlatformAdmin(actor);
  const row = isUuid(id) ? await selectPosts(deps.db).where('p.id', '=', id).executeTakeFirst() : undefined;
  if (!row) throw new NotFoundError('No such blog post.');
  return (await withTags(deps.db, [row]))[0]!;
}

/** A post's cover image for staff, whatever the post's state (the edit form shows it). */
export async function staffCover(deps: Pick<Deps, 'db' | 'config' | 'log' | 'clock'>, actor: Actor, fileId: string) {
  requirePlatformAdmin(actor);
  return openCover(deps, deps.db, fileId, { now: deps.clock.now(), anyPost: true });
}

/** The post's fields, its category and address checked against the database (422 naming the field). */
async function checked(db: DbOrTx, raw: BlogPostInput, id: string | null): Promise<ParsedPost> {
  let parsed: ParsedPost | null = null;
  let errors: Record<string, string> = {};
  try {
    parsed = parsePost(raw);
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    errors = { ...err.fields };
  }
  const categoryId = (raw.categoryId ?? '').trim();
  if (categoryId && !errors.categoryId) {
    const found = isUuid(categoryId)
      ? await db.selectFrom('blog_categories').select('id').where('id', '=', categoryId).executeTakeFirst()
      : undefined;
    if (!found) errors.categoryId = 'Choose a category from the list.';
  }
  if (parsed && !errors.slug) {
    let q = db.selectFrom('blog_posts').select('id').where('slug', '=', parsed.slug);
    if (id) q = q.where('id', '<>', id);
    if (await q.executeTakeFirst()) errors.slug = `Another post already uses the address /blog/${parsed.slug}.`;
  }
  if (!parsed || Object.keys(errors).length) throw new ValidationError(errors);
  return parsed;
}

const details = (p: ParsedPost, publishedAt: Date | null) => ({
  kind: 'blog_post',
  title: p.title,
  slug: p.slug,
  status: p.status,
  published_at: publishedAt?.toISOString() ?? null,
});

/**
 * Writes a post (new when `current` is null): its fields, tags and cover in one transaction; a
 * replaced or removed cover's file goes after it commits. Publishing without a date keeps the
 * post's earlier date, or takes now.
 */
async function save(
  deps: Pick<Deps, 'db' | 'clock' | 'config' | 'log'>,
  actor: Actor,
  current: BlogPost | null,
  raw: BlogPostInput & CoverChange,
): Promise<string> {
  const p = await checked(deps.db, raw, current?.id ?? null);
  const cover = raw.cover ? checkCover(raw.cover) : null;
  const keptCover = cover || raw.removeCover ? null : (current?.coverFileId ?? null);
  if (p.coverAlt === '' && (cover || keptCover))
    throw new ValidationError({ coverAlt: 'Describe the cover image for people who cannot see it.' });
  const now = deps.clock.now();
  const publishedAt = p.publishedAt ?? (p.status === 'published' ? (current?.publishedAt ?? now) : null);
  const id = await withStoredFiles(deps, (store) =>
    deps.db.transaction().execute(async (trx) => {
      const coverFileId = cover ? (await store(trx, { bytes: cover.bytes, contentType: cover.type })).id : keptCover;
      const values = {
        slug: p.slug,
        title: p.title,
        summary: p.summary,
        body: p.body,
        cover_file_id: coverFileId,
        cover_alt: coverFileId ? p.coverAlt : '',
        category_id: p.categoryId,
        status: p.status,
        published_at: publishedAt,
        updated_at: now,
      };
      const row = current
        ? await trx
            .updateTable('blog_posts')
            .set(values)
            .where('id', '=', current.id)
            .returning('id')
            .executeTakeFirstOrThrow()
        : await trx
            .insertInto('blog_posts')
            .values({ ...values, author_id: actor.userId, created_at: now })
            .returning('id')
            .executeTakeFirstOrThrow();
      await trx.deleteFrom('blog_post_tags').where('post_id', '=', row.id).execute();
      if (p.tags.length)
        await trx
          .insertInto('blog_post_tags')
          .values(p.tags.map((tag) => ({ post_id: row.id, tag })))
          .execute();
      await recordActivity(trx, {
        action: 'admin.content_saved',
        actorUserId: actor.userId,
        target: { type: 'blog_post', id: row.id },
        origin: actor.origin,
        details: { ...details(p, publishedAt), created: !current, cover: coverFileId !== null },
        occurredAt: now,
      });
      return row.id;
    }),
  ).catch((err: unknown) => {
    // Another save took the address between the check and the write.
    if ((err as { code?: string } | null)?.code === '23505')
      throw new ValidationError({ slug: `Another post already uses the address /blog/${p.slug}.` });
    throw err;
  });
  if (current?.coverFileId && current.coverFileId !== keptCover) await deleteFile(deps, deps.db, current.coverFileId);
  return id;
}

/** Writes a new post, its author the actor (422 naming the fields). */
export async function createPost(
  deps: Pick<Deps, 'db' | 'clock' | 'config' | 'log'>,
  actor: Actor,
  raw: BlogPostInput & CoverChange,
): Promise<BlogPost> {
  requirePlatformAdmin(actor);
  return getPost(deps, actor, await save(deps, actor, null, raw));
}

/** Changes a post (all fields given; the cover stays unless replaced or removed). */
export async function updatePost(
  deps: Pick<Deps, 'db' | 'clock' | 'config' | 'log'>,
  actor: Actor,
  id: string,
  raw: BlogPostInput & CoverChange,
): Promise<BlogPost> {
  const current = await getPost(deps, actor, id);
  return getPost(deps, actor, await save(deps, actor, current, raw));
}

/** Publishes a post now (or keeps the date it had: a scheduled post stays scheduled), or takes it back to draft. */
export async function setPublished(
  deps: Pick<Deps, 'db' | 'clock'>,
  actor: Actor,
  id: string,
  published: boolean,
): Promise<BlogPost> {
  const current = await getPost(deps, actor, id);
  const now = deps.clock.now();
  const publishedAt = published ? (current.publishedAt ?? now) : current.publishedAt;
  await deps.db.transaction().execute(async (trx) => {
    await trx
      .updateTable('blog_posts')
      .set({ status: published ? 'published' : 'draft', published_at: publishedAt, updated_at: now })
      .where('id', '=', current.id)
      .execute();
    await recordActivity(trx, {
      action: 'admin.content_saved',
      actorUserId: actor.userId,
      target: { type: 'blog_post', id: current.id },
      origin: actor.origin,
      details: { kind: 'blog_post', title: current.title, status: published ? 'published' : 'draft' },
      occurredAt: now,
    });
  });
  return getPost(deps, actor, current.id);
}

/** Deletes a post, its tags and its cover image; audited as `admin.content_deleted`. */
export async function deletePost(
  deps: Pick<Deps, 'db' | 'clock' | 'config' | 'log'>,
  actor: Actor,
  id: string,
): Promise<void> {
  const current = await getPost(deps, actor, id);
  await deps.db.transaction().execute(async (trx) => {
    await trx.deleteFrom('blog_posts').where('id', '=', current.id).execute();
    await recordActivity(trx, {
      action: 'admin.content_deleted',
      actorUserId: actor.userId,
      target: { type: 'blog_post', id: current.id },
      origin: actor.origin,
      details: { kind: 'blog_post', title: current.title, slug: current.slug },
      occurredAt: deps.clock.now(),
    });
  });
  if (current.coverFileId) await deleteFile(deps, deps.db, current.coverFileId);
}

/**
 * The blog's entries for sitemap.xml (src/web/pages/public/seo.ts): /blog itself, the posts the
 * public may read at `now` (published, their time come) and the categories that have one; none
 * while there is no such post. Drafts and scheduled posts never appear.
 */
export async function blogSitemapEntries(
  db: DbOrTx,
  now: Date = new Date(),
): Promise<{ path: string; updatedAt: Date | null }[]> {
  const posts = await db
    .selectFrom('blog_posts as p')
    .leftJoin('blog_categories as c', 'c.id', 'p.category_id')
    .select(['p.slug', 'p.updated_at', 'c.slug as categorySlug'])
    .where('p.status', '=', 'published')
    .where('p.published_at', '<=', now)
    .orderBy('p.published_at', 'desc')
    .limit(5000)
    .execute();
  const categories = new Map<string, Date>();
  for (const p of posts)
    if (p.categorySlug && (categories.get(p.categorySlug)?.getTime() ?? 0) < p.updated_at.getTime())
      categories.set(p.categorySlug, p.updated_at);
  if (!posts.length) return [];
  const newest = new Date(Math.max(...posts.map((p) => p.updated_at.getTime())));
  return [
    { path: '/blog', updatedAt: newest },
    ...posts.map((p) => ({ path: `/blog/${p.slug}`, updatedAt: p.updated_at })),
    ...[...categories].map(([slug, updatedAt]) => ({ path: `/blog/category/${slug}`, updatedAt })),
  ];
}
