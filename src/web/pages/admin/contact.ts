import { Hono, type Context } from 'hono';
import {
  getContactMessage,
  isContactStatus,
  listContactMessages,
  MAX_REPLY,
  openContactMessage,
  replyToContactMessage,
  setContactMessageArchived,
  STATUSES,
  supportAddress,
  type ContactMessage,
} from '../../../domain/contact/messages.ts';
import {
  deleteCategory,
  deleteMethod,
  getCategory,
  getMethod,
  listCategories,
  listMethods,
  METHOD_KINDS,
  saveCategory,
  saveMethod,
  setCategoryArchived,
} from '../../../domain/contact/settings.ts';
import type { AppError } from '../../../lib/errors.ts';
import { actorOf } from '../../actor.ts';
import type { AppDeps } from '../../context.ts';
import { formData, orFail } from '../../forms.ts';
import { flash, redirect, type Renderer } from '../../render.ts';

const layout = 'admin' as const;
const INBOX = '/admin/contact';
const SETTINGS = '/admin/contact/settings';

/** A form of the settings page that was refused: which one, what was typed, what is wrong. */
interface Failed {
  form: string;
  values: Record<string, string>;
  errors: Record<string, string>;
  message: string;
}

/**
 * /admin/contact (issue 16 item 4): the inbox of messages sent through /contact (filter by
 * status; opening one marks it read; reply by email; archive and restore), and
 * /admin/contact/settings: the form's categories and the contact methods /contact shows.
 * Writes are in the activity log; bad input answers 422 with the page and what was typed.
 */
export function adminContactPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();

  app.get('/', async (c) => {
    const q = c.req.query('status');
    const status = isContactStatus(q) ? q : null;
    const page = Math.max(1, Number.parseInt(c.req.query('page') ?? '1', 10) || 1);
    const [inbox, support] = await Promise.all([
      listContactMessages(deps, actorOf(c), { status, page }),
      supportAddress(deps),
    ]);
    return view.page(
      c,
      'admin/contact/index',
      { ...inbox, status, statuses: STATUSES, page, supportEmail: support },
      { layout, title: 'Contact messages' },
    );
  });

  // --- categories and methods ---------------------------------------------------------------
  const settingsPage = async (c: Context, failed: Failed | null = null) => {
    actorOf(c);
    const [categories, methods] = await Promise.all([
      listCategories(deps.db, { archived: true }),
      listMethods(deps.db),
    ]);
    return view.page(
      c,
      'admin/contact/settings',
      { categories, methods, kinds: METHOD_KINDS, failed },
      { layout, title: 'Contact page settings', status: failed ? 422 : 200 },
    );
  };
  const settingsWrite = (c: Context, form: string, values: Record<string, string>, action: () => Promise<string>) =>
    orFail(
      async () => {
        flash(c, await action());
        return redirect(c, SETTINGS);
      },
      (err: AppError) => settingsPage(c, { form, values, errors: err.fields ?? {}, message: err.message }),
    );

  app.get('/settings', (c) => settingsPage(c));

  app.post('/categories', async (c) => {
    const values = await formData(c);
    return settingsWrite(c, 'category-new', values, async () => {
      const cat = await saveCategory(deps, actorOf(c), null, values);
      return `Category “${cat.name}” added.`;
    });
  });
  app.post('/categories/:id', async (c) => {
    const cat = await getCategory(deps, actorOf(c), c.req.param('id'));
    const values = await formData(c);
    return settingsWrite(c, `category-${cat.id}`, values, async () => {
      const saved = await saveCategory(deps, actorOf(c), cat.id, values);
      return `Category “${saved.name}” saved.`;
    });
  });
  app.post('/categories/:id/archive', async (c) => {
    const cat = await getCategory(deps, actorOf(c), c.req.param('id'));
    await setCategoryArchived(deps, actorOf(c), cat.id, true);
    flash(c, `Category “${cat.name}” archived: the form no longer offers it.`);
    return redirect(c, SETTINGS);
  });
  app.post('/categories/:id/restore', async (c) => {
    const cat = await getCategory(deps, actorOf(c), c.req.param('id'));
    await setCategoryArchived(deps, actorOf(c), cat.id, false);
    flash(c, `Category “${cat.name}” is offered again.`);
    return redirect(c, SETTINGS);
  });
  app.post('/categories/:id/delete', async (c) => {
    const cat = await getCategory(deps, actorOf(c), c.req.param('id'));
    await deleteCategory(deps, actorOf(c), cat.id);
    flash(c, `Category “${cat.name}” deleted.`);
    return redirect(c, SETTINGS);
  });

  app.post('/methods', async (c) => {
    const values = await formData(c);
    return settingsWrite(c, 'method-new', values, async () => {
      const m = await saveMethod(deps, actorOf(c), null, values);
      return `“${m.label}” added.`;
    });
  });
  app.post('/methods/:id', async (c) => {
    const m = await getMethod(deps, actorOf(c), c.req.param('id'));
    const values = await formData(c);
    return settingsWrite(c, `method-${m.id}`, values, async () => {
      const saved = await saveMethod(deps, actorOf(c), m.id, values);
      return `“${saved.label}” saved.`;
    });
  });
  app.post('/methods/:id/delete', async (c) => {
    const m = await getMethod(deps, actorOf(c), c.req.param('id'));
    await deleteMethod(deps, actorOf(c), m.id);
    flash(c, `“${m.label}” deleted.`);
    return redirect(c, SETTINGS);
  });

  // --- one message ---------------------------------------------------------------------------
  const messagePage = (c: Context, message: ContactMessage, reply?: Omit<Failed, 'form'>) =>
    view.page(
      c,
      'admin/contact/message',
      {
        message,
        maxReply: MAX_REPLY,
        values: reply?.values ?? {},
        errors: reply?.errors ?? {},
        error: reply?.message ?? null,
      },
      { layout, title: `Message: ${message.subject}`, status: reply ? 422 : 200 },
    );

  app.get('/:id', async (c) => messagePage(c, await openContactMessage(deps, actorOf(c), c.req.param('id'))));

  app.post('/:id/reply', async (c) => {
    const m = await getContactMessage(deps, actorOf(c), c.req.param('id'));
    const values = await formData(c);
    return orFail(
      async () => {
        await replyToContactMessage(deps, actorOf(c), m.id, values);
        flash(c, `Your reply is on its way to ${m.email}.`);
        return redirect(c, `${INBOX}/${m.id}`);
      },
      (err) => messagePage(c, m, { values, errors: err.fields ?? {}, message: err.message }),
    );
  });

  app.post('/:id/archive', async (c) => {
    const m = await setContactMessageArchived(deps, actorOf(c), c.req.param('id'), true);
    flash(c, `“${m.subject}” archived.`);
    return redirect(c, INBOX);
  });
  app.post('/:id/restore', async (c) => {
    const m = await setContactMessageArchived(deps, actorOf(c), c.req.param('id'), false);
    flash(c, `“${m.subject}” is back in the inbox.`);
    return redirect(c, `${INBOX}/${m.id}`);
  });

  return app;
}
