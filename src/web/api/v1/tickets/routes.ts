import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { ValidationError } from '../../../../lib/errors.ts';
import {
  getTicket,
  listCategories,
  listTickets,
  openTicket,
  replyToTicket,
  updateTicket,
} from '../../../../domain/support/tickets.ts';
import type { AppDeps } from '../../../context.ts';
import { caller, secured } from '../bearer-auth.ts';
import { listOf, listPage, PageQuery } from '../pagination.ts';
import { errorResponses, json } from '../schemas.ts';
import {
  CreateTicketRequest,
  presentCategory,
  presentReply,
  presentTicket,
  presentTicketWithReplies,
  ReplyRequest,
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
      description: 'With `vps_id`, a snapshot of the server’s label, IP and plan is kept with the ticket.',
      ...secured,
      request: { body: { required: true, ...json(CreateTicketRequest) } },
      responses: {
        201: { description: 'The ticket, with its first message.', ...json(TicketWithReplies) },
        ...errorResponses([400, 401, 403, 404, 413, 415, 422, 429], {
          ...REFUSED,
          422: '`validation_failed`: `fields` names what is wrong (`subject`, `message`, `priority`, `category_id`, `vps_id`).',
        }),
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const ticket = await openTicket(deps, caller(c), {
        subject: body.subject,
        message: body.message,
        priority: body.priority,
        categoryId: body.category_id,
        serverId: body.vps_id,
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
      summary: 'Reply to a ticket (needs `tickets_create`); a reply to a resolved ticket reopens it',
      ...secured,
      request: { params: TicketParams, body: { required: true, ...json(ReplyRequest) } },
      responses: {
        201: { description: 'The reply.', ...json(TicketReply) },
        ...errorResponses([400, 401, 403, 404, 409, 413, 415, 422, 429], {
          ...REFUSED,
          409: '`conflict`: the ticket is closed; open a new one.',
        }),
      },
    }),
    async (c) => {
      const reply = await replyToTicket(deps, caller(c), c.req.valid('param').id, {
        message: c.req.valid('json').message,
      });
      return c.json(presentReply(reply), 201);
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
