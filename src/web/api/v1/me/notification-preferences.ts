import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import {
  getNotificationPreferences,
  setNotificationPreferences,
} from '../../../../domain/notifications/preferences.ts';
import type { AppDeps } from '../../../context.ts';
import { actor, refuseApiKeys, requireToken, secured } from '../bearer-auth.ts';
import { errorResponses, json } from '../schemas.ts';

/**
 * The caller's email preferences (domain/notifications/preferences.ts), as on Settings →
 * Notifications. Security mail has no switch: it is always sent. Changing them takes an access
 * token: an API key acts for an organization, not for its owner's inbox.
 */
export const NotificationPreferences = z
  .object({
    billing: z.boolean().openapi({
      description: 'Receipts, refunds, statements, low-balance, runway and arrears emails (to billing contacts).',
    }),
    maintenance: z.boolean().openapi({ description: 'Planned maintenance and incidents.' }),
    general: z.boolean().openapi({ description: 'Product news and announcements.' }),
  })
  .openapi('NotificationPreferences');

const own = { ...secured, middleware: [requireToken, refuseApiKeys] as [MiddlewareHandler, MiddlewareHandler] };

export function notificationPreferenceRoutes(deps: AppDeps) {
  const app = new OpenAPIHono();

  const read = createRoute({
    method: 'get',
    path: '/me/notification-preferences',
    tags: ['me'],
    operationId: 'getNotificationPreferences',
    summary: 'Which email categories the caller receives (security mail is always sent)',
    ...secured,
    responses: {
      200: { description: 'The preferences.', ...json(NotificationPreferences) },
      ...errorResponses([401, 429]),
    },
  });
  app.openapi(read, async (c) => c.json(await getNotificationPreferences(deps.db, actor(c).user.id), 200));

  const write = createRoute({
    method: 'put',
    path: '/me/notification-preferences',
    tags: ['me'],
    operationId: 'setNotificationPreferences',
    summary: 'Choose which email categories the caller receives (all three, as booleans; access tokens only)',
    ...own,
    request: { body: { required: true, ...json(NotificationPreferences) } },
    responses: {
      200: { description: 'The saved preferences.', ...json(NotificationPreferences) },
      ...errorResponses([400, 401, 403, 413, 415, 422, 429]),
    },
  });
  app.openapi(write, async (c) =>
    c.json(await setNotificationPreferences(deps, actor(c).user.id, c.req.valid('json')), 200),
  );

  return app;
}
