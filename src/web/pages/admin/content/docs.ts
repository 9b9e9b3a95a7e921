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
  const categoryForm = (category: DocsCategory | null) => ({
    template: 'admin/content/docs/category',
    data: { category },
    options: { layout, title: category ? `Docs category: ${category.name}` : 'New docs category' },
  });
  const articleForm = async (c: Context, article: (DocsArticle & { files: DocsFile[] }) | null) => ({
    template: 'admin/content/docs/article',
    data: {
      article,
      categories: await listDocsCategories(deps, actorOf(c)),
      upload: { ...hints, maxFiles: MAX_FILES_PER_ARTICLE },
      formatBytes,
    },
    options: { layout, title: article ? `Article: ${article.title}` : 'New article' },
  });
  const categoryValues = (x: DocsCategory) => ({
    name: x.name,
    slug: x.slug,
    description: x.description,
    position: String(x.position),
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

  app.get('/categories/new', (c) => {
    const f = categoryForm(null);
    return view.page(c, f.template, { ...f.data, values: {}, errors: {}, message: null }, f.options);
  });

  app.post('/categories', async (c) => {
    const values = await formData(c);
    return submitForm(c, view, { ...categoryForm(null), values }, async () => {
      const saved = await createDocsCategory(deps, actorOf(c), docsCategoryFromForm(values));
      flash(c, `The category “${saved.name}” is added.`);
      return redirect(c, LIST);
    });
  });

  app.get('/categories/:id', async (c) => {
    const category = await getDocsCategory(deps, actorOf(c), c.req.param('id'));
    const f = categoryForm(category);
    return view.page(
      c,
      f.template,
      { ...f.data, values: categoryValues(category), errors: {}, message: null },
      f.options,
    );
  });

  app.post('/categories/:id', async (c) => {
    const category = await getDocsCategory(deps, actorOf(c), c.req.param('id'));
    const values = await formData(c);
    return submitForm(c, view, { ...categoryForm(category), values }, async () => {
      const saved = await updateDocsCategory(deps, actorOf(c), category.id, docsCategoryFromForm(values));
      flash(c, `The category “${saved.name}” is saved.`);
      return redirect(c, LIST);
    });
  });

  app.post('/categories/:id/delete', async (c) => {
    const category = await getDocsCategory(deps, actorOf(c), c.req.param('id'));
    return submitForm(c, view, { ...categoryForm(category), values: categoryValues(category) }, async () => {
      await deleteDocsCategory(deps, actorOf(c), category.id);
      flash(c, `The category “${category.name}” is deleted.`);
      return redirect(c, LIST);
    });
  });

  app.get('/articles/new', async (c) => {
    const f = await articleForm(c, null);
    const values = { categoryId: c.req.query('category') ?? '', published: '' };
    return view.page(c, f.template, { ...f.data, values, errors: {}, message: null }, f.options);
  });

  app.post('/articles', async (c) => {
    const values = await formData(c);
    return submitForm(c, view, { ...(await articleForm(c, null)), values }, async () => {
      const saved = await createDocsArticle(deps, actorOf(c), docsArticleFromForm(values));
      flash(
        c,
        `“${saved.title}” is ${saved.published ? 'published' : 'saved as a draft'}. You can add files to it below.`,
      );
      return redirect(c, `${LIST}/articles/${saved.id}`);
    });
  });

  app.get('/articles/:id', async (c) => {
    const article = await getDocsArticle(deps, actorOf(c), c.req.param('id'));
    const f = await articleForm(c, article);
    return view.page(
      c,
      f.template,
      { ...f.data, values: articleValues(article), errors: {}, message: null },
      f.options,
    );
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

  app.post('/articles/:id', async (c) => {
    const article = await getDocsArticle(deps, actorOf(c), c.req.param('id'));
    const values = await formData(c);
    return submitForm(c, view, { ...(await articleForm(c, article)), values }, async () => {
      const saved = await updateDocsArticle(deps, actorOf(c), article.id, docsArticleFromForm(values));
      flash(c, `“${saved.title}” is saved${saved.published ? '' : ' (draft)'}.`);
      return redirect(c, LIST);
    });
  });

  app.post('/articles/:id/publish', async (c) => {
    const values = await formData(c);
    const saved = await setDocsArticlePublished(deps, actorOf(c), c.req.param('id'), values.published === 'true');
    flash(c, `“${saved.title}” is ${saved.published ? 'published' : 'withdrawn (draft)'}.`);
    return redirect(c, LIST);
  });

  app.post('/articles/:id/delete', async (c) => {
    const article = await deleteDocsArticle(deps, actorOf(c), c.req.param('id'));
    flash(c, `“${article.title}” is deleted${article.files.length ? ' with its files' : ''}.`);
    return redirect(c, LIST);
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
