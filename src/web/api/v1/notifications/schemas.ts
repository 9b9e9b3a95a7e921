import { z } from '@hono/zod-openapi';
import type { NotificationRow } from '../../../../domain/notifications/inbox.ts';
import {
  describeNotification,
  NOTIFICATION_CATEGORIES,
  NOTIFICATION_KINDS,
} from '../../../../domain/notifications/kinds.ts';
import { describeUserAgent } from '../../../render.ts';
import { PageQuery } from '../pagination.ts';
import { Timestamp } from '../schemas.ts';

export const Notification = z
  .object({
    id: z.uuid(),
    category: z
      .enum(NOTIFICATION_CATEGORIES)
      .openapi({ description: 'What it is about; all but `security` can be muted.' }),
    kind: z
      .enum(Object.keys(NOTIFICATION_KINDS) as [string, ...string[]])
      .openapi({ example: 'server.running', description: 'Which event; branch on this, not on `title`.' }),
    title: z.string().openapi({ example: 'web-1 is running', description: 'For people; may change.' }),
    body: z.string(),
    link: z.string().nullable().openapi({
      example: '/vps/1f0c…',
      description: 'Where it leads in the portal (a path on this site), if anywhere.',
    }),
    organization_id: z
      .uuid()
      .nullable()
      .openapi({ description: 'The organization it happened in; null for your own account (security, invitations).' }),
    data: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).openapi({
      description: 'The facts it was made from (ids, labels, names, amounts in micro-units); never secrets.',
    }),
    created_at: Timestamp,
    read_at: Timestamp.nullable(),
  })
  .openapi('Notification');

export const NotificationQuery = PageQuery.extend({
  category: z.enum(NOTIFICATION_CATEGORIES).optional().openapi({ description: 'Only this category.' }),
  unread: z.enum(['true', 'false']).optional().openapi({ description: '`true`: only unread notifications.' }),
});

export const NotificationParams = z.object({
  id: z.string().openapi({ param: { name: 'id', in: 'path' }, format: 'uuid', description: 'Notification id.' }),
});

export const ReadAll = z
  .object({ marked: z.number().int().openapi({ description: 'How many were unread and are now read.' }) })
  .openapi('NotificationsMarkedRead');

export function presentNotification(n: NotificationRow): z.infer<typeof Notification> {
  const text = describeNotification(n, { device: describeUserAgent });
  return Notification.parse({
    id: n.id,
    category: n.category,
    kind: n.kind,
    title: text.title,
    body: text.body,
    link: text.href,
    organization_id: n.organization_id,
    data: n.data,
    created_at: n.created_at.toISOString(),
    read_at: n.read_at ? n.read_at.toISOString() : null,
  });
}
