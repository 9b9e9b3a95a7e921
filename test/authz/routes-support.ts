import { createHash } from 'node:crypto';
import type { Call, Done, Requirement } from './routes.ts';

/**
 * The matrix's entries for support tickets (issue 15), spread into ROUTES by routes.ts. A
 * ticket named in the URL is made fresh for each call, in Acme ("own") or Globex ("foreign"),
 * opened by Acme's owner (an API key of hers that may only open tickets reads it) or, in Globex, by nobody.
 */

const u = () => Math.random().toString(36).slice(2, 10);
const problem = (ok: boolean, what: string) => (ok ? null : what);
const db = (c: Call) => c.fx.ctx.db;
const page = (title: string, ...shows: string[]): Done => ({
  status: 200,
  shows: [`<title>${title} · SkyPanel</title>`, ...shows],
});

/** A ticket of `orgId` with one message, written as openTicket would. */
export async function ticket(c: Call, orgId: string, subject = `matrix ticket ${u()}`, openedBy: string | null = null) {
  const category = await db(c)
    .selectFrom('ticket_categories')
    .select('id')
    .where('is_default', '=', true)
    .executeTakeFirstOrThrow();
  const row = await db(c)
    .insertInto('tickets')
    .values({
      organization_id: orgId,
      opened_by: openedBy,
      subject,
      category_id: category.id,
      created_at: new Date(),
      updated_at: new Date(),
      waiting_since: new Date(),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db(c)
    .insertInto('ticket_messages')
    .values({
      ticket_id: row.id,
      author_id: null,
      from_staff: false,
      body: `first message of ${subject}`,
      created_at: new Date(),
    })
    .execute();
  return row.id;
}
const orgTicket: Requirement['record'] = {
  of: 'org',
  own: (c) => ticket(c, c.fx.acme.id, undefined, c.fx.acme.people.owner!.id),
  foreign: (c) => ticket(c, c.fx.globex.id),
};
/** Attaches a text file (stored in PostgreSQL) to the first message of ticket `ticketId`; answers the attachment's id. */
export async function attachText(c: Call, ticketId: string, text: string, fileName: string) {
  const message = await db(c)
    .selectFrom('ticket_messages')
    .select('id')
    .where('ticket_id', '=', ticketId)
    .orderBy('seq')
    .executeTakeFirstOrThrow();
  const bytes = Buffer.from(text);
  const file = await db(c)
    .insertInto('stored_files')
    .values({
      storage: 'postgres',
      bytes,
      sha256: createHash('sha256').update(bytes).digest(),
      size: bytes.length,
      content_type: 'text/plain',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const row = await db(c)
    .insertInto('ticket_attachments')
    .values({
      ticket_id: ticketId,
      message_id: message.id,
      file_id: file.id,
      position: 0,
      file_name: fileName,
      content_type: 'text/plain',
      size: bytes.length,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** A ticket of `orgId` whose first message carries a text file; names the ticket in `c.params.id`, answers the file's id. */
async function attachedTicket(c: Call, orgId: string, openedBy: string | null = null) {
  const ticketId = await ticket(c, orgId, undefined, openedBy);
  c.params.id = ticketId;
  return attachText(c, ticketId, 'matrix attachment bytes\n', 'matrix.log');
}
const orgAttachment: Requirement['record'] = {
  of: 'org',
  own: (c) => attachedTicket(c, c.fx.acme.id, c.fx.acme.people.owner!.id),
  foreign: (c) => attachedTicket(c, c.fx.globex.id),
};
const download: Done = {
  status: 200,
  shows: 'matrix attachment bytes',
};

/** Whether the message the call sent (`c.made.message`) is now in the thread of the ticket it named. */
async function replyAdded(c: Call) {
  const row = await db(c)
    .selectFrom('ticket_messages')
    .select('ticket_id')
    .where('body', '=', c.made.message!)
    .executeTakeFirst();
  return problem(row?.ticket_id === c.params.id, 'the reply was not added');
}
const ticketRow = (c: Call, id: string) =>
  db(c).selectFrom('tickets').select(['organization_id', 'status', 'subject']).where('id', '=', id).executeTakeFirst();

export const SUPPORT_ROUTES: Record<string, Requirement> = {
  'GET /support': {
    auth: 'session',
    permission: 'tickets_view',
    setup: async (c) => {
      const subject = `matrix listed ${u()}`;
      await ticket(c, c.org, subject);
      return { subject };
    },
    query: () => 'status=all',
    done: (c) => page('Support', c.made.subject!),
  },
  'GET /support/new': { auth: 'session', permission: 'tickets_create', done: page('New ticket', 'Open ticket') },
  'POST /support': {
    auth: 'session',
    permission: 'tickets_create',
    setup: async () => ({ subject: `matrix opened ${u()}` }),
    body: (c) => ({ subject: c.made.subject!, message: 'Please help.', priority: 'high' }),
    done: (c) => ({
      status: 303,
      location: /^\/support\/[0-9a-f-]{36}$/,
      effect: async () => {
        const row = await db(c)
          .selectFrom('tickets')
          .select(['organization_id', 'opened_by', 'priority'])
          .where('subject', '=', c.made.subject!)
          .executeTakeFirst();
        return problem(
          row?.organization_id === c.org && row.opened_by === c.me!.id && row.priority === 'high',
          'the ticket was not opened',
        );
      },
    }),
  },
  'GET /support/:id': {
    auth: 'session',
    permission: 'tickets_view',
    record: orgTicket,
    done: { status: 200, shows: ['<title>Ticket #', 'first message of matrix ticket', 'id="ticket-thread"'] },
  },
  'POST /support/:id/replies': {
    auth: 'session',
    permission: 'tickets_create',
    record: orgTicket,
    setup: async () => ({ message: `matrix reply ${u()}` }),
    body: (c) => ({ message: c.made.message! }),
    done: (c) => ({ status: 303, location: `/support/${c.params.id}`, effect: () => replyAdded(c) }),
  },
  // Attachments download as the ticket reads (an internal note's never, for customers).
  'GET /support/:id/attachments/:attachmentId': {
    auth: 'session',
    permission: 'tickets_view',
    record: orgAttachment,
    done: download,
  },
  'POST /support/:id': {
    auth: 'session',
    permission: 'tickets_manage',
    record: orgTicket,
    body: () => ({ status: 'closed' }),
    done: (c) => ({
      status: 303,
      location: `/support/${c.params.id}`,
      effect: async () => problem((await ticketRow(c, c.params.id!))?.status === 'closed', 'the ticket was not closed'),
    }),
  },

  // The JSON API (tickets_view reads the organization's tickets, tickets_create one's own).
  'GET /api/v1/tickets/categories': {
    auth: 'token',
    done: { status: 200, shows: '"name":"General"' },
  },
  'GET /api/v1/tickets': {
    auth: 'token',
    anyPermission: ['tickets_view', 'tickets_create'],
    setup: async (c) => ({ id: await ticket(c, c.org, undefined, c.fx.acme.people.owner!.id) }),
    query: () => 'status=open',
    done: (c) => ({ status: 200, shows: `"id":"${c.made.id}"` }),
  },
  'POST /api/v1/tickets': {
    auth: 'token',
    permission: 'tickets_create',
    setup: async () => ({ subject: `matrix api ticket ${u()}` }),
    body: (c) => ({ subject: c.made.subject!, message: 'Please help.', priority: 'urgent' }),
    done: (c) => ({
      status: 201,
      shows: '"status":"open"',
      effect: async () => {
        const row = await db(c)
          .selectFrom('tickets')
          .select(['organization_id', 'priority'])
          .where('subject', '=', c.made.subject!)
          .executeTakeFirst();
        return problem(row?.organization_id === c.org && row.priority === 'urgent', 'the ticket was not opened');
      },
    }),
  },
  'GET /api/v1/tickets/:id': {
    auth: 'token',
    anyPermission: ['tickets_view', 'tickets_create'],
    record: orgTicket,
    done: { status: 200, shows: ['"replies":[', 'first message of matrix ticket'] },
  },
  'POST /api/v1/tickets/:id/replies': {
    auth: 'token',
    permission: 'tickets_create',
    record: orgTicket,
    setup: async () => ({ message: `matrix api reply ${u()}` }),
    body: (c) => ({ message: c.made.message! }),
    done: (c) => ({ status: 201, effect: () => replyAdded(c) }),
  },
  'GET /api/v1/tickets/:id/attachments/:attachmentId': {
    auth: 'token',
    anyPermission: ['tickets_view', 'tickets_create'],
    record: orgAttachment,
    done: download,
  },
  'PATCH /api/v1/tickets/:id': {
    auth: 'token',
    permission: 'tickets_manage',
    record: orgTicket,
    body: () => ({ status: 'closed', priority: 'low' }),
    done: (c) => ({
      status: 200,
      shows: '"status":"closed"',
      effect: async () => problem((await ticketRow(c, c.params.id!))?.status === 'closed', 'the ticket was not closed'),
    }),
  },

  // The staff side (platform admins only; everyone else 404).
  'GET /admin/tickets': {
    auth: 'admin',
    setup: async (c) => {
      const subject = `matrix queued ${u()}`;
      await ticket(c, c.fx.acme.id, subject);
      return { subject };
    },
    query: (c) => `q=${encodeURIComponent(c.made.subject!)}`,
    done: (c) => page('Support tickets', c.made.subject!),
  },
  'GET /admin/tickets/:id': {
    auth: 'admin',
    params: async (c) => ({ id: await ticket(c, c.fx.acme.id) }),
    done: { status: 200, shows: ['<title>Ticket #', 'first message of matrix ticket', 'Internal note'] },
  },
  'POST /admin/tickets/:id/replies': {
    auth: 'admin',
    params: async (c) => ({ id: await ticket(c, c.fx.acme.id) }),
    setup: async () => ({ message: `matrix staff reply ${u()}` }),
    body: (c) => ({ message: c.made.message! }),
    done: (c) => ({
      status: 303,
      location: `/admin/tickets/${c.params.id}`,
      effect: async () =>
        problem((await ticketRow(c, c.params.id!))?.status === 'answered', 'the ticket was not answered'),
    }),
  },
  'GET /admin/tickets/:id/attachments/:attachmentId': {
    auth: 'admin',
    params: async (c) => {
      const partial: Call = { ...c, params: {} };
      const attachmentId = await attachedTicket(partial, c.fx.acme.id);
      return { id: partial.params.id!, attachmentId };
    },
    done: download,
  },
  'POST /admin/tickets/:id': {
    auth: 'admin',
    params: async (c) => ({ id: await ticket(c, c.fx.acme.id) }),
    body: () => ({ status: 'resolved', priority: 'low', assignee_id: 'me' }),
    done: (c) => ({
      status: 303,
      location: `/admin/tickets/${c.params.id}`,
      effect: async () => {
        const row = await db(c)
          .selectFrom('tickets')
          .select(['status', 'priority', 'assignee_id'])
          .where('id', '=', c.params.id!)
          .executeTakeFirst();
        return problem(
          row?.status === 'resolved' && row.priority === 'low' && row.assignee_id === c.me!.id,
          'the ticket was not updated',
        );
      },
    }),
  },
};
