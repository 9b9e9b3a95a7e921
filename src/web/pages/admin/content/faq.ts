import { Hono, type Context } from 'hono';
import {
  createFaqCategory,
  createFaqItem,
  deleteFaqCategory,
  deleteFaqItem,
  faqCategoryFromForm,
  faqItemFromForm,
  getFaqCategory,
  getFaqItem,
  listFaq,
  listFaqCategories,
  setFaqItemPublished,
  updateFaqCategory,
  updateFaqItem,
  type FaqCategory,
  type FaqItem,
} from '../../../../domain/content/faq.ts';
import { actorOf } from '../../../actor.ts';
import type { AppDeps } from '../../../context.ts';
import { formData, submitForm } from '../../../forms.ts';
import { flash, redirect, type Renderer } from '../../../render.ts';

const layout = 'admin' as const;
const LIST = '/admin/content/faq';

/**
 * /admin/content/faq: the FAQ's headings and questions (issue 16 item 4): list, new, edit,
 * publish or withdraw, delete; order by the position field. Bad input answers 422 with the
 * form and what was typed; every change is in the activity log (`admin.content_saved`,
 * `admin.content_deleted`).
 */
export function adminFaqPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();
  const categoryForm = (category: FaqCategory | null) => ({
    template: 'admin/content/faq/category',
    data: { category },
    options: { layout, title: category ? `FAQ heading: ${category.name}` : 'New FAQ heading' },
  });
  const itemForm = async (c: Context, item: FaqItem | null) => ({
    template: 'admin/content/faq/item',
    data: { item, categories: await listFaqCategories(deps, actorOf(c)) },
    options: { layout, title: item ? `FAQ: ${item.question}` : 'New FAQ question' },
  });
  const categoryValues = (x: FaqCategory) => ({ name: x.name, position: String(x.position) });
  const itemValues = (x: FaqItem) => ({
    categoryId: x.categoryId,
    question: x.question,
    answer: x.answer,
    position: String(x.position),
    published: x.published ? 'on' : '',
  });

  app.get('/', async (c) => {
    const sections = await listFaq(deps, actorOf(c));
    return view.page(c, 'admin/content/faq/index', { sections }, { layout, title: 'FAQ' });
  });

  app.get('/categories/new', (c) => {
    const f = categoryForm(null);
    return view.page(c, f.template, { ...f.data, values: {}, errors: {}, message: null }, f.options);
  });

  app.post('/categories', async (c) => {
    const values = await formData(c);
    return submitForm(c, view, { ...categoryForm(null), values }, async () => {
      const saved = await createFaqCategory(deps, actorOf(c), faqCategoryFromForm(values));
      flash(c, `The heading “${saved.name}” is added.`);
      return redirect(c, LIST);
    });
  });

  app.get('/categories/:id', async (c) => {
    const category = await getFaqCategory(deps, actorOf(c), c.req.param('id'));
    const f = categoryForm(category);
    return view.page(
      c,
      f.template,
      { ...f.data, values: categoryValues(category), errors: {}, message: null },
      f.options,
    );
  });

  app.post('/categories/:id', async (c) => {
    const category = await getFaqCategory(deps, actorOf(c), c.req.param('id'));
    const values = await formData(c);
    return submitForm(c, view, { ...categoryForm(category), values }, async () => {
      const saved = await updateFaqCategory(deps, actorOf(c), category.id, faqCategoryFromForm(values));
      flash(c, `The heading “${saved.name}” is saved.`);
      return redirect(c, LIST);
    });
  });

  app.post('/categories/:id/delete', async (c) => {
    const category = await getFaqCategory(deps, actorOf(c), c.req.param('id'));
    return submitForm(c, view, { ...categoryForm(category), values: categoryValues(category) }, async () => {
      await deleteFaqCategory(deps, actorOf(c), category.id);
      flash(c, `The heading “${category.name}” is deleted.`);
      return redirect(c, LIST);
    });
  });

  app.get('/items/new', async (c) => {
    const f = await itemForm(c, null);
    const values = { categoryId: c.req.query('category') ?? '', published: 'on' };
    return view.page(c, f.template, { ...f.data, values, errors: {}, message: null }, f.options);
  });

  app.post('/items', async (c) => {
    const values = await formData(c);
    return submitForm(c, view, { ...(await itemForm(c, null)), values }, async () => {
      const saved = await createFaqItem(deps, actorOf(c), faqItemFromForm(values));
      flash(c, `“${saved.question}” is ${saved.published ? 'published' : 'saved as a draft'}.`);
      return redirect(c, LIST);
    });
  });

  app.get('/items/:id', async (c) => {
    const item = await getFaqItem(deps, actorOf(c), c.req.param('id'));
    const f = await itemForm(c, item);
    return view.page(c, f.template, { ...f.data, values: itemValues(item), errors: {}, message: null }, f.options);
  });

  app.post('/items/:id', async (c) => {
    const item = await getFaqItem(deps, actorOf(c), c.req.param('id'));
    const values = await formData(c);
    return submitForm(c, view, { ...(await itemForm(c, item)), values }, async () => {
      const saved = await updateFaqItem(deps, actorOf(c), item.id, faqItemFromForm(values));
      flash(c, `“${saved.question}” is saved${saved.published ? '' : ' (draft)'}.`);
      return redirect(c, LIST);
    });
  });

  app.post('/items/:id/publish', async (c) => {
    const values = await formData(c);
    const saved = await setFaqItemPublished(deps, actorOf(c), c.req.param('id'), values.published === 'true');
    flash(c, `“${saved.question}” is ${saved.published ? 'published' : 'withdrawn (draft)'}.`);
    return redirect(c, LIST);
  });

  app.post('/items/:id/delete', async (c) => {
    const item = await deleteFaqItem(deps, actorOf(c), c.req.param('id'));
    flash(c, `“${item.question}” is deleted.`);
    return redirect(c, LIST);
  });

  return app;
}
