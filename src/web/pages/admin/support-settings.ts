import { Hono, type Context } from 'hono';
import {
  archiveCategory,
  createCategory,
  deleteCategory,
  getCategory,
  listAllCategories,
  moveCategory,
  restoreCategory,
  setDefaultCategory,
  updateCategory,
} from '../../../domain/support/categories.ts';
import {
  CANNED_PLACEHOLDERS,
  createCannedReply,
  deleteCannedReply,
  getCannedReply,
  listCannedReplies,
  updateCannedReply,
} from '../../../domain/support/canned.ts';
import type { AppError } from '../../../lib/errors.ts';
import { actorOf } from '../../actor.ts';
import type { AppDeps } from '../../context.ts';
import { formData, orFail, submitForm } from '../../forms.ts';
import { flash, redirect, type Renderer } from '../../render.ts';

const layout = 'admin' as const;

/**
 * /admin/support: what the support staff keep beside the queue.
 * - /canned-replies: answers kept for questions asked again and again (title and body, with
 *   placeholders filled per ticket); list with search, new, edit, delete. The staff reply form
 *   offers them (views/admin/support/_canned-picker.eta).
 * - /categories: the categories customers file tickets in; add, rename and position, move up or
 *   down, archive and restore, choose the default, delete one no ticket was ever filed in.
 * Bad input answers 422 with the form and what was typed; a refused action (archiving the
 * default, deleting a category with tickets) answers 422 with the list and why.
 */
export function adminSupportPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();

  // Canned replies.
  const cannedList = async (c: Context, message: string | null = null, status?: 422) => {
    const q = c.req.query('q') ?? '';
    const replies = await listCannedReplies(deps, actorOf(c), { q });
    return view.page(
      c,
      'admin/support/canned-replies',
      { replies, q, message },
      { layout, title: 'Canned replies', status },
    );
  };
  const cannedForm = (reply: { id: string; title: string } | null) => ({
    template: 'admin/support/canned-reply-form',
    data: { reply, placeholders: CANNED_PLACEHOLDERS },
    options: { layout, title: reply ? `Canned reply: ${reply.title}` : 'New canned reply' },
  });

  app.get('/canned-replies', (c) => cannedList(c));

  app.get('/canned-replies/new', (c) => {
    const form = cannedForm(null);
    return view.page(c, form.template, { ...form.data, values: {}, errors: {}, message: null }, form.options);
  });

  app.post('/canned-replies', async (c) => {
    const values = await formData(c);
    return submitForm(c, view, { ...cannedForm(null), values }, async () => {
      const reply = await createCannedReply(deps, actorOf(c), { title: values.title ?? '', body: values.body ?? '' });
      flash(c, `“${reply.title}” is saved.`);
      return redirect(c, '/admin/support/canned-replies');
    });
  });

  app.get('/canned-replies/:id', async (c) => {
    const reply = await getCannedReply(deps, actorOf(c), c.req.param('id'));
    const form = cannedForm(reply);
    return view.page(
      c,
      form.template,
      { ...form.data, values: { title: reply.title, body: reply.body }, errors: {}, message: null },
      form.options,
    );
  });

  app.post('/canned-replies/:id', async (c) => {
    const reply = await getCannedReply(deps, actorOf(c), c.req.param('id'));
    const values = await formData(c);
    return submitForm(c, view, { ...cannedForm(reply), values }, async () => {
      const saved = await updateCannedReply(deps, actorOf(c), reply.id, {
        title: values.title ?? '',
        body: values.body ?? '',
      });
      flash(c, `“${saved.title}” is saved.`);
      return redirect(c, '/admin/support/canned-replies');
    });
  });

  app.post('/canned-replies/:id/delete', async (c) => {
    const reply = await getCannedReply(deps, actorOf(c), c.req.param('id'));
    await deleteCannedReply(deps, actorOf(c), reply.id);
    flash(c, `“${reply.title}” is deleted.`);
    return redirect(c, '/admin/support/canned-replies');
  });

  // Ticket categories.
  const categoryList = async (
    c: Context,
    form: { values: Record<string, string>; errors: Record<string, string>; message: string | null } = {
      values: {},
      errors: {},
      message: null,
    },
    status?: 422,
  ) => {
    const categories = await listAllCategories(deps, actorOf(c));
    return view.page(
      c,
      'admin/support/categories',
      { categories, ...form },
      { layout, title: 'Ticket categories', status },
    );
  };
  /** An action on one category from the list: done, back to the list with a flash; refused, the list at 422 saying why. */
  const categoryAction = (done: string, act: (c: Context, id: string) => Promise<unknown>) => async (c: Context) => {
    const category = await getCategory(deps, actorOf(c), c.req.param('id') ?? '');
    return orFail(
      async () => {
        await act(c, category.id);
        flash(c, done.replace('%s', category.name));
        return redirect(c, '/admin/support/categories');
      },
      (err: AppError) => categoryList(c, { values: {}, errors: {}, message: err.message }, 422),
    );
  };

  app.get('/categories', (c) => categoryList(c));

  app.post('/categories', async (c) => {
    const values = await formData(c);
    return orFail(
      async () => {
        const category = await createCategory(deps, actorOf(c), { name: values.name, position: values.position });
        flash(c, `“${category.name}” is added.`);
        return redirect(c, '/admin/support/categories');
      },
      (err) => categoryList(c, { values, errors: err.fields ?? {}, message: err.message }, 422),
    );
  });

  const categoryForm = (category: { id: string; name: string }) => ({
    template: 'admin/support/category-form',
    data: { category },
    options: { layout, title: `Category: ${category.name}` },
  });

  app.get('/categories/:id', async (c) => {
    const category = await getCategory(deps, actorOf(c), c.req.param('id'));
    const form = categoryForm(category);
    return view.page(
      c,
      form.template,
      {
        ...form.data,
        values: { name: category.name, position: String(category.position) },
        errors: {},
        message: null,
      },
      form.options,
    );
  });

  app.post('/categories/:id', async (c) => {
    const category = await getCategory(deps, actorOf(c), c.req.param('id'));
    const values = await formData(c);
    return submitForm(c, view, { ...categoryForm(category), values }, async () => {
      const saved = await updateCategory(deps, actorOf(c), category.id, {
        name: values.name ?? '',
        position: values.position ?? '',
      });
      flash(c, `“${saved.name}” is saved.`);
      return redirect(c, '/admin/support/categories');
    });
  });

  app.post(
    '/categories/:id/move',
    categoryAction('“%s” is moved.', async (c, id) => {
      const direction = (await formData(c)).direction === 'up' ? 'up' : 'down';
      await moveCategory(deps, actorOf(c), id, direction);
    }),
  );
  app.post(
    '/categories/:id/default',
    categoryAction('“%s” is now the default category.', (c, id) => setDefaultCategory(deps, actorOf(c), id)),
  );
  app.post(
    '/categories/:id/archive',
    categoryAction('“%s” is archived: its tickets keep it; new tickets cannot choose it.', (c, id) =>
      archiveCategory(deps, actorOf(c), id),
    ),
  );
  app.post(
    '/categories/:id/restore',
    categoryAction('“%s” is restored.', (c, id) => restoreCategory(deps, actorOf(c), id)),
  );
  app.post(
    '/categories/:id/delete',
    categoryAction('“%s” is deleted.', (c, id) => deleteCategory(deps, actorOf(c), id)),
  );

  return app;
}
