import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import {
  SUPPORT_EMAIL_CHOICES,
  getNotificationPreferences,
  setNotificationPreferences,
  type NotificationPreferences as Preferences,
} from '../../../../domain/notifications/preferences.ts';
import type { AppDeps } from '../../../context.ts';
import { actor, refuseApiKeys, requireToken, secured } from '../bearer-auth.ts';
import { errorResponses, json } from '../schemas.ts';

/**
 * The caller's notification preferences (domain/notifications/preferences.ts), as on Settings →
 * Notifications: the three email categories, and `in_app`, the categories the bell shows.
 * Security has no switch in either: it is always sent and shown. Changing them takes an access
 * token: an API key acts for an organization, not for its owner's inbox.
 */
const InApp = z
  .object({
    servers: z
      .boolean()
      .openapi({ description: 'Servers created, running, failed or deleted; power actions by others.' }),
    billing: z.boolean().openapi({ description: 'Funds credited, low balance and runway, arrears and suspension.' }),
    team: z.boolean().openapi({ description: 'Invitations, and who joined.' }),
    maintenance: z.boolean().openapi({ description: 'Planned maintenance and incidents.' }),
    general: z.boolean().openapi({ description: 'Announcements.' }),
  })
  .openapi('InAppNotificationPreferences');

const email = {
  billing: z.boolean().openapi({
    description: 'Receipts, refunds, statements, low-balance, runway and arrears emails (to billing contacts).',
  }),
  maintenance: z.boolean().openapi({ description: 'Planned maintenance and incidents.' }),
  general: z.boolean().openapi({ description: 'Product news and announcements.' }),
};

const supportEmail = z.enum(SUPPORT_EMAIL_CHOICES).openapi({
  description:
    'Platform staff only: support-ticket emails when a customer opens a ticket or replies — `all` (tickets assigned to the caller and every unassigned ticket), `assigned` (only the caller’s), `off`. The bell tells them either way.',
});

export const NotificationPreferences = z
  .object({
    ...email,
    in_app: InApp.openapi({ description: 'Which categories the notification bell shows (security always).' }),
    support_email: supportEmail.nullable().openapi({ description: 'Null for anyone not on the platform staff.' }),
  })
  .openapi('NotificationPreferences');

const NotificationPreferencesInput = z
  .object({
    ...email,
    in_app: InApp.partial()
      .optional()
      .openapi({ description: 'Bell categories to change; those left out (or the whole object) stay as they are.' }),
    support_email: supportEmail
      .optional()
      .openapi({ description: 'Platform staff only (ignored for anyone else); left out, it stays as it is.' }),
  })
  .openapi('NotificationPreferencesInput');

const present = (p: Preferences): z.infer<typeof NotificationPreferences> =>
  NotificationPreferences.parse({
    billing: p.billing,
    maintenance: p.maintenance,
    general: p.general,
    in_app: p.inApp,
    support_email: p.supportEmail,
  });

const own = { ...secured, middleware: [requireToken, refuseApiKeys] as [MiddlewareHandler, MiddlewareHandler] };

export function notificationPreferenceRoutes(deps: AppDeps) {
  const app = new OpenAPIHono();

  const read = createRoute({
    method: 'get',
    path: '/me/notification-preferences',
    tags: ['me'],
    operationId: 'getNotificationPreferences',
    summary: 'Which email categories the caller receives and which the bell shows (security is always on)',
    ...secured,
    responses: {
      200: { description: 'The preferences.', ...json(NotificationPreferences) },
      ...errorResponses([401, 429]),
    },
  });
  app.openapi(read, async (c) => c.json(present(await getNotificationPreferences(deps.db, actor(c).user.id)), 200));

  const write = createRoute({
    method: 'put',
    path: '/me/notification-preferences',
    tags: ['me'],
    operationId: 'setNotificationPreferences',
    summary:
      'Choose which email categories the caller receives (all three, as booleans) and, optionally, what the bell shows (access tokens only)',
    ...own,
    request: { body: { required: true, ...json(NotificationPreferencesInput) } },
    responses: {
      200: { description: 'The saved preferences.', ...json(NotificationPreferences) },
      ...errorResponses([400, 401, 403, 413, 415, 422, 429]),
    },
  });
  app.openapi(write, async (c) => {
    const { in_app, support_email, ...rest } = c.req.valid('json');
    const saved = await setNotificationPreferences(deps, actor(c).user.id, {
      ...rest,
      inApp: in_app,
      supportEmail: support_email,
    });
    return c.json(present(saved), 200);
  });

  return app;
}
