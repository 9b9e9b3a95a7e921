import { createHash } from 'node:crypto';
import type { Call, Done, Requirement } from './routes.ts';

/**
 * The matrix's entries for the site content (issue 16 items 1 and 4), spread into ROUTES by
 * routes.ts: the staff screens under /admin/content/{faq,docs,pages} (platform staff only) and
 * the public FAQ, docs and pages (everyone, signed in or not: published content only).
 */

const u = () => Math.random().toString(36).slice(2, 10);
const problem = (ok: boolean, what: string) => (ok ? null : what);
const db = (c: Call) => c.fx.ctx.db;
const FAQ = '/admin/content/faq';
const DOCS = '/admin/content/docs';
const PAGES = '/admin/content/pages';

const page = (title: string, ...shows: string[]): Done => ({
  status: 200,
  shows: [`<title>${title} · SkyPanel</title>`, ...shows],
});
const to = (location: string, effect: Done['effect']): Done => ({ status: 303, location, effect });

async function faqCategory(c: Call) {
  return db(c)
    .insertInto('faq_categories')
    .values({ name: `Matrix heading ${u()}` })
    .returning(['id', 'name'])
    .executeTakeFirstOrThrow();
}
async function faqItem(c: Call, published = true) {
  const cat = await faqCategory(c);
  return db(c)
    .insertInto('faq_items')
    .values({ category_id: cat.id, question: `Matrix question ${u()}?`, answer: 'An **answer**', published })
    .returning(['id', 'question'])
    .executeTakeFirstOrThrow();
}
async function docsCategory(c: Call) {
  const slug = `matrix-${u()}`;
  return db(c)
    .insertInto('docs_categories')
    .values({ slug, name: `Matrix docs ${slug}` })
    .returning(['id', 'name', 'slug'])
    .executeTakeFirstOrThrow();
}
async function article(c: Call, published = true) {
  const cat = await docsCategory(c);
  const slug = `article-${u()}`;
  const row = await db(c)
    .insertInto('docs_articles')
    .values({ category_id: cat.id, slug, title: `Matrix article ${slug}`, body: 'Article **body**', published })
    .returning(['id', 'slug', 'title'])
    .executeTakeFirstOrThrow();
  return { ...row, categorySlug: cat.slug, categoryName: cat.name, categoryId: cat.id };
}
/** A text file offered with an article. */
async function docsFile(c: Call, articleId: string) {
  const bytes = Buffer.from('matrix file\n');
  const stored = await db(c)
    .insertInto('stored_files')
    .values({
      storage: 'postgres',
      bytes,
      sha256: createHash('sha256').update(bytes).digest(),
      size: bytes.length,
      content_type: 'text/plain',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return db(c)
    .insertInto('docs_files')
    .values({
      article_id: articleId,
      file_id: stored.id,
      file_name: 'matrix.txt',
      content_type: 'text/plain',
      size: bytes.length,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
}
async function sitePage(c: Call) {
  const slug = `matrix-${u()}`;
  return db(c)
    .insertInto('site_pages')
    .values({ slug, title: `Matrix page ${slug}`, body: 'Page **body**', published: true })
    .returning(['id', 'slug', 'title'])
    .executeTakeFirstOrThrow();
}
const exists = async (
  c: Call,
  table: 'faq_items' | 'faq_categories' | 'docs_articles' | 'docs_categories' | 'site_pages',
  id: string,
) => (await db(c).selectFrom(table).select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
const publishedOf = async (c: Call, table: 'faq_items' | 'docs_articles' | 'site_pages', id: string) =>
  (await db(c).selectFrom(table).select('published').where('id', '=', id).executeTakeFirst())?.published;

export const CONTENT_ROUTES: Record<string, Requirement> = {
  // FAQ (staff)
  'GET /admin/content/faq': {
    auth: 'admin',
    setup: async (c) => ({ question: (await faqItem(c)).question }),
    done: (c) => page('FAQ', c.made.question!, 'New heading'),
  },
  'GET /admin/content/faq/categories/new': { auth: 'admin', done: page('New FAQ heading', 'Add heading') },
  'POST /admin/content/faq/categories': {
    auth: 'admin',
    setup: async () => ({ name: `Matrix new heading ${u()}` }),
    body: (c) => ({ name: c.made.name!, position: '3' }),
    done: (c) =>
      to(FAQ, async () =>
        problem(
          (await db(c)
            .selectFrom('faq_categories')
            .select('id')
            .where('name', '=', c.made.name!)
            .executeTakeFirst()) !== undefined,
          'the heading was not added',
        ),
      ),
  },
  'GET /admin/content/faq/categories/:id': {
    auth: 'admin',
    params: async (c) => ({ id: (await faqCategory(c)).id }),
    done: { status: 200, shows: ['<title>FAQ heading: Matrix heading', 'Save heading'] },
  },
  'POST /admin/content/faq/categories/:id': {
    auth: 'admin',
    params: async (c) => ({ id: (await faqCategory(c)).id }),
    setup: async () => ({ name: `Matrix renamed ${u()}` }),
    body: (c) => ({ name: c.made.name!, position: '1' }),
    done: (c) =>
      to(FAQ, async () => {
        const r = await db(c)
          .selectFrom('faq_categories')
          .select('name')
          .where('id', '=', c.params.id!)
          .executeTakeFirst();
        return problem(r?.name === c.made.name, 'the heading was not renamed');
      }),
  },
  'POST /admin/content/faq/categories/:id/delete': {
    auth: 'admin',
    params: async (c) => ({ id: (await faqCategory(c)).id }),
    done: (c) =>
      to(FAQ, async () => problem(!(await exists(c, 'faq_categories', c.params.id!)), 'the heading was not deleted')),
  },
  'GET /admin/content/faq/items/new': { auth: 'admin', done: page('New FAQ question', 'Add question') },
  'POST /admin/content/faq/items': {
    auth: 'admin',
    setup: async (c) => ({ categoryId: (await faqCategory(c)).id, question: `Matrix new question ${u()}?` }),
    body: (c) => ({
      categoryId: c.made.categoryId!,
      question: c.made.question!,
      answer: 'Yes.',
      position: '0',
      published: 'on',
    }),
    done: (c) =>
      to(FAQ, async () =>
        problem(
          (await db(c)
            .selectFrom('faq_items')
            .select('id')
            .where('question', '=', c.made.question!)
            .executeTakeFirst()) !== undefined,
          'the question was not added',
        ),
      ),
  },
  'GET /admin/content/faq/items/:id': {
    auth: 'admin',
    params: async (c) => ({ id: (await faqItem(c)).id }),
    done: { status: 200, shows: ['<title>FAQ: Matrix question', 'An **answer**', 'Save question'] },
  },
  'POST /admin/content/faq/items/:id': {
    auth: 'admin',
    params: async (c) => ({ id: (await faqItem(c)).id }),
    setup: async (c) => ({ categoryId: (await faqCategory(c)).id, question: `Matrix edited question ${u()}?` }),
    body: (c) => ({ categoryId: c.made.categoryId!, question: c.made.question!, answer: 'Edited.', position: '2' }),
    done: (c) =>
      to(FAQ, async () => {
        const r = await db(c)
          .selectFrom('faq_items')
          .select(['question', 'published'])
          .where('id', '=', c.params.id!)
          .executeTakeFirst();
        return problem(r?.question === c.made.question && r?.published === false, 'the question was not changed');
      }),
  },
  'POST /admin/content/faq/items/:id/publish': {
    auth: 'admin',
    params: async (c) => ({ id: (await faqItem(c, false)).id }),
    body: () => ({ published: 'true' }),
    done: (c) =>
      to(FAQ, async () =>
        problem((await publishedOf(c, 'faq_items', c.params.id!)) === true, 'the question was not published'),
      ),
  },
  'POST /admin/content/faq/items/:id/delete': {
    auth: 'admin',
    params: async (c) => ({ id: (await faqItem(c)).id }),
    done: (c) =>
      to(FAQ, async () => problem(!(await exists(c, 'faq_items', c.params.id!)), 'the question was not deleted')),
  },

  // Docs (staff)
  'GET /admin/content/docs': {
    auth: 'admin',
    setup: async (c) => ({ title: (await article(c, false)).title }),
    done: (c) => page('Docs', c.made.title!, 'New category'),
  },
  'GET /admin/content/docs/categories/new': { auth: 'admin', done: page('New docs category', 'Add category') },
  'POST /admin/content/docs/categories': {
    auth: 'admin',
    setup: async () => ({ slug: `matrix-new-${u()}` }),
    body: (c) => ({ name: 'Matrix new docs category', slug: c.made.slug!, description: '', position: '0' }),
    done: (c) =>
      to(DOCS, async () =>
        problem(
          (await db(c)
            .selectFrom('docs_categories')
            .select('id')
            .where('slug', '=', c.made.slug!)
            .executeTakeFirst()) !== undefined,
          'the category was not added',
        ),
      ),
  },
  'GET /admin/content/docs/categories/:id': {
    auth: 'admin',
    params: async (c) => ({ id: (await docsCategory(c)).id }),
    done: { status: 200, shows: ['<title>Docs category: Matrix docs', 'Save category'] },
  },
  'POST /admin/content/docs/categories/:id': {
    auth: 'admin',
    params: async (c) => ({ id: (await docsCategory(c)).id }),
    setup: async () => ({ slug: `matrix-renamed-${u()}` }),
    body: (c) => ({ name: 'Matrix renamed', slug: c.made.slug!, description: 'd', position: '4' }),
    done: (c) =>
      to(DOCS, async () => {
        const r = await db(c)
          .selectFrom('docs_categories')
          .select('slug')
          .where('id', '=', c.params.id!)
          .executeTakeFirst();
        return problem(r?.slug === c.made.slug, 'the category was not changed');
      }),
  },
  'POST /admin/content/docs/categories/:id/delete': {
    auth: 'admin',
    params: async (c) => ({ id: (await docsCategory(c)).id }),
    done: (c) =>
      to(DOCS, async () =>
        problem(!(await exists(c, 'docs_categories', c.params.id!)), 'the category was not deleted'),
      ),
  },
  'GET /admin/content/docs/articles/new': { auth: 'admin', done: page('New article', 'Add article') },
  'POST /admin/content/docs/articles': {
    auth: 'admin',
    setup: async (c) => ({ categoryId: (await docsCategory(c)).id, slug: `matrix-new-${u()}` }),
    body: (c) => ({
      categoryId: c.made.categoryId!,
      title: 'Matrix new article',
      slug: c.made.slug!,
      summary: '',
      body: 'Text',
      position: '0',
    }),
    done: async (c) => ({
      status: 303,
      location: /^\/admin\/content\/docs\/articles\/[0-9a-f-]{36}$/,
      effect: async () =>
        problem(
          (await db(c).selectFrom('docs_articles').select('id').where('slug', '=', c.made.slug!).executeTakeFirst()) !==
            undefined,
          'the article was not added',
        ),
    }),
  },
  'GET /admin/content/docs/articles/:id': {
    auth: 'admin',
    params: async (c) => ({ id: (await article(c, false)).id }),
    done: { status: 200, shows: ['<title>Article: Matrix article', 'Article **body**', 'Save article', 'Add files'] },
  },
  'POST /admin/content/docs/articles/:id': {
    auth: 'admin',
    params: async (c) => ({ id: (await article(c)).id }),
    setup: async (c) => ({ categoryId: (await docsCategory(c)).id, title: `Matrix edited article ${u()}` }),
    body: (c) => ({
      categoryId: c.made.categoryId!,
      title: c.made.title!,
      slug: '',
      summary: 's',
      body: 'b',
      position: '1',
    }),
    done: (c) =>
      to(DOCS, async () => {
        const r = await db(c)
          .selectFrom('docs_articles')
          .select(['title', 'category_id'])
          .where('id', '=', c.params.id!)
          .executeTakeFirst();
        return problem(
          r?.title === c.made.title && r?.category_id === c.made.categoryId,
          'the article was not changed',
        );
      }),
  },
  'GET /admin/content/docs/articles/:id/preview': {
    auth: 'admin',
    params: async (c) => ({ id: (await article(c, false)).id }),
    done: {
      status: 200,
      shows: ['<title>Preview: Matrix article', 'Article <strong>body</strong>', 'Preview of a draft'],
    },
  },
  'POST /admin/content/docs/articles/:id/publish': {
    auth: 'admin',
    params: async (c) => ({ id: (await article(c, false)).id }),
    body: () => ({ published: 'true' }),
    done: (c) =>
      to(DOCS, async () =>
        problem((await publishedOf(c, 'docs_articles', c.params.id!)) === true, 'the article was not published'),
      ),
  },
  'POST /admin/content/docs/articles/:id/delete': {
    auth: 'admin',
    params: async (c) => {
      const a = await article(c);
      await docsFile(c, a.id);
      return { id: a.id };
    },
    done: (c) =>
      to(DOCS, async () => problem(!(await exists(c, 'docs_articles', c.params.id!)), 'the article was not deleted')),
  },
  // Files come as multipart, which the matrix does not send: a permitted call without one is told to choose a file.
  'POST /admin/content/docs/articles/:id/files': {
    auth: 'admin',
    params: async (c) => ({ id: (await article(c)).id }),
    done: { status: 422, shows: 'Choose a file to upload.' },
  },
  'GET /admin/content/docs/articles/:id/files/:fileId': {
    auth: 'admin',
    params: async (c) => {
      const a = await article(c, false);
      return { id: a.id, fileId: (await docsFile(c, a.id)).id };
    },
    done: { status: 200, shows: 'matrix file' },
  },
  'POST /admin/content/docs/articles/:id/files/:fileId/delete': {
    auth: 'admin',
    params: async (c) => {
      const a = await article(c);
      return { id: a.id, fileId: (await docsFile(c, a.id)).id };
    },
    done: (c) => ({
      status: 303,
      location: `${DOCS}/articles/${c.params.id}`,
      effect: async () =>
        problem(
          (await db(c).selectFrom('docs_files').select('id').where('id', '=', c.params.fileId!).executeTakeFirst()) ===
            undefined,
          'the file was not removed',
        ),
    }),
  },

  // Pages (staff)
  'GET /admin/content/pages': {
    auth: 'admin',
    setup: async (c) => ({ title: (await sitePage(c)).title }),
    done: (c) => page('Pages', c.made.title!, '/about'),
  },
  'GET /admin/content/pages/new': { auth: 'admin', done: page('New page', 'Add page') },
  'POST /admin/content/pages': {
    auth: 'admin',
    setup: async () => ({ slug: `matrix-new-${u()}` }),
    body: (c) => ({ title: 'Matrix new page', slug: c.made.slug!, description: '', body: 'Hello', published: 'on' }),
    done: (c) =>
      to(PAGES, async () =>
        problem(
          (await db(c).selectFrom('site_pages').select('id').where('slug', '=', c.made.slug!).executeTakeFirst()) !==
            undefined,
          'the page was not added',
        ),
      ),
  },
  'GET /admin/content/pages/:id': {
    auth: 'admin',
    params: async (c) => ({ id: (await sitePage(c)).id }),
    done: { status: 200, shows: ['<title>Page: Matrix page', 'Page **body**', 'Save page'] },
  },
  'POST /admin/content/pages/:id': {
    auth: 'admin',
    params: async (c) => ({ id: (await sitePage(c)).id }),
    setup: async () => ({ title: `Matrix edited page ${u()}` }),
    body: (c) => ({ title: c.made.title!, slug: '', description: '', body: 'Edited', published: 'on' }),
    done: (c) =>
      to(PAGES, async () => {
        const r = await db(c)
          .selectFrom('site_pages')
          .select('title')
          .where('id', '=', c.params.id!)
          .executeTakeFirst();
        return problem(r?.title === c.made.title, 'the page was not changed');
      }),
  },
  'GET /admin/content/pages/:id/preview': {
    auth: 'admin',
    params: async (c) => ({ id: (await sitePage(c)).id }),
    done: { status: 200, shows: ['<title>Preview: Matrix page', 'Page <strong>body</strong>'] },
  },
  'POST /admin/content/pages/:id/publish': {
    auth: 'admin',
    params: async (c) => ({ id: (await sitePage(c)).id }),
    body: () => ({ published: 'false' }),
    done: (c) =>
      to(PAGES, async () =>
        problem((await publishedOf(c, 'site_pages', c.params.id!)) === false, 'the page was not withdrawn'),
      ),
  },
  'POST /admin/content/pages/:id/delete': {
    auth: 'admin',
    params: async (c) => ({ id: (await sitePage(c)).id }),
    done: (c) =>
      to(PAGES, async () => problem(!(await exists(c, 'site_pages', c.params.id!)), 'the page was not deleted')),
  },

  // Public: published content, the same for everyone
  'GET /faq': {
    auth: 'public',
    setup: async (c) => ({ question: (await faqItem(c)).question }),
    done: (c) => page('Frequently asked questions', c.made.question!),
  },
  'GET /docs': {
    auth: 'public',
    setup: async (c) => ({ title: (await article(c)).title }),
    done: (c) => page('Documentation', c.made.title!, 'name="q"'),
  },
  'GET /docs/files/:id': {
    auth: 'public',
    params: async (c) => ({ id: (await docsFile(c, (await article(c)).id)).id }),
    done: { status: 200, shows: 'matrix file' },
  },
  'GET /docs/:category': {
    auth: 'public',
    params: async (c) => {
      const a = await article(c);
      return { category: a.categorySlug };
    },
    done: { status: 200, shows: ['<title>Matrix docs', 'Matrix article'] },
  },
  'GET /docs/:category/:slug': {
    auth: 'public',
    params: async (c) => {
      const a = await article(c);
      return { category: a.categorySlug, slug: a.slug };
    },
    done: { status: 200, shows: ['<title>Matrix article', 'Article <strong>body</strong>'] },
  },
  'GET /about': { auth: 'public', done: page('About us') },
  'GET /terms': { auth: 'public', done: page('Terms of service') },
  'GET /privacy': { auth: 'public', done: page('Privacy policy') },
  'GET /pages/:slug': {
    auth: 'public',
    params: async (c) => ({ slug: (await sitePage(c)).slug }),
    done: { status: 200, shows: ['<title>Matrix page', 'Page <strong>body</strong>'] },
  },
};
