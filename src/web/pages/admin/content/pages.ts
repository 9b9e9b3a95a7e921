import { Hono } from 'hono';
import {
  createSitePage,
  deleteSitePage,
  getSitePage,
  listSitePages,
  pagePath,
  previewSitePage,
  setSitePagePublished,
  sitePageFromForm,
  updateSitePage,
  type SitePage,
} from '../../../../domain/content/pages.ts';
import { actorOf } from '../../../actor.ts';
import type { AppDeps } from '../../../context.ts';
import { formData, submitForm } from '../../../forms.ts';
import { flash, redirect, type Renderer } from '../../../render.ts';

const layout = 'admin' as const;
const LIST = '/admin/content/pages';

/**
 * /admin/content/pages: pages such as /about, /terms and /privacy (issue 16 item 4), and any
 * other at /pages/<slug>: list, new, edit, publish or withdraw, delete. Bad input answers 422
 * with the form and what was typed; changes are in the activity log.
 */
export function adminSitePages(deps: AppDeps, view: Renderer) {
  const app = new Hono();
  const form = (page: SitePage | null) => ({
    template: 'admin/content/pages/form',
    data: { page, path: page ? pagePath(page.slug) : null },
    options: { layout, title: page ? `Page: ${page.title}` : 'New page' },
  });
  const pageValues = (p: SitePage) => ({
    title: p.title,
    slug: p.slug,
    description: p.description,
    body: p.body,
    published: p.published ? 'on' : '',
  });

  app.get('/', async (c) => {
    const pages = (await listSitePages(deps, actorOf(c))).map((p) => ({ ...p, path: pagePath(p.slug) }));
    return view.page(c, 'admin/content/pages/index', { pages }, { layout, title: 'Pages' });
  });

  app.get('/new', (c) => {
    const f = form(null);
    return view.page(c, f.template, { ...f.data, values: { published: 'on' }, errors: {}, message: null }, f.options);
  });

  app.post('/', async (c) => {
    const values = await formData(c);
    return submitForm(c, view, { ...form(null), values }, async () => {
      const saved = await createSitePage(deps, actorOf(c), sitePageFromForm(values));
      flash(c, `“${saved.title}” is ${saved.published ? `published at ${pagePath(saved.slug)}` : 'saved as a draft'}.`);
      return redirect(c, LIST);
    });
  });

  app.get('/:id', async (c) => {
    const page = await getSitePage(deps, actorOf(c), c.req.param('id'));
    const f = form(page);
    return view.page(c, f.template, { ...f.data, values: pageValues(page), errors: {}, message: null }, f.options);
  });

  app.get('/:id/preview', async (c) => {
    const page = await previewSitePage(deps, actorOf(c), c.req.param('id'));
    return view.page(c, 'public/pages/show', { page, preview: true }, { layout, title: `Preview: ${page.title}` });
  });

  app.post('/:id', async (c) => {
    const page = await getSitePage(deps, actorOf(c), c.req.param('id'));
    const values = await formData(c);
    return submitForm(c, view, { ...form(page), values }, async () => {
      const saved = await updateSitePage(deps, actorOf(c), page.id, sitePageFromForm(values));
      flash(c, `“${saved.title}” is saved${saved.published ? '' : ' (draft)'}.`);
      return redirect(c, LIST);
    });
  });

  app.post('/:id/publish', async (c) => {
    const values = await formData(c);
    const saved = await setSitePagePublished(deps, actorOf(c), c.req.param('id'), values.published === 'true');
    flash(c, `“${saved.title}” is ${saved.published ? 'published' : 'withdrawn (draft)'}.`);
    return redirect(c, LIST);
  });

  app.post('/:id/delete', async (c) => {
    const page = await deleteSitePage(deps, actorOf(c), c.req.param('id'));
    flash(c, `“${page.title}” is deleted.`);
    return redirect(c, LIST);
  });

  return app;
}
