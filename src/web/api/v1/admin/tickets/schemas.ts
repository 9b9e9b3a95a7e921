import { z } from '@hono/zod-openapi';
import { toDecimal } from '../../../../../lib/money.ts';
import type { CannedReply as CannedRow } from '../../../../../domain/support/canned.ts';
import type { StaffCategory as CategoryRow } from '../../../../../domain/support/categories.ts';
import type { customerContext } from '../../../../../domain/support/context.ts';
import {
  MAX_MESSAGE_LENGTH,
  TICKET_PRIORITIES,
  TICKET_STATUSES,
  type TicketDetail,
  type TicketMessage,
  type TicketSummary,
} from '../../../../../domain/support/tickets.ts';
import { Money, pathParam, Timestamp } from '../../schemas.ts';
import { presentTicket, Ticket, TicketAttachment } from '../../tickets/schemas.ts';

/** Shapes of the staff's ticket API (/api/v1/admin/tickets, /admin/ticket-categories, /admin/canned-replies). */

const person = z.object({ id: z.uuid(), name: z.string() });

export const StaffTicket = Ticket.extend({
  organization: z.object({ id: z.uuid(), name: z.string() }),
  assignee: person.nullable().openapi({ description: 'The member of the staff it is assigned to; null: unassigned.' }),
  waiting_since: Timestamp.nullable().openapi({
    description: 'When the customer last wrote and nobody on the staff answered since; null: not waiting on staff.',
  }),
}).openapi('StaffTicket');

export const StaffTicketReply = z
  .object({
    id: z.uuid(),
    message: z.string(),
    from_staff: z.boolean(),
    internal: z.boolean().openapi({ description: 'A staff-only note: never shown or emailed to the customer.' }),
    author: z.object({ id: z.uuid().nullable(), name: z.string().nullable() }),
    // The customer API's shape; `url` is the staff API's download.
    attachments: z.array(TicketAttachment),
    created_at: Timestamp,
  })
  .openapi('StaffTicketReply');

export const CustomerContext = z
  .object({
    organization: z
      .object({ id: z.uuid(), name: z.string(), balance: Money.nullable(), currency: z.string().nullable() })
      .nullable(),
    servers: z.array(z.object({ id: z.uuid(), label: z.string(), status: z.string(), ipv4: z.string().nullable() })),
    recent_tickets: z.array(
      z.object({ id: z.uuid(), number: z.number().int(), subject: z.string(), status: z.enum(TICKET_STATUSES) }),
    ),
  })
  .openapi('StaffCustomerContext', {
    description: 'The customer beside the thread: organization and wallet balance, live servers, recent tickets.',
  });

export const StaffTicketWithReplies = StaffTicket.extend({
  replies: z
    .array(StaffTicketReply)
    .openapi({ description: 'The whole thread, oldest first, internal notes included.' }),
  customer: CustomerContext,
}).openapi('StaffTicketWithReplies');

export const StatusCounts = z
  .object(
    Object.fromEntries(TICKET_STATUSES.map((s) => [s, z.number().int()])) as Record<
      (typeof TICKET_STATUSES)[number],
      z.ZodNumber
    >,
  )
  .openapi('TicketStatusCounts', { description: 'Tickets per status, over all tickets (whatever the filters).' });

export const QUEUE_LIMIT = 200;

export const StaffQueueQuery = z.object({
  status: z
    .enum(['active', 'waiting', 'all', ...TICKET_STATUSES])
    .optional()
    .openapi({
      description:
        '`active` (default): neither resolved nor closed; `waiting`: waiting on staff; `all`; or one status.',
    }),
  priority: z.enum(TICKET_PRIORITIES).optional(),
  category_id: z.uuid().optional(),
  assignee: z
    .union([z.enum(['me', 'none']), z.uuid()])
    .optional()
    .openapi({ description: '`me`, `none` (unassigned), or a staff member’s id.' }),
  organization_id: z.uuid().optional(),
  q: z.string().max(200).optional().openapi({ description: 'Searched in subjects and messages (notes included).' }),
});

export const StaffQueue = z
  .object({
    data: z.array(StaffTicket).openapi({
      description: `Waiting on staff longest first, then the most recently active; at most ${QUEUE_LIMIT}.`,
    }),
    counts: StatusCounts,
    has_more: z.boolean().openapi({
      description: `${QUEUE_LIMIT} returned, the most there are room for: there may be more; narrow the filters.`,
    }),
  })
  .openapi('StaffTicketQueue');

const message = z
  .string({ error: 'Write your message.' })
  .openapi({ description: `1–${MAX_MESSAGE_LENGTH.toLocaleString('en')} characters, plain text.` });

export const StaffReplyRequest = z
  .object({
    message,
    internal: z.boolean().optional().openapi({
      description: 'true: a note only staff read (the status does not move, nobody is emailed). Default false.',
    }),
  })
  .openapi('StaffTicketReplyRequest');

export const StaffReplyUpload = z
  .object({
    message,
    internal: z
      .enum(['true', 'false', '1', '0'])
      .optional()
      .openapi({ description: '`true` (or `1`): a staff-only note. Default false.' }),
    attachments: z
      .any()
      .optional()
      .openapi({
        type: 'array',
        items: { type: 'string', format: 'binary' },
        description:
          'Files, the field repeated once per file (default at most 5, 10 MB each): PNG, JPEG, GIF, WebP, PDF, text or logs, ZIP, checked by content; the name’s extension must agree.',
      }),
  })
  .openapi('StaffTicketReplyUpload');

