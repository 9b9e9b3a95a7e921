import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { requirePlatformAdmin } from '../../../../../domain/access/guard.ts';
import { customerContext } from '../../../../../domain/support/context.ts';
import {
  staffGetAttachment,
  staffGetTicket,
  staffQueue,
  staffReply,
  staffUpdateTicket,
} from '../../../../../domain/support/staff.ts';
import { ValidationError } from '../../../../../lib/errors.ts';
import { formFiles, sendAttachment } from '../../../../attachments.ts';
import type { AppDeps } from '../../../../context.ts';
import { caller, requireToken, secured } from '../../bearer-auth.ts';
import { errorResponses, json } from '../../schemas.ts';
import {
  AttachmentParams,
  presentQueueTicket,
  presentStaffReply,
  presentStaffTicketWithReplies,
  QUEUE_LIMIT,
  StaffQueue,
  StaffQueueQuery,
  StaffReplyRequest,
  StaffReplyUpload,
  StaffTicketReply,
  StaffTicketWithReplies,
  StaffUpdateRequest,
  TicketIdParams,
} from './schemas.ts';

const requireStaff: MiddlewareHandler = async (c, next) => {
  requirePlatformAdmin(c.get('actor'));
  await next();
};
/** A platform admin's own access token: API keys (never staff) and everyone else's tokens are 403. */
export const staff = {
  ...secured,
  middleware: [requireToken, requireStaff] as [MiddlewareHandler, MiddlewareHandler],
};
export const tags = ['admin'];
const REFUSED = { 403: 'Not a platform admin’s access token (API keys never act as staff).', 404: 'No such ticket.' };

/** The domain's field names as the API spells them. */
function renameFields(err: unknown): never {
  if (err instanceof ValidationError && err.fields) {
    const names: Record<string, string> = { assigneeId: 'assignee_id' };
    const fields = Object.fromEntries(Object.entries(err.fields).map(([k, v]) => [names[k] ?? k, v]));
    throw new ValidationError(fields, err.message);
  }
  throw err;
}

/**
 * The support queue for staff (the same domain as /admin/tickets): every organization's tickets
 * with filters and counts, one ticket with its whole thread (internal notes marked `internal`)
 * and the customer beside it, staff replies and internal notes, status, priority and assignment.
 */
