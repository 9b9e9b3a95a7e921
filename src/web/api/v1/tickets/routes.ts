import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { ValidationError } from '../../../../lib/errors.ts';
import {
  getTicket,
  getTicketAttachment,
  listCategories,
  listTickets,
  openTicket,
  replyToTicket,
  updateTicket,
} from '../../../../domain/support/tickets.ts';
import type { AppDeps } from '../../../context.ts';
import { formFiles, sendAttachment } from '../../../attachments.ts';
import { caller, secured } from '../bearer-auth.ts';
import { listOf, listPage, PageQuery } from '../pagination.ts';
import { errorResponses, json } from '../schemas.ts';
import {
  AttachmentParams,
  CreateTicketRequest,
  CreateTicketUpload,
  presentCategory,
  presentReply,
  presentTicket,
  presentTicketWithReplies,
  ReplyRequest,
  ReplyUpload,
  Ticket,
  TicketCategory,
  TicketListQuery,
  TicketParams,
  TicketReply,
  TicketWithReplies,
  UpdateTicketRequest,
} from './schemas.ts';

/** The domain's field names as the API spells them. */
function renameFields(err: unknown): never {
  if (err instanceof ValidationError && err.fields) {
    const names: Record<string, string> = { categoryId: 'category_id', serverId: 'vps_id' };
    const fields = Object.fromEntries(Object.entries(err.fields).map(([k, v]) => [names[k] ?? k, v]));
    throw new ValidationError(fields, err.message);
  }
  throw err;
}

const REFUSED = {
  403: 'The caller lacks the permission in the acting organization (`tickets_view` or `tickets_create` to read, `tickets_create` to open and reply, `tickets_manage` to close and change priority).',
  404: 'No such ticket that the caller may read: another organization’s, or (without `tickets_view`) one someone else opened.',
};

/**
 * Support tickets of the acting organization (the portal's /support asks the same domain):
 * with `tickets_view` all of them, otherwise those the caller opened.
 */
