import { Hono, type Context } from 'hono';
import {
  listNotifications,
  markAllRead,
  markRead,
  parseNotificationFilter,
  unreadCount,
  type NotificationFilter,
  type NotificationRow,
} from '../../../domain/notifications/inbox.ts';
import { CATEGORY_LABELS, describeNotification, NOTIFICATION_CATEGORIES } from '../../../domain/notifications/kinds.ts';
import { ValidationError } from '../../../lib/errors.ts';
import type { AppDeps } from '../../context.ts';
import { formData } from '../../forms.ts';
import { localPath } from '../../local-path.ts';
import { describeUserAgent, redirect, type Renderer } from '../../render.ts';

const PAGE = 25;
const MENU = 10;
/** Tells the page's other regions (the bell's count) that notifications were read (STYLE.md 10). */
const CHANGED = 'notifications-changed';

/** A notification as the views show it: its sentence, link and state. */
export function presentNotification(n: NotificationRow) {
  return {
    id: n.id,
    category: n.category,
    categoryLabel: CATEGORY_LABELS[n.category],
    createdAt: n.created_at,
    read: n.read_at !== null,
    ...describeNotification(n, { device: describeUserAgent }),
  };
}

/**
 * /notifications (mounted by portal/index.ts as the account's own: an impersonating admin may
 * look, not mark read): the list with its filters and pages; the bell's dropdown (`/menu`,
 * the latest ten) and count (`/count`), which the layout's bell loads with htmx; marking one
 * or all read. Everything is the signed-in person's own: another's id is 404.
 */
export function notificationPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();
  const userOf = (c: Context) => c.get('auth')!.user.id;

  app.get('/', async (c) => {
    const raw = { category: c.req.query('category') ?? '', unread: c.req.query('unread') ?? '' };
    let filter: NotificationFilter | null = null;
    let errors: Record<string, string> = {};
    try {
      filter = parseNotificationFilter(raw);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      errors = err.fields ?? {};
    }
    const cursor = c.req.query('cursor') || null;
    const page = filter
      ? await listNotifications(deps.db, userOf(c), filter, { limit: PAGE, cursor })
      : { rows: [], nextCursor: null };
    const query = new URLSearchParams(Object.entries(raw).filter(([, v]) => v)).toString();
    const data = {
      notifications: page.rows.map(presentNotification),
      nextCursor: page.nextCursor,
      first: !cursor,
      query,
      filters: raw,
      errors,
      categories: NOTIFICATION_CATEGORIES.map((value) => ({ value, label: CATEGORY_LABELS[value] })),
      self: `/notifications${query ? `?${query}` : ''}`,
    };
    return view.page(c, 'portal/notifications/index', data, {
      layout: 'portal',
      title: 'Notifications',
      status: filter ? 200 : 422,
      region: { id: 'notification-list', partial: 'portal/notifications/_list' },
    });
  });

  const menu = async (c: Context) => {
    const page = await listNotifications(deps.db, userOf(c), {}, { limit: MENU });
    return view.partial(c, 'portal/notifications/_menu', { notifications: page.rows.map(presentNotification) });
  };
  app.get('/menu', menu);

  // Read afresh (not from the data cache): it is asked for exactly when something changed.
  app.get('/count', async (c) =>
    view.partial(c, 'portal/notifications/_count', { unread: await unreadCount(deps.db, userOf(c)) }),
  );

  app.post('/read-all', async (c) => {
    await markAllRead(deps, userOf(c));
    c.header('HX-Trigger', CHANGED);
    if (c.req.header('hx-target') === 'bell-menu') return menu(c);
    return redirect(c, localPath((await formData(c)).next, '/notifications'));
  });

  // One read: from its item (htmx: the item again), or by following it (`next`: where it leads).
  app.post('/:id/read', async (c) => {
    const n = presentNotification(await markRead(deps, userOf(c), c.req.param('id')));
    c.header('HX-Trigger', CHANGED);
    if (c.req.header('hx-request') && c.req.header('hx-target') === `notification-${n.id}`)
      return view.partial(c, 'portal/notifications/_item', { n });
    return redirect(c, localPath((await formData(c)).next, '/notifications'));
  });

  return app;
}