export function adminTicketRoutes(deps: AppDeps) {
  const app = new OpenAPIHono();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/admin/tickets',
      tags,
      operationId: 'adminListTickets',
      summary: 'The support queue: waiting on staff longest first, with filters and counts per status',
      ...staff,
      request: { query: StaffQueueQuery },
      responses: {
        200: { description: 'The matching tickets.', ...json(StaffQueue) },
        ...errorResponses([401, 403, 422, 429], REFUSED),
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const { tickets, counts } = await staffQueue(deps, caller(c), {
        status: q.status ?? 'active',
        priority: q.priority,
        categoryId: q.category_id,
        assignee: q.assignee,
        organizationId: q.organization_id,
        q: q.q,
      });
      return c.json(
        StaffQueue.parse({
          data: tickets.slice(0, QUEUE_LIMIT).map(presentQueueTicket),
          counts,
          has_more: tickets.length >= QUEUE_LIMIT,
        }),
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/admin/tickets/{id}',
      tags,
      operationId: 'adminGetTicket',
      summary: 'Any ticket with its whole thread (internal notes included, marked `internal`) and the customer',
      ...staff,
      request: { params: TicketIdParams },
      responses: {
        200: { description: 'The ticket.', ...json(StaffTicketWithReplies) },
        ...errorResponses([401, 403, 404, 429], REFUSED),
      },
    }),
    async (c) => {
      const actor = caller(c);
      const ticket = await staffGetTicket(deps, actor, c.req.valid('param').id);
      const cx = await customerContext(deps, actor, ticket.organizationId);
      return c.json(presentStaffTicketWithReplies(ticket, cx), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/admin/tickets/{id}/replies',
      tags,
      operationId: 'adminReplyToTicket',
      summary:
        'Reply to the customer (the ticket becomes `answered`, emailed to them) or, with `internal`, add a staff-only note',
      description:
        'JSON `{ "message": "…", "internal": false }`, or `multipart/form-data` with `message`, `internal` and the field `attachments` once per file (the reply and its files are kept together or not at all). A reply to an unassigned ticket assigns it to the caller. A closed ticket refuses replies (409) but takes internal notes. The customer’s email never carries the files or notes.',
      ...staff,
      request: {
        params: TicketIdParams,
        body: {
          required: false,
          content: {
            'application/json': { schema: StaffReplyRequest },
            'multipart/form-data': { schema: StaffReplyUpload },
          },
        },
      },
      responses: {
        201: { description: 'The reply or note, with its files.', ...json(StaffTicketReply) },
        ...errorResponses([400, 401, 403, 404, 409, 413, 415, 422, 429, 503], {
          ...REFUSED,
          409: '`conflict`: the ticket is closed (an internal note is still taken).',
          413: '`payload_too_large`: the request is larger than the files allowed (files × largest) and a margin.',
          422: '`validation_failed`: `fields.message`, or `fields.attachments` (too many files, one too large, a kind not accepted, or a name whose extension disagrees with the content).',
          503: '`storage_unavailable`: the file storage (an S3 bucket) cannot be reached; nothing was kept.',
        }),
      },
    }),
    async (c) => {
      const multipart = (c.req.header('content-type') ?? '').startsWith('multipart/form-data');
      let message: string;
      let internal: boolean;
      if (multipart) {
        const form = c.req.valid('form');
        message = form.message;
        internal = form.internal === 'true' || form.internal === '1';
      } else {
        const body = c.req.valid('json');
        message = body.message;
        internal = body.internal === true;
      }
      const id = c.req.valid('param').id;
      const reply = await staffReply(deps, caller(c), id, { message, internal, attachments: await formFiles(c) });
      return c.json(presentStaffReply(reply), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/admin/tickets/{id}/attachments/{attachmentId}',
      tags,
      operationId: 'adminGetTicketAttachment',
      summary: 'Download one file of any ticket (internal notes’ files included)',
      ...staff,
      request: { params: AttachmentParams },
      responses: {
        200: {
          description:
            'The file’s bytes, typed as found in its content (`nosniff`), as an attachment with its safe name.',
          content: { 'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) } },
          headers: {
            'Content-Disposition': { description: '`attachment; filename="<name>"`', schema: { type: 'string' } },
            'X-Content-Type-Options': { description: '`nosniff`', schema: { type: 'string' } },
          },
        },
        ...errorResponses([401, 403, 404, 429, 503], { ...REFUSED, 404: 'No such ticket, or no such file on it.' }),
      },
    }),
    async (c) => {
      const { id, attachmentId } = c.req.valid('param');
      return sendAttachment(c, await staffGetAttachment(deps, caller(c), id, attachmentId), { preview: false });
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/admin/tickets/{id}',
      tags,
      operationId: 'adminUpdateTicket',
      summary: 'Set a ticket’s status or priority, assign it (`me`, a staff member’s id) or unassign it (null)',
      ...staff,
      request: { params: TicketIdParams, body: { required: true, ...json(StaffUpdateRequest) } },
      responses: {
        200: { description: 'The ticket.', ...json(StaffTicketWithReplies) },
        ...errorResponses([400, 401, 403, 404, 415, 422, 429], {
          ...REFUSED,
          422: '`validation_failed`: `fields` names what is wrong (`status`, `priority`, `assignee_id`: not a platform admin).',
        }),
      },
    }),
    async (c) => {
      const actor = caller(c);
      const body = c.req.valid('json');
      const ticket = await staffUpdateTicket(deps, actor, c.req.valid('param').id, {
        status: body.status,
        priority: body.priority,
        assigneeId: body.assignee_id === 'me' ? actor.userId : body.assignee_id,
      }).catch(renameFields);
      const cx = await customerContext(deps, actor, ticket.organizationId);
      return c.json(presentStaffTicketWithReplies(ticket, cx), 200);
    },
  );

  return app;
}
