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
import type { Renderer } from '../../../render.ts';
import { draftMessages, mountContentKind } from './kind-routes.ts';

const layout = 'admin' as const;
const LIST = '/admin/content/pages';

/**
 * /admin/content/pages: pages such as /about, /terms and /privacy (issue 16 item 4), and any
 * other at /pages/<slug>: list, new, edit, publish or withdraw, delete. Bad input answers 422
 * with the form and what was typed; changes are in the activity log.
 */
export function adminSitePages(deps: AppDeps, view: Renderer) {
  const app = new Hono();
  app.get('/', async (c) => {
    const pages = (await listSitePages(deps, actorOf(c))).map((p) => ({ ...p, path: pagePath(p.slug) }));
    return view.page(c, 'admin/content/pages/index', { pages }, { layout, title: 'Pages' });
  });

  const messages = draftMessages<SitePage>((p) => p.title);
  mountContentKind<SitePage, SitePage>(app, view, {
    path: '',
    list: LIST,
    form: (_c, page) => ({
      template: 'admin/content/pages/form',
      data: { page, path: page ? pagePath(page.slug) : null },
      options: { layout, title: page ? `Page: ${page.title}` : 'New page' },
    }),
    blank: () => ({ published: 'on' }),
    values: (p) => ({
      title: p.title,
      slug: p.slug,
      description: p.description,
      body: p.body,
      published: p.published ? 'on' : '',
    }),
    get: (c, id) => getSitePage(deps, actorOf(c), id),
    create: (c, values) => createSitePage(deps, actorOf(c), sitePageFromForm(values)),
    update: (c, page, values) => updateSitePage(deps, actorOf(c), page.id, sitePageFromForm(values)),
    publish: (c, id, published) => setSitePagePublished(deps, actorOf(c), id, published),
    remove: { direct: (c, id) => deleteSitePage(deps, actorOf(c), id) },
    messages: {
      ...messages,
      created: (saved) =>
        saved.published ? `“${saved.title}” is published at ${pagePath(saved.slug)}.` : messages.created(saved),
    },
  });

  app.get('/:id/preview', async (c) => {
    const page = await previewSitePage(deps, actorOf(c), c.req.param('id'));
    return view.page(c, 'public/pages/show', { page, preview: true }, { layout, title: `Preview: ${page.title}` });
  });

  return app;
}
