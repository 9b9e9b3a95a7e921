import { Hono } from 'hono';
import { deleteCategory, listCategoriesForStaff, saveCategory } from '../../../../domain/content/blog-categories.ts';
import { actorOf } from '../../../actor.ts';
import type { AppDeps } from '../../../context.ts';
import { formData, submitForm } from '../../../forms.ts';
import { flash, redirect, type Renderer } from '../../../render.ts';

const layout = 'admin' as const;
const LIST = '/admin/content/blog/categories';

/**
 * /admin/content/blog/categories: the blog's categories on one page: the list (each row its own
 * small form: rename, change the address, delete) and a form to add one. A refused save
 * answers 422 with the page, the message beside the form that was sent.
 */
export function adminBlogCategoryPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();
  const page = async (c: Parameters<typeof actorOf>[0]) => ({
    template: 'admin/content/blog/categories',
    data: { categories: await listCategoriesForStaff(deps, actorOf(c)), editing: null as string | null },
    options: { layout, title: 'Blog categories' },
  });

  app.get('/', async (c) => {
    const p = await page(c);
    return view.page(c, p.template, { ...p.data, values: {}, errors: {}, message: null }, p.options);
  });

  app.post('/', async (c) => {
    const values = await formData(c);
    return submitForm(c, view, { ...(await page(c)), values }, async () => {
      const saved = await saveCategory(deps, actorOf(c), null, { name: values.name, slug: values.slug });
      flash(c, `The category “${saved.name}” is added.`);
      return redirect(c, LIST);
    });
  });

  app.post('/:id', async (c) => {
    const id = c.req.param('id');
    const values = await formData(c);
    const p = await page(c);
    return submitForm(c, view, { ...p, data: { ...p.data, editing: id }, values }, async () => {
      const saved = await saveCategory(deps, actorOf(c), id, { name: values.name, slug: values.slug });
      flash(c, `The category “${saved.name}” is saved.`);
      return redirect(c, LIST);
    });
  });

  app.post('/:id/delete', async (c) => {
    const name = await deleteCategory(deps, actorOf(c), c.req.param('id'));
    flash(c, `The category “${name}” is deleted; its posts have no category now.`);
    return redirect(c, LIST);
  });

  return app;
}
