import type { DbOrTx } from '../../db/index.ts';
import type { PostStatus } from './blog-input.ts';

/** How blog posts are read (staff's blog.ts and the public's blog-public.ts share it). */

export interface BlogPost {
  id: string;
  slug: string;
  title: string;
  summary: string;
  body: string;
  coverFileId: string | null;
  coverAlt: string;
  authorName: string | null;
  categoryId: string | null;
  categoryName: string | null;
  status: PostStatus;
  publishedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  tags: string[];
}

/** Where a post stands at `now`: a draft, published but not yet shown, or shown. */
export type PostState = 'draft' | 'scheduled' | 'published';
export const POST_STATES = ['draft', 'scheduled', 'published'] as const;

export function postState(p: Pick<BlogPost, 'status' | 'publishedAt'>, now: Date): PostState {
  if (p.status === 'draft') return 'draft';
  return p.publishedAt && p.publishedAt > now ? 'scheduled' : 'published';
}

export function selectPosts(db: DbOrTx) {
  return db
    .selectFrom('blog_posts as p')
    .leftJoin('users as u', 'u.id', 'p.author_id')
    .leftJoin('blog_categories as c', 'c.id', 'p.category_id')
    .select([
      'p.id',
      'p.slug',
      'p.title',
      'p.summary',
      'p.body',
      'p.cover_file_id as coverFileId',
      'p.cover_alt as coverAlt',
      'u.name as authorName',
      'p.category_id as categoryId',
      'c.name as categoryName',
      'p.status',
      'p.published_at as publishedAt',
      'p.created_at as createdAt',
      'p.updated_at as updatedAt',
    ]);
}

/** The posts' tags, filled in. */
export async function withTags<T extends { id: string }>(db: DbOrTx, posts: T[]): Promise<(T & { tags: string[] })[]> {
  const ids = posts.map((p) => p.id);
  const rows = ids.length
    ? await db
        .selectFrom('blog_post_tags')
        .select(['post_id', 'tag'])
        .where('post_id', 'in', ids)
        .orderBy('tag')
        .execute()
    : [];
  return posts.map((p) => ({ ...p, tags: rows.filter((r) => r.post_id === p.id).map((r) => r.tag) }));
}
