import { Hono, type Context } from 'hono';
import {
  MAX_FILES_PER_ARTICLE,
  addDocsFiles,
  createDocsArticle,
  createDocsCategory,
  deleteDocsArticle,
  deleteDocsCategory,
  docsArticleFromForm,
  docsCategoryFromForm,
  getDocsArticle,
  getDocsCategory,
  listDocs,
  listDocsCategories,
  previewDocsArticle,
  removeDocsFile,
  setDocsArticlePublished,
  staffDocsFile,
  updateDocsArticle,
  updateDocsCategory,
  type DocsArticle,
  type DocsCategory,
  type DocsFile,
} from '../../../../domain/content/docs.ts';
import { formatBytes } from '../../../../domain/support/attachments.ts';
import { actorOf } from '../../../actor.ts';
import { formFiles, sendAttachment, uploadHints } from '../../../attachments.ts';
import type { AppDeps } from '../../../context.ts';
import { formData, submitForm } from '../../../forms.ts';
import { flash, redirect, type Renderer } from '../../../render.ts';
import { draftMessages, mountContentKind, namedMessages } from './kind-routes.ts';

const layout = 'admin' as const;
const LIST = '/admin/content/docs';

/**
 * /admin/content/docs: the knowledge base (issue 16 item 4): categories and articles (list,
 * new, edit, publish or withdraw, delete; order by the position field), and each article's
 * files (upload, checked by content; remove; download, drafts' too). Bad input answers 422
 * with the form and what was typed; every change is in the activity log.
 */
export function adminDocsPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();
  const hints = uploadHints(deps.config);
  type Article = DocsArticle & { files: DocsFile[] };
  const articleForm = async (c: Context, article: Article | null) => ({
    template: 'admin/content/docs/article',
    data: {
      article,
      categories: await listDocsCategories(deps, actorOf(c)),
      upload: { ...hints, maxFiles: MAX_FILES_PER_ARTICLE },
      formatBytes,
    },
    options: { layout, title: article ? `Article: ${article.title}` : 'New article' },
  });
  const articleValues = (x: DocsArticle) => ({
    categoryId: x.categoryId,
    title: x.title,
    slug: x.slug,
    summary: x.summary,
    body: x.body,
    position: String(x.position),
    published: x.published ? 'on' : '',
  });

  app.get('/', async (c) => {
    const sections = await listDocs(deps, actorOf(c));
    return view.page(c, 'admin/content/docs/index', { sections }, { layout, title: 'Docs' });
  });

  mountContentKind<DocsCategory, DocsCategory>(app, view, {
    path: '/categories',
    list: LIST,
    form: (_c, category) => ({
      template: 'admin/content/docs/category',
      data: { category },
      options: { layout, title: category ? `Docs category: ${category.name}` : 'New docs category' },
    }),
    blank: () => ({}),
    values: (x) => ({ name: x.name, slug: x.slug, description: x.description, position: String(x.position) }),
    get: (c, id) => getDocsCategory(deps, actorOf(c), id),
    create: (c, values) => createDocsCategory(deps, actorOf(c), docsCategoryFromForm(values)),
    update: (c, x, values) => updateDocsCategory(deps, actorOf(c), x.id, docsCategoryFromForm(values)),
    remove: { checked: (c, x) => deleteDocsCategory(deps, actorOf(c), x.id) },
    messages: namedMessages('category'),
  });

  const articleMessages = draftMessages<Article, DocsArticle>((x) => x.title);
  mountContentKind<Article, DocsArticle>(app, view, {
    path: '/articles',
    list: LIST,
    form: articleForm,
    blank: (c) => ({ categoryId: c.req.query('category') ?? '', published: '' }),
    values: articleValues,
    get: (c, id) => getDocsArticle(deps, actorOf(c), id),
    create: (c, values) => createDocsArticle(deps, actorOf(c), docsArticleFromForm(values)),
    createdTo: (saved) => `${LIST}/articles/${saved.id}`,
    update: (c, x, values) => updateDocsArticle(deps, actorOf(c), x.id, docsArticleFromForm(values)),
    publish: (c, id, published) => setDocsArticlePublished(deps, actorOf(c), id, published),
    remove: { direct: (c, id) => deleteDocsArticle(deps, actorOf(c), id) },
    messages: {
      ...articleMessages,
      created: (saved) => `${articleMessages.created(saved)} You can add files to it below.`,
      deleted: (x) => `“${x.title}” is deleted${x.files.length ? ' with its files' : ''}.`,
    },
  });

  app.get('/articles/:id/preview', async (c) => {
    const article = await previewDocsArticle(deps, actorOf(c), c.req.param('id'));
    return view.page(
      c,
      'public/docs/article',
      { article, formatBytes, preview: true },
      { layout, title: `Preview: ${article.title}` },
    );
  });

  app.post('/articles/:id/files', async (c) => {
    const article = await getDocsArticle(deps, actorOf(c), c.req.param('id'));
    const files = await formFiles(c);
    const form = await articleForm(c, article);
    return submitForm(c, view, { ...form, values: articleValues(article) }, async () => {
      const added = await addDocsFiles(deps, actorOf(c), article.id, files);
      flash(c, `${files.length === 1 ? 'The file is' : `${files.length} files are`} added (${added.length} in all).`);
      return redirect(c, `${LIST}/articles/${article.id}`);
    });
  });

  app.get('/articles/:id/files/:fileId', async (c) => {
    const article = await getDocsArticle(deps, actorOf(c), c.req.param('id'));
    const file = article.files.find((f) => f.id === c.req.param('fileId'));
    if (!file) return c.notFound();
    return sendAttachment(c, await staffDocsFile(deps, actorOf(c), file.id), { preview: false });
  });

  app.post('/articles/:id/files/:fileId/delete', async (c) => {
    const file = await removeDocsFile(deps, actorOf(c), c.req.param('id'), c.req.param('fileId'));
    flash(c, `${file.fileName} is removed.`);
    return redirect(c, `${LIST}/articles/${c.req.param('id')}`);
  });

  return app;
}