export function ticketRoutes(deps: AppDeps) {
  const app = new OpenAPIHono();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/tickets/categories',
      tags: ['tickets'],
      operationId: 'listTicketCategories',
      summary: 'The categories a ticket may be opened in, the default first',
      ...secured,
      responses: {
        200: {
          description: 'The categories.',
          ...json(z.object({ data: z.array(TicketCategory) }).openapi('TicketCategoryList')),
        },
        ...errorResponses([401, 429]),
      },
    }),
    async (c) => {
      caller(c);
      return c.json({ data: (await listCategories(deps.db)).map(presentCategory) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/tickets',
      tags: ['tickets'],
      operationId: 'listTickets',
      summary: 'Tickets, most recently active first (`tickets_view`: the organization’s; else the caller’s own)',
      ...secured,
      request: { query: PageQuery.extend(TicketListQuery.shape) },
      responses: {
        200: { description: 'One page of tickets.', ...json(listOf(Ticket).openapi('TicketList')) },
        ...errorResponses([401, 403, 404, 422, 429], REFUSED),
      },
    }),
    async (c) => {
      const { limit, cursor, status } = c.req.valid('query');
      const rows = await listTickets(deps.db, caller(c), { status: status ?? null, page: { limit, cursor } });
      return c.json(
        listPage(rows, limit, presentTicket, (t) => t.id),
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/tickets',
      tags: ['tickets'],
      operationId: 'openTicket',
      summary: 'Open a ticket (needs `tickets_create`)',
      description:
        'With `vps_id`, a snapshot of the server’s label, IP and plan is kept with the ticket. JSON, or `multipart/form-data` with the same fields and the field `attachments` once per file; the ticket and its files are kept together or not at all.',
      ...secured,
      request: {
        body: {
          // Not `required`: with it the JSON validator would also judge a multipart body (and find it empty).
          required: false,
          content: {
            'application/json': { schema: CreateTicketRequest },
            'multipart/form-data': { schema: CreateTicketUpload },
          },
        },
      },
      responses: {
        201: { description: 'The ticket, with its first message.', ...json(TicketWithReplies) },
        ...errorResponses([400, 401, 403, 404, 413, 415, 422, 429, 503], {
          ...REFUSED,
          413: '`payload_too_large`: the request is larger than the files allowed (files × largest) and a margin.',
          422: '`validation_failed`: `fields` names what is wrong (`subject`, `message`, `priority`, `category_id`, `vps_id`, `attachments`).',
          503: '`storage_unavailable`: the file storage (an S3 bucket) cannot be reached; nothing was kept.',
        }),
      },
    }),
    async (c) => {
      const multipart = (c.req.header('content-type') ?? '').startsWith('multipart/form-data');
      const body = multipart ? c.req.valid('form') : c.req.valid('json');
      const ticket = await openTicket(deps, caller(c), {
        subject: body.subject,
        message: body.message,
        priority: body.priority,
        categoryId: body.category_id,
        serverId: body.vps_id,
        attachments: await formFiles(c),
      }).catch(renameFields);
      return c.json(presentTicketWithReplies(ticket), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/tickets/{id}',
      tags: ['tickets'],
      operationId: 'getTicket',
      summary: 'One ticket with its replies (staff-only notes are never included)',
      ...secured,
      request: { params: TicketParams },
      responses: {
        200: { description: 'The ticket.', ...json(TicketWithReplies) },
        ...errorResponses([401, 403, 404, 429], REFUSED),
      },
    }),
    async (c) => {
      const ticket = await getTicket(deps.db, caller(c), c.req.valid('param').id);
      return c.json(presentTicketWithReplies(ticket), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/tickets/{id}/replies',
      tags: ['tickets'],
      operationId: 'replyToTicket',
      summary:
        'Reply to a ticket (needs `tickets_create`), with files if wanted; a reply to a resolved ticket reopens it',
      description:
        'JSON `{ "message": "…" }`, or `multipart/form-data` with `message` and the field `attachments` once per file. The reply and its files are kept together or not at all.',
      ...secured,
      request: {
        params: TicketParams,
        body: {
          required: false,
          content: {
            'application/json': { schema: ReplyRequest },
            'multipart/form-data': { schema: ReplyUpload },
          },
        },
      },
      responses: {
        201: { description: 'The reply, with its files.', ...json(TicketReply) },
        ...errorResponses([400, 401, 403, 404, 409, 413, 415, 422, 429, 503], {
          ...REFUSED,
          409: '`conflict`: the ticket is closed; open a new one.',
          413: '`payload_too_large`: the request is larger than the files allowed (files × largest) and a margin.',
          422: '`validation_failed`: `fields.message`, or `fields.attachments` (too many files, one too large, a kind not accepted, or a name whose extension disagrees with the content).',
          503: '`storage_unavailable`: the file storage (an S3 bucket) cannot be reached; nothing was kept.',
        }),
      },
    }),
    async (c) => {
      const multipart = (c.req.header('content-type') ?? '').startsWith('multipart/form-data');
      const message = multipart ? c.req.valid('form').message : c.req.valid('json').message;
      const reply = await replyToTicket(deps, caller(c), c.req.valid('param').id, {
        message,
        attachments: await formFiles(c),
      });
      return c.json(presentReply(reply), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/tickets/{id}/attachments/{attachmentId}',
      tags: ['tickets'],
      operationId: 'getTicketAttachment',
      summary: 'Download one file of a ticket (as the ticket is read; staff-only notes’ files are never found)',
      ...secured,
      request: { params: AttachmentParams },
      responses: {
        200: {
          description:
            'The file’s bytes, typed as found in its content (`nosniff`), as an attachment with its safe name (RFC 5987 `filename*` for names beyond ASCII).',
          content: { 'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) } },
          headers: {
            'Content-Disposition': { description: '`attachment; filename="<name>"`', schema: { type: 'string' } },
            'X-Content-Type-Options': { description: '`nosniff`', schema: { type: 'string' } },
          },
        },
        ...errorResponses([401, 403, 404, 429, 503], {
          ...REFUSED,
          404: 'No such file on a ticket the caller may read.',
        }),
      },
    }),
    async (c) => {
      const { id, attachmentId } = c.req.valid('param');
      return sendAttachment(c, await getTicketAttachment(deps, caller(c), id, attachmentId), { preview: false });
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/tickets/{id}',
      tags: ['tickets'],
      operationId: 'updateTicket',
      summary: 'Resolve or close a ticket, or change its priority',
      ...secured,
      request: { params: TicketParams, body: { required: true, ...json(UpdateTicketRequest) } },
      responses: {
        200: { description: 'The ticket.', ...json(TicketWithReplies) },
        ...errorResponses([400, 401, 403, 404, 409, 415, 422, 429], {
          ...REFUSED,
          409: '`conflict`: the ticket is closed.',
        }),
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const ticket = await updateTicket(deps, caller(c), c.req.valid('param').id, body);
      return c.json(presentTicketWithReplies(ticket), 200);
    },
  );

  return app;
}
