import { Hono, type Context } from 'hono';
import {
  feedPosts,
  publicCategories,
  publicCategory,
  publicCover,
  publicPost,
  publicPosts,
  type PostList,
} from '../../../domain/content/blog-public.ts';
import type { OpenedFile } from '../../../domain/files/store.ts';
import { isSlug } from '../../../domain/content/blog-input.ts';
import { contentDisposition } from '../../../lib/file-types.ts';
import type { AppDeps } from '../../context.ts';
import type { Renderer } from '../../render.ts';

/** The blog's feeds, for `<link rel="alternate">` in every blog page's head (views/shared/_head.eta). */
const FEEDS = [
  { type: 'application/rss+xml', title: 'Blog (RSS)', href: '/blog/feed.xml' },
  { type: 'application/atom+xml', title: 'Blog (Atom)', href: '/blog/atom.xml' },
];

const EXTENSIONS: Record<string, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/gif': 'gif',
  'image/webp': 'webp',
};

/**
 * A cover image's bytes with safe headers: the type sniffed when it was stored (raster images
 * only), `nosniff`, a sandboxing CSP, inline, a strong ETag of its digest (the id changes when a
 * cover is replaced), and `cacheControl`.
 */
export function sendCover(c: Context, file: OpenedFile, cacheControl: string): Response {
  const etag = `"${file.sha256}"`;
  const headers = {
    'Content-Type': file.contentType,
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': "default-src 'none'; sandbox; frame-ancestors 'none'",
    'Content-Disposition': contentDisposition('inline', `cover.${EXTENSIONS[file.contentType] ?? 'bin'}`),
    'Cache-Control': cacheControl,
    ETag: etag,
  };
  if ((c.req.header('if-none-match') ?? '').split(',').some((t) => t.trim().replace(/^W\//, '') === etag))
    return c.body(null, 304, headers);
  return c.body(new Uint8Array(file.bytes), 200, { ...headers, 'Content-Length': String(file.bytes.length) });
}

/** When the feed last changed: its newest post's publication or edit (the epoch when it has none). */
const latest = (posts: { publishedAt: Date; updatedAt: Date }[]) =>
  new Date(Math.max(0, ...posts.flatMap((p) => [p.publishedAt.getTime(), p.updatedAt.getTime()])));

const pageOf = (c: Context) => Math.max(1, Number.parseInt(c.req.query('page') ?? '1', 10) || 1);

/**
 * The public blog (issue 16 items 1 and 3): /blog (newest first, ten a page), a post, its
 * category and tag pages, cover images, and the RSS 2.0 and Atom feeds. Only posts published
 * and whose time has come exist here: a draft or scheduled post is 404 everywhere.
 */
export function blogPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();
  const description = (c: Context) =>
    `News, guides and product updates from ${c.get('branding')?.name ?? deps.config.BRAND_NAME}.`;

  /** A list page; a page number past the end is 404 (nothing to index there). */
  const list = async (
    c: Context,
    list: PostList,
    data: { heading: string; base: string; intro?: string },
    title: string,
  ) => {
    if (list.page > 1 && !list.posts.length) return c.notFound();
    const categories = await publicCategories(deps);
    const pageTitle = list.page > 1 ? `${title} (page ${list.page})` : title;
    const opts = {
      title: pageTitle,
      description: data.intro ?? description(c),
      image: list.posts.find((p) => p.coverUrl)?.coverUrl ?? undefined,
    };
    return view.page(c, 'public/blog/index', { ...list, ...data, categories, feeds: FEEDS }, opts);
  };

  app.get('/blog', async (c) =>
    list(c, await publicPosts(deps, { page: pageOf(c) }), { heading: 'Blog', base: '/blog' }, 'Blog'),
  );

  app.get('/blog/category/:slug', async (c) => {
    const category = await publicCategory(deps.db, c.req.param('slug'));
    const posts = await publicPosts(deps, { page: pageOf(c), categoryId: category.id });
    const heading = `Blog: ${category.name}`;
    return list(
      c,
      posts,
      { heading, base: `/blog/category/${category.slug}`, intro: `Posts about ${category.name}.` },
      heading,
    );
  });

  app.get('/blog/tag/:tag', async (c) => {
    const tag = c.req.param('tag');
    const posts = isSlug(tag, 40) ? await publicPosts(deps, { page: pageOf(c), tag }) : null;
    if (!posts?.posts.length) return c.notFound();
    const heading = `Posts tagged “${tag}”`;
    return list(c, posts, { heading, base: `/blog/tag/${tag}`, intro: `Blog posts tagged ${tag}.` }, heading);
  });

  app.get('/blog/images/:id', async (c) => {
    const file = await publicCover(deps, c.req.param('id'));
    return file ? sendCover(c, file, 'public, max-age=3600') : c.notFound();
  });

  const feed = (template: string, type: string) => async (c: Context) => {
    const posts = await feedPosts(deps);
    const data = { posts, site: deps.config.publicUrl, description: description(c), updated: latest(posts) };
    const xml = view.renderString(c, template, data, { layout: 'bare' });
    return c.body(xml, 200, { 'Content-Type': `${type}; charset=utf-8`, 'Cache-Control': 'public, max-age=300' });
  };
  app.get('/blog/feed.xml', feed('public/blog/rss', 'application/rss+xml'));
  app.get('/blog/atom.xml', feed('public/blog/atom', 'application/atom+xml'));

  app.get('/blog/:slug', async (c) => {
    const post = await publicPost(deps, c.req.param('slug'));
    return view.page(
      c,
      'public/blog/show',
      { post, feeds: FEEDS, ogType: 'article' },
      { title: post.title, description: post.summary || description(c), image: post.coverUrl ?? undefined },
    );
  });

  return app;
}
