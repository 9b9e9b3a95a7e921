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
import type { Renderer } from '../../../render.ts';
import { draftMessages, mountContentKind, namedMessages } from './kind-routes.ts';

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

  app.get('/', async (c) => {
    const sections = await listFaq(deps, actorOf(c));
    return view.page(c, 'admin/content/faq/index', { sections }, { layout, title: 'FAQ' });
  });

  mountContentKind<FaqCategory, FaqCategory>(app, view, {
    path: '/categories',
    list: LIST,
    form: (_c, category) => ({
      template: 'admin/content/faq/category',
      data: { category },
      options: { layout, title: category ? `FAQ heading: ${category.name}` : 'New FAQ heading' },
    }),
    blank: () => ({}),
    values: (x) => ({ name: x.name, position: String(x.position) }),
    get: (c, id) => getFaqCategory(deps, actorOf(c), id),
    create: (c, values) => createFaqCategory(deps, actorOf(c), faqCategoryFromForm(values)),
    update: (c, x, values) => updateFaqCategory(deps, actorOf(c), x.id, faqCategoryFromForm(values)),
    remove: { checked: (c, x) => deleteFaqCategory(deps, actorOf(c), x.id) },
    messages: namedMessages('heading'),
  });

  mountContentKind<FaqItem, FaqItem>(app, view, {
    path: '/items',
    list: LIST,
    form: async (c: Context, item) => ({
      template: 'admin/content/faq/item',
      data: { item, categories: await listFaqCategories(deps, actorOf(c)) },
      options: { layout, title: item ? `FAQ: ${item.question}` : 'New FAQ question' },
    }),
    blank: (c) => ({ categoryId: c.req.query('category') ?? '', published: 'on' }),
    values: (x) => ({
      categoryId: x.categoryId,
      question: x.question,
      answer: x.answer,
      position: String(x.position),
      published: x.published ? 'on' : '',
    }),
    get: (c, id) => getFaqItem(deps, actorOf(c), id),
    create: (c, values) => createFaqItem(deps, actorOf(c), faqItemFromForm(values)),
    update: (c, x, values) => updateFaqItem(deps, actorOf(c), x.id, faqItemFromForm(values)),
    publish: (c, id, published) => setFaqItemPublished(deps, actorOf(c), id, published),
    remove: { direct: (c, id) => deleteFaqItem(deps, actorOf(c), id) },
    messages: draftMessages((x) => x.question),
  });

  return app;
}
