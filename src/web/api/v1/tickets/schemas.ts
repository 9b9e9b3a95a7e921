import { z } from '@hono/zod-openapi';
import {
  MAX_MESSAGE_LENGTH,
  MAX_SUBJECT_LENGTH,
  TICKET_PRIORITIES,
  TICKET_STATUSES,
  type TicketCategory as CategoryRow,
  type TicketDetail,
  type TicketMessage,
  type TicketSummary,
} from '../../../../domain/support/tickets.ts';
import { pathParam, Timestamp } from '../schemas.ts';

export const TicketCategory = z
  .object({
    id: z.uuid(),
    name: z.string().openapi({ example: 'General' }),
    is_default: z.boolean().openapi({ description: 'The category of a ticket opened without `category_id`.' }),
  })
  .openapi('TicketCategory');

export const TicketServer = z
  .object({
    id: z.uuid().nullable().openapi({ description: 'Null once the server is gone; the snapshot stays.' }),
    label: z.string(),
    ip: z.string().nullable(),
    plan: z.string().nullable(),
  })
  .openapi('TicketServer', { description: 'The server the ticket is about, as it was when the ticket was opened.' });

export const Ticket = z
  .object({
    id: z.uuid(),
    number: z.number().int().openapi({ description: 'The ticket’s number, as people quote it (#1234).' }),
    subject: z.string(),
    status: z.enum(TICKET_STATUSES).openapi({
      description:
        '`open`: waiting for support’s first answer; `answered`: support replied; `customer_reply`: the customer wrote again; `resolved`; `closed` (takes no more replies).',
    }),
    priority: z.enum(TICKET_PRIORITIES),
    category: TicketCategory.omit({ is_default: true }),
    opened_by: z.object({ id: z.uuid(), name: z.string() }).nullable(),
    server: TicketServer.nullable(),
    follows_ticket_id: z.uuid().nullable(),
    created_at: Timestamp,
    updated_at: Timestamp,
    resolved_at: Timestamp.nullable(),
    closed_at: Timestamp.nullable(),
  })
  .openapi('Ticket');

export const TicketAttachment = z
  .object({
    id: z.uuid(),
    file_name: z.string().openapi({ description: 'The safe file name (no path, control characters or quotes).' }),
    content_type: z.string().openapi({
      description: 'The type found in the file’s content (never the one it was uploaded with).',
      example: 'image/png',
    }),
    size: z.number().int().openapi({ description: 'Bytes.' }),
    url: z.string().openapi({
      description: 'Where the file downloads (GET, the same bearer token).',
      example: '/api/v1/tickets/…/attachments/…',
    }),
  })
  .openapi('TicketAttachment');

export const TicketReply = z
  .object({
    id: z.uuid(),
    message: z.string(),
    from_staff: z.boolean(),
    author: z.object({ id: z.uuid().nullable(), name: z.string().nullable() }),
    attachments: z.array(TicketAttachment),
    created_at: Timestamp,
  })
  .openapi('TicketReply');

export const TicketWithReplies = Ticket.extend({
  replies: z.array(TicketReply).openapi({ description: 'The thread, oldest first; the first is the opening message.' }),
}).openapi('TicketWithReplies');

const message = z
  .string({ error: 'Write your message.' })
  .openapi({ description: `1–${MAX_MESSAGE_LENGTH.toLocaleString('en')} characters, plain text.` });

export const CreateTicketRequest = z
  .object({
    subject: z
      .string({ error: 'Give the ticket a subject.' })
      .openapi({ description: `1–${MAX_SUBJECT_LENGTH} characters.` }),
    message,
    priority: z.enum(TICKET_PRIORITIES).optional().openapi({ description: 'Default `normal`.' }),
    category_id: z
      .string()
      .optional()
      .openapi({ description: 'One of GET /tickets/categories; default the default category.' }),
    vps_id: z.string().optional().openapi({ description: 'One of the organization’s servers the ticket is about.' }),
  })
  .openapi('CreateTicketRequest');

export const ReplyRequest = z.object({ message }).openapi('TicketReplyRequest');

/** A message's files in a multipart body: the `attachments` field once per file. */
const attachments = z
  .any()
  .optional()
  .openapi({
    type: 'array',
    items: { type: 'string', format: 'binary' },
    description:
      'Files, the field repeated once per file (default at most 5, 10 MB each): PNG, JPEG, GIF, WebP, PDF, text or logs, ZIP, checked by content; the name’s extension must agree.',
  });

export const ReplyUpload = z.object({ message, attachments }).openapi('TicketReplyUpload');

export const CreateTicketUpload = CreateTicketRequest.extend({ attachments }).openapi('CreateTicketUpload');

export const AttachmentParams = z.object({
  id: pathParam('id', 'Ticket id.'),
  attachmentId: pathParam('attachmentId', 'Attachment id.'),
});

export const UpdateTicketRequest = z
  .object({
    status: z.enum(['resolved', 'closed']).optional().openapi({
      description: '`closed` needs `tickets_manage`; `resolved` needs it too, unless the caller opened the ticket.',
    }),
    priority: z.enum(TICKET_PRIORITIES).optional().openapi({ description: 'Needs `tickets_manage`.' }),
  })
  .openapi('UpdateTicketRequest');

export const TicketParams = z.object({ id: pathParam('id', 'Ticket id.') });
export const TicketListQuery = z.object({
  status: z
    .enum([...TICKET_STATUSES, 'active'])
    .optional()
    .openapi({ description: '`active`: neither resolved nor closed. Default: every status.' }),
});

export const presentCategory = (k: CategoryRow): z.infer<typeof TicketCategory> => ({
  id: k.id,
  name: k.name,
  is_default: k.isDefault,
});

export function presentTicket(t: TicketSummary): z.infer<typeof Ticket> {
  return {
    id: t.id,
    number: Number(t.number),
    subject: t.subject,
    status: t.status,
    priority: t.priority,
    category: { id: t.categoryId, name: t.category },
    opened_by: t.openedById ? { id: t.openedById, name: t.openedBy ?? '' } : null,
    server: t.server ? { id: t.serverId, ...t.server } : null,
    follows_ticket_id: t.followsTicketId,
    created_at: t.createdAt.toISOString(),
    updated_at: t.updatedAt.toISOString(),
    resolved_at: t.resolvedAt?.toISOString() ?? null,
    closed_at: t.closedAt?.toISOString() ?? null,
  };
}

/** A message as the API shows it; its files' `url`s under `base` (the staff API passes its own). */
export const presentReply = (m: TicketMessage, base = '/api/v1/tickets'): z.infer<typeof TicketReply> => ({
  id: m.id,
  message: m.body,
  from_staff: m.fromStaff,
  author: { id: m.authorId, name: m.author },
  attachments: m.attachments.map((a) => ({
    id: a.id,
    file_name: a.fileName,
    content_type: a.contentType,
    size: a.size,
    url: `${base}/${m.ticketId}/attachments/${a.id}`,
  })),
  created_at: m.createdAt.toISOString(),
});

export const presentTicketWithReplies = (t: TicketDetail): z.infer<typeof TicketWithReplies> => ({
  ...presentTicket(t),
  replies: t.messages.map((m) => presentReply(m)),
});
