import type { DbOrTx } from '../../db/index.ts';
import { NotFoundError } from '../../lib/errors.ts';
import { renderMarkdown } from '../../lib/markdown.ts';
import type { Deps } from '../deps.ts';
import type { OpenedFile } from '../files/store.ts';
import { selectPosts, withTags } from './blog-query.ts';
import { openCover } from './blog-cover.ts';
import { isSlug } from './blog-input.ts';

/**
 * What anyone may read of the blog: published posts whose time has come at the clock's now,
 * never a draft or a scheduled post (those answer 404 and are left out of every list and
 * feed). Authors are shown by name only.
 */

export const PAGE_SIZE = 10;
export const FEED_SIZE = 20;

export interface PublicPost {
  id: string;
  slug: string;
  title: string;
  summary: string;
  /** Site-relative, or null without a cover. */
  coverUrl: string | null;
  coverAlt: string;
  authorName: string | null;
  category: { name: string; slug: string } | null;
  publishedAt: Date;
  updatedAt: Date;
  tags: string[];
}

export interface PublicPostPage extends PublicPost {
  /** The Markdown body rendered and sanitised. */
  bodyHtml: string;
}

export interface PostList {
  posts: PublicPost[];
  page: number;
  hasMore: boolean;
}

/** The public's posts at `now`, newest first, with their category's slug. */
function visible(db: DbOrTx, now: Date) {
  return selectPosts(db)
    .select('c.slug as categorySlug')
    .where('p.status', '=', 'published')
    .where('p.published_at', '<=', now);
}

type Row = Awaited<ReturnType<ReturnType<typeof visible>['execute']>>[number];

const present = (r: Row & { tags: string[] }): PublicPost => ({
  id: r.id,
  slug: r.slug,
  title: r.title,
  summary: r.summary,
  coverUrl: r.coverFileId ? `/blog/images/${r.coverFileId}` : null,
  coverAlt: r.coverAlt,
  authorName: r.authorName,
  category: r.categoryName && r.categorySlug ? { name: r.categoryName, slug: r.categorySlug } : null,
  publishedAt: r.publishedAt!,
  updatedAt: r.updatedAt,
  tags: r.tags,
});

/** One page of the public's posts, optionally of one category (by slug) or tag. */
export async function publicPosts(
  deps: Pick<Deps, 'db' | 'clock'>,
  opts: { page?: number; categoryId?: string; tag?: string; limit?: number } = {},
): Promise<PostList> {
  const limit = opts.limit ?? PAGE_SIZE;
  const page = Math.max(1, Math.min(opts.page ?? 1, 10_000));
  let q = visible(deps.db, deps.clock.now());
  if (opts.categoryId) q = q.where('p.category_id', '=', opts.categoryId);
  if (opts.tag) {
    const tag = opts.tag;
    q = q.where((eb) =>
      eb.exists(
        eb
          .selectFrom('blog_post_tags as t')
          .select('t.post_id')
          .whereRef('t.post_id', '=', 'p.id')
          .where('t.tag', '=', tag),
      ),
    );
  }
  const rows = await q
    .orderBy('p.published_at', 'desc')
    .orderBy('p.id')
    .limit(limit + 1)
    .offset((page - 1) * limit)
    .execute();
  const posts = (await withTags(deps.db, rows.slice(0, limit))).map(present);
  return { posts, page, hasMore: rows.length > limit };
}

/** A category by its slug (404 when there is none). */
export async function publicCategory(db: DbOrTx, slug: string): Promise<{ id: string; name: string; slug: string }> {
  const row = isSlug(slug, 80)
    ? await db.selectFrom('blog_categories').select(['id', 'name', 'slug']).where('slug', '=', slug).executeTakeFirst()
    : undefined;
  if (!row) throw new NotFoundError('No such blog category.');
  return row;
}

/** The categories with at least one post the public may read now, by name. */
export async function publicCategories(deps: Pick<Deps, 'db' | 'clock'>): Promise<{ name: string; slug: string }[]> {
  return deps.db
    .selectFrom('blog_categories as c')
    .select(['c.name', 'c.slug'])
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('blog_posts as p')
          .select('p.id')
          .whereRef('p.category_id', '=', 'c.id')
          .where('p.status', '=', 'published')
          .where('p.published_at', '<=', deps.clock.now()),
      ),
    )
    .orderBy('c.name')
    .execute();
}

/** A post the public may read now, its body rendered (404 otherwise: drafts and scheduled posts too). */
export async function publicPost(deps: Pick<Deps, 'db' | 'clock'>, slug: string): Promise<PublicPostPage> {
  const row = isSlug(slug)
    ? await visible(deps.db, deps.clock.now()).where('p.slug', '=', slug).executeTakeFirst()
    : undefined;
  if (!row) throw new NotFoundError('No such blog post.');
  const [post] = await withTags(deps.db, [row]);
  return { ...present(post!), bodyHtml: renderMarkdown(row.body, { headingShift: 1 }) };
}

/** The newest posts for the RSS and Atom feeds. */
export async function feedPosts(deps: Pick<Deps, 'db' | 'clock'>): Promise<PublicPost[]> {
  return (await publicPosts(deps, { limit: FEED_SIZE })).posts;
}

/** A cover image the public may see now (its post published, its time come), or null. */
export function publicCover(
  deps: Pick<Deps, 'db' | 'clock' | 'config' | 'log'>,
  fileId: string,
): Promise<OpenedFile | null> {
  return openCover(deps, deps.db, fileId, { now: deps.clock.now() });
}