export const AttachmentParams = z.object({
  id: pathParam('id', 'Ticket id.'),
  attachmentId: pathParam('attachmentId', 'Attachment id.'),
});

export const StaffUpdateRequest = z
  .object({
    status: z.enum(TICKET_STATUSES).optional(),
    priority: z.enum(TICKET_PRIORITIES).optional(),
    assignee_id: z
      .union([z.literal('me'), z.string().max(64)])
      .nullable()
      .optional()
      .openapi({ description: 'A platform admin’s id, `me`, or null to unassign.' }),
  })
  .openapi('StaffTicketUpdateRequest');

export const TicketIdParams = z.object({ id: pathParam('id', 'Ticket id.') });
export const IdParams = z.object({ id: pathParam('id', 'Id.') });

export const StaffCategory = z
  .object({
    id: z.uuid(),
    name: z.string(),
    position: z.number().int().openapi({ description: 'Lower first (the default is always listed first).' }),
    is_default: z.boolean(),
    archived: z.boolean().openapi({ description: 'Kept on its tickets; new tickets cannot choose it.' }),
    tickets: z.number().int().openapi({ description: 'Tickets filed in it.' }),
  })
  .openapi('StaffTicketCategory');

export const CreateCategoryRequest = z
  .object({
    name: z.string({ error: 'Name the category.' }).openapi({ description: '1–80 characters, unique.' }),
    position: z.number().int().optional().openapi({ description: 'Default: after the others.' }),
  })
  .openapi('CreateTicketCategoryRequest');

export const UpdateCategoryRequest = z
  .object({
    name: z.string().optional(),
    position: z.number().int().optional(),
    archived: z
      .boolean()
      .optional()
      .openapi({ description: 'true archives (never the default: 409), false restores.' }),
    is_default: z
      .literal(true)
      .optional()
      .openapi({ description: 'true makes it the default (a live category only: 409 when archived).' }),
  })
  .openapi('UpdateTicketCategoryRequest');

export const CannedReply = z
  .object({
    id: z.uuid(),
    title: z.string(),
    body: z.string().openapi({
      description: 'Placeholders {{customer}}, {{ticket}}, {{subject}}, {{agent}} are filled in the staff reply form.',
    }),
    created_by: z.string().nullable(),
    updated_by: z.string().nullable(),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi('CannedReply');

export const CannedReplyRequest = z
  .object({
    title: z.string({ error: 'Give it a title.' }).openapi({ description: '1–120 characters, unique.' }),
    body: z.string({ error: 'Write the reply.' }),
  })
  .openapi('CannedReplyRequest');

export const UpdateCannedReplyRequest = CannedReplyRequest.partial().openapi('UpdateCannedReplyRequest');

type QueueRow = TicketSummary & { organization: string };

export const presentStaffTicket = (t: TicketSummary, organizationName: string): z.infer<typeof StaffTicket> => ({
  ...presentTicket(t),
  organization: { id: t.organizationId, name: organizationName },
  assignee: t.assigneeId ? { id: t.assigneeId, name: t.assignee ?? '' } : null,
  waiting_since: t.waitingSince?.toISOString() ?? null,
});

export const presentQueueTicket = (t: QueueRow) => presentStaffTicket(t, t.organization);

export const presentStaffReply = (m: TicketMessage): z.infer<typeof StaffTicketReply> => ({
  id: m.id,
  message: m.body,
  from_staff: m.fromStaff,
  internal: m.internal,
  author: { id: m.authorId, name: m.author },
  attachments: m.attachments.map((a) => ({
    id: a.id,
    file_name: a.fileName,
    content_type: a.contentType,
    size: a.size,
    url: `/api/v1/admin/tickets/${m.ticketId}/attachments/${a.id}`,
  })),
  created_at: m.createdAt.toISOString(),
});

export function presentStaffTicketWithReplies(
  t: TicketDetail,
  cx: Awaited<ReturnType<typeof customerContext>>,
): z.infer<typeof StaffTicketWithReplies> {
  const org = cx.organization;
  return {
    ...presentStaffTicket(t, org?.name ?? ''),
    replies: t.messages.map(presentStaffReply),
    customer: {
      organization: org
        ? {
            id: org.id,
            name: org.name,
            balance: org.balance === null ? null : toDecimal(org.balance, org.balance % 10_000n === 0n ? 2 : 6),
            currency: org.currency,
          }
        : null,
      servers: cx.servers.map((s) => ({ id: s.id, label: s.label, status: s.status, ipv4: s.ipv4[0] ?? null })),
      recent_tickets: cx.recent.map((r) => ({
        id: r.id,
        number: Number(r.number),
        subject: r.subject,
        status: r.status,
      })),
    },
  };
}

export const presentCategory = (k: CategoryRow): z.infer<typeof StaffCategory> => ({
  id: k.id,
  name: k.name,
  position: k.position,
  is_default: k.isDefault,
  archived: k.archivedAt !== null,
  tickets: k.tickets,
});

export const presentCanned = (r: CannedRow): z.infer<typeof CannedReply> => ({
  id: r.id,
  title: r.title,
  body: r.body,
  created_by: r.createdBy,
  updated_by: r.updatedBy,
  created_at: r.createdAt.toISOString(),
  updated_at: r.updatedAt.toISOString(),
});
