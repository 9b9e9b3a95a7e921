import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { listNotifications, markAllRead, markRead } from '../../../../domain/notifications/inbox.ts';
import type { AppDeps } from '../../../context.ts';
import { actor, refuseApiKeys, requireToken, secured } from '../bearer-auth.ts';
import { listAnswer, listOf } from '../pagination.ts';
import { errorResponses, json } from '../schemas.ts';
import { Notification, NotificationParams, NotificationQuery, presentNotification, ReadAll } from './schemas.ts';

/**
 * The caller's notifications (domain/notifications/inbox.ts), as the bell and /notifications
 * show them: list (filters, keyset pages), mark one read, mark all read. They are the person's
 * own (sign-ins with their addresses among them), so an API key, which acts for an
 * organization, is refused (403): use an access token. Another person's id is 404.
 */
const own = { ...secured, middleware: [requireToken, refuseApiKeys] as [MiddlewareHandler, MiddlewareHandler] };
const KEY_REFUSED = { 403: 'The request was made with an API key: notifications are read with an access token.' };

export function notificationRoutes(deps: AppDeps) {
  const app = new OpenAPIHono();

  const listRoute = createRoute({
    method: 'get',
    path: '/notifications',
    tags: ['notifications'],
    operationId: 'listNotifications',
    summary: 'Your notifications, newest first',
    ...own,
    request: { query: NotificationQuery },
    responses: {
      200: { description: 'One page of notifications.', ...json(listOf(Notification).openapi('NotificationList')) },
      ...errorResponses([401, 403, 422, 429], KEY_REFUSED),
    },
  });
  app.openapi(listRoute, async (c) => {
    const q = c.req.valid('query');
    const page = await listNotifications(
      deps.db,
      actor(c).user.id,
      { category: q.category, unread: q.unread === 'true' || undefined },
      { limit: q.limit, cursor: q.cursor ?? null },
    );
    return c.json(listAnswer(page.rows, page.nextCursor, presentNotification), 200);
  });

  const readRoute = createRoute({
    method: 'post',
    path: '/notifications/{id}/read',
    tags: ['notifications'],
    operationId: 'markNotificationRead',
    summary: 'Mark one of your notifications read (again: no change)',
    ...own,
    request: { params: NotificationParams },
    responses: {
      200: { description: 'The notification, read.', ...json(Notification) },
      ...errorResponses([401, 403, 404, 429], { ...KEY_REFUSED, 404: 'No such notification of yours: `not_found`.' }),
    },
  });
  app.openapi(readRoute, async (c) =>
    c.json(presentNotification(await markRead(deps, actor(c).user.id, c.req.valid('param').id)), 200),
  );

  const readAllRoute = createRoute({
    method: 'post',
    path: '/notifications/read-all',
    tags: ['notifications'],
    operationId: 'markAllNotificationsRead',
    summary: 'Mark all your notifications read',
    ...own,
    responses: {
      200: { description: 'How many were marked.', ...json(ReadAll) },
      ...errorResponses([401, 403, 429], KEY_REFUSED),
    },
  });
  app.openapi(readAllRoute, async (c) => c.json({ marked: await markAllRead(deps, actor(c).user.id) }, 200));

  return app;
}
