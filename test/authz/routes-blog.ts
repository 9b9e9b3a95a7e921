import { createHash } from 'node:crypto';
import { png } from '../support/attachments-files.ts';
import type { Call, Done, Requirement } from './routes.ts';

/**
 * The matrix's entries for the blog (issue 16 items 1, 3 and 4), spread into ROUTES by
 * routes.ts: the staff screens under /admin/content/blog (platform staff only) and the public
 * blog (everyone, signed in or not: the same published posts).
 */

const u = () => Math.random().toString(36).slice(2, 10);
const problem = (ok: boolean, what: string) => (ok ? null : what);
const db = (c: Call) => c.fx.ctx.db;
const LIST = '/admin/content/blog';
const CATEGORIES = '/admin/content/blog/categories';

async function category(c: Call) {
  const slug = `matrix-${u()}`;
  return db(c)
    .insertInto('blog_categories')
    .values({ name: `Matrix category ${slug}`, slug })
    .returning(['id', 'name', 'slug'])
    .executeTakeFirstOrThrow();
}

/** A cover image in the stored-files store. */
async function coverFile(c: Call) {
  const bytes = png();
  const row = await db(c)
    .insertInto('stored_files')
    .values({
      storage: 'postgres',
      bytes,
      sha256: createHash('sha256').update(bytes).digest(),
      size: bytes.length,
      content_type: 'image/png',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** Each post a little newer than the one before (all within the last hour), so the newest leads every list and feed. */
let made = 0;

/** A post (published just now unless `draft`), with a tag, a category and a cover. */
async function post(c: Call, opts: { draft?: boolean } = {}) {
  const slug = `matrix-post-${u()}`;
  const cat = await category(c);
  const row = await db(c)
    .insertInto('blog_posts')
    .values({
      slug,
      title: `Matrix post ${slug}`,
      summary: 'A matrix post',
      body: 'Hello **world**',
      cover_file_id: await coverFile(c),
      cover_alt: 'A cover',
      category_id: cat.id,
      status: opts.draft ? 'draft' : 'published',
      published_at: opts.draft ? null : new Date(c.fx.ctx.clock.now().getTime() - 3_600_000 + ++made * 10),
    })
    .returning(['id', 'slug', 'title', 'cover_file_id'])
    .executeTakeFirstOrThrow();
  const tag = `tag-${u()}`;
  await db(c).insertInto('blog_post_tags').values({ post_id: row.id, tag }).execute();
  return { ...row, tag, categorySlug: cat.slug };
}

const postRow = (c: Call, id: string) =>
  db(c).selectFrom('blog_posts').select(['title', 'status']).where('id', '=', id).executeTakeFirst();
const page = (title: string, ...shows: string[]): Done => ({
  status: 200,
  shows: [`<title>${title} · SkyPanel</title>`, ...shows],
});
const to = (location: string, effect: Done['effect']): Done => ({ status: 303, location, effect });
const postBody = (title: string) => ({
  title,
  slug: '',
  summary: 'Matrix',
  body: 'Text',
  categoryId: '',
  tags: 'matrix',
  coverAlt: 'A cover',
  status: 'draft',
  publishedAt: '',
});

export const BLOG_ROUTES: Record<string, Requirement> = {
  'GET /admin/content/blog': {
    auth: 'admin',
    setup: async (c) => ({ title: (await post(c, { draft: true })).title }),
    done: (c) => page('Blog', c.made.title!, 'New post'),
  },
  'GET /admin/content/blog/new': { auth: 'admin', done: page('New blog post', 'enctype="multipart/form-data"') },
  'POST /admin/content/blog': {
    auth: 'admin',
    setup: async () => ({ title: `Matrix new post ${u()}` }),
    body: (c) => postBody(c.made.title!),
    done: (c) =>
      to(LIST, async () =>
        problem(
          (await db(c).selectFrom('blog_posts').select('id').where('title', '=', c.made.title!).executeTakeFirst()) !==
            undefined,
          'the post was not added',
        ),
      ),
  },
  'GET /admin/content/blog/covers/:fileId': {
    auth: 'admin',
    params: async (c) => ({ fileId: (await post(c, { draft: true })).cover_file_id! }),
    done: { status: 200 },
  },
  'GET /admin/content/blog/:id': {
    auth: 'admin',
    params: async (c) => ({ id: (await post(c, { draft: true })).id }),
    done: { status: 200, shows: ['<title>Blog post: Matrix post', 'Save post', 'Publish now'] },
  },
  'POST /admin/content/blog/:id': {
    auth: 'admin',
    params: async (c) => ({ id: (await post(c, { draft: true })).id }),
    setup: async () => ({ title: `Matrix edited post ${u()}` }),
    body: (c) => postBody(c.made.title!),
    done: (c) =>
      to(LIST, async () =>
        problem((await postRow(c, c.params.id!))?.title === c.made.title, 'the post was not changed'),
      ),
  },
  'POST /admin/content/blog/:id/publication': {
    auth: 'admin',
    params: async (c) => ({ id: (await post(c, { draft: true })).id }),
    done: (c) =>
      to(LIST, async () =>
        problem((await postRow(c, c.params.id!))?.status === 'published', 'the post was not published'),
      ),
  },
  'POST /admin/content/blog/:id/publication/delete': {
    auth: 'admin',
    params: async (c) => ({ id: (await post(c)).id }),
    done: (c) =>
      to(LIST, async () =>
        problem((await postRow(c, c.params.id!))?.status === 'draft', 'the post was not unpublished'),
      ),
  },
  'POST /admin/content/blog/:id/delete': {
    auth: 'admin',
    params: async (c) => ({ id: (await post(c, { draft: true })).id }),
    done: (c) =>
      to(LIST, async () => problem((await postRow(c, c.params.id!)) === undefined, 'the post was not deleted')),
  },
  'GET /admin/content/blog/categories': {
    auth: 'admin',
    setup: async (c) => ({ name: (await category(c)).name }),
    done: (c) => page('Blog categories', c.made.name!, 'Add category'),
  },
  'POST /admin/content/blog/categories': {
    auth: 'admin',
    setup: async () => ({ name: `Matrix new category ${u()}` }),
    body: (c) => ({ name: c.made.name!, slug: '' }),
    done: (c) =>
      to(CATEGORIES, async () =>
        problem(
          (await db(c)
            .selectFrom('blog_categories')
            .select('id')
            .where('name', '=', c.made.name!)
            .executeTakeFirst()) !== undefined,
          'the category was not added',
        ),
      ),
  },
  'POST /admin/content/blog/categories/:id': {
    auth: 'admin',
    params: async (c) => ({ id: (await category(c)).id }),
    setup: async () => ({ name: `Matrix renamed ${u()}` }),
    body: (c) => ({ name: c.made.name!, slug: '' }),
    done: (c) =>
      to(CATEGORIES, async () => {
        const row = await db(c)
          .selectFrom('blog_categories')
          .select('name')
          .where('id', '=', c.params.id!)
          .executeTakeFirst();
        return problem(row?.name === c.made.name, 'the category was not renamed');
      }),
  },
  'POST /admin/content/blog/categories/:id/delete': {
    auth: 'admin',
    params: async (c) => ({ id: (await category(c)).id }),
    done: (c) =>
      to(CATEGORIES, async () => {
        const row = await db(c)
          .selectFrom('blog_categories')
          .select('id')
          .where('id', '=', c.params.id!)
          .executeTakeFirst();
        return problem(row === undefined, 'the category was not deleted');
      }),
  },
  // The public blog: the same for everyone, signed in or not.
  'GET /blog': {
    auth: 'public',
    setup: async (c) => ({ title: (await post(c)).title }),
    done: (c) => page('Blog', c.made.title!),
  },
  'GET /blog/:slug': {
    auth: 'public',
    params: async (c) => {
      const p = await post(c);
      return { slug: p.slug, title: p.title };
    },
    done: (c) => page(c.params.title!, '<strong>world</strong>'),
  },
  'GET /blog/category/:slug': {
    auth: 'public',
    params: async (c) => {
      const p = await post(c);
      return { slug: p.categorySlug, title: p.title };
    },
    done: (c) => ({ status: 200, shows: [c.params.title!] }),
  },
  'GET /blog/tag/:tag': {
    auth: 'public',
    params: async (c) => {
      const p = await post(c);
      return { tag: p.tag, title: p.title };
    },
    done: (c) => ({ status: 200, shows: [c.params.title!] }),
  },
  'GET /blog/images/:id': {
    auth: 'public',
    params: async (c) => ({ id: (await post(c)).cover_file_id! }),
    done: { status: 200 },
  },
  'GET /blog/feed.xml': {
    auth: 'public',
    setup: async (c) => ({ title: (await post(c)).title }),
    done: (c) => ({ status: 200, shows: ['<rss version="2.0"', c.made.title!] }),
  },
  'GET /blog/atom.xml': {
    auth: 'public',
    setup: async (c) => ({ title: (await post(c)).title }),
    done: (c) => ({ status: 200, shows: ['<feed xmlns="http://www.w3.org/2005/Atom">', c.made.title!] }),
  },
};
