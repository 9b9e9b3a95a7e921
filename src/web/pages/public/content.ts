import { Hono, type Context } from 'hono';
import {
  publicDocsArticle,
  publicDocsCategory,
  publicDocsFile,
  publicDocsIndex,
  searchDocs,
} from '../../../domain/content/docs.ts';
import { publicFaq } from '../../../domain/content/faq.ts';
import { ROOT_PAGES, pagePath, publicSitePage } from '../../../domain/content/pages.ts';
import { formatBytes } from '../../../domain/support/attachments.ts';
import { sendAttachment } from '../../attachments.ts';
import type { AppDeps } from '../../context.ts';
import type { Renderer } from '../../render.ts';

/**
 * The public site's content (issue 16 item 1): /faq, the knowledge base (/docs, a category,
 * an article, search with `?q=`, file downloads at /docs/files/<id>), and staff-written pages
 * (/about, /terms, /privacy, others at /pages/<slug>). Published content only: a draft, a
 * category without published articles or a draft's file is a 404. Anonymous, the same for
 * everyone (signed-in people see them with their session); CDN-cacheable by
 * middleware/public-cache.ts, downloads excepted (private, with the attachment headers).
 */
export function contentPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();

  app.get('/faq', async (c) => {
    const sections = await publicFaq(deps.db);
    return view.page(
      c,
      'public/faq/index',
      { sections },
      {
        title: 'Frequently asked questions',
        description: 'Answers to common questions about our cloud servers, billing and accounts.',
      },
    );
  });

  app.get('/docs', async (c) => {
    const q = (c.req.query('q') ?? '').trim().slice(0, 200);
    if (q) {
      const results = await searchDocs(deps.db, q);
      return view.page(
        c,
        'public/docs/search',
        { q, results },
        { title: `Search the docs: ${q}`, description: 'Search results in the knowledge base.' },
      );
    }
    const sections = await publicDocsIndex(deps.db);
    return view.page(
      c,
      'public/docs/index',
      { sections, q },
      {
        title: 'Documentation',
        description: 'Guides and answers for using our cloud servers: getting started, billing, networking and more.',
      },
    );
  });

  // Before /docs/:category/:slug (the category slug `files` is reserved).
  app.get('/docs/files/:id', async (c) =>
    sendAttachment(c, await publicDocsFile(deps, c.req.param('id')), { preview: false }),
  );

  app.get('/docs/:category', async (c) => {
    const section = await publicDocsCategory(deps.db, c.req.param('category'));
    return view.page(
      c,
      'public/docs/category',
      { section },
      {
        title: `${section.name} · Documentation`,
        description: section.description || `Articles about ${section.name} in the knowledge base.`,
      },
    );
  });

  app.get('/docs/:category/:slug', async (c) => {
    const article = await publicDocsArticle(deps.db, c.req.param('category'), c.req.param('slug'));
    return view.page(
      c,
      'public/docs/article',
      { article, formatBytes },
      { title: article.title, description: article.description },
    );
  });

  const page = (slug: string) => async (c: Context) => {
    const p = await publicSitePage(deps.db, slug);
    return view.page(c, 'public/pages/show', { page: p }, { title: p.title, description: p.description });
  };
  for (const slug of ROOT_PAGES) app.get(`/${slug}`, page(slug));

  app.get('/pages/:slug', async (c) => {
    const slug = c.req.param('slug');
    if (pagePath(slug) !== `/pages/${slug}`) return c.redirect(pagePath(slug), 301);
    return page(slug)(c);
  });

  return app;
}
