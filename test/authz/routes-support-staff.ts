import type { Body, Call, Done, Outcome, Requirement } from './routes.ts';
import { attachText, ticket as matrixTicket } from './routes-support.ts';

/**
 * The matrix's entries for the support staff's tools (issue 15 items 4, 5 and 8): canned replies
 * and ticket categories under /admin/support (platform staff in their own session; everyone
 * else 404) and the staff JSON API under /api/v1/admin (a platform admin's own access token;
 * other tokens and API keys 403). Spread into ROUTES by routes.ts. Every record named in a URL
 * is made fresh for the call, so archiving, deleting or making a default never touches what
 * other entries use.
 */

const u = () => Math.random().toString(36).slice(2, 10);
const problem = (ok: boolean, what: string) => (ok ? null : what);
const db = (c: Call) => c.fx.ctx.db;
const json = (out: Outcome) => JSON.parse(out.text) as Record<string, unknown>;
const page = (title: string, ...shows: string[]): Done => ({
  status: 200,
  shows: [`<title>${title} · SkyPanel</title>`, ...shows],
});

async function canned(c: Call) {
  const title = `Matrix canned ${u()}`;
  const row = await db(c)
    .insertInto('canned_replies')
    .values({ title, body: `body of ${title}` })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: row.id, title };
}
const cannedRow = (c: Call, id: string) =>
  db(c).selectFrom('canned_replies').select(['title', 'body']).where('id', '=', id).executeTakeFirst();

async function category(c: Call, opts: { archived?: boolean; position?: number } = {}) {
  const name = `Matrix category ${u()}`;
  const row = await db(c)
    .insertInto('ticket_categories')
    .values({ name, position: opts.position ?? 900, archived_at: opts.archived ? new Date() : null })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: row.id, name };
}
const categoryRow = (c: Call, id: string) =>
  db(c)
    .selectFrom('ticket_categories')
    .select(['name', 'position', 'is_default', 'archived_at'])
    .where('id', '=', id)
    .executeTakeFirst();

/** A ticket of Acme with one message, waiting on staff. */
async function ticket(c: Call) {
  const subject = `matrix staff ticket ${u()}`;
  return { id: await matrixTicket(c, c.fx.acme.id, subject), subject };
}
/** A ticket of Acme whose first message carries one file (stored in PostgreSQL). */
async function attached(c: Call) {
  const t = await ticket(c);
  return { id: t.id, attachmentId: await attachText(c, t.id, 'matrix staff attachment\n', 'matrix-staff.log') };
}
const ticketRow = (c: Call, id: string) =>
  db(c).selectFrom('tickets').select(['status', 'priority', 'assignee_id']).where('id', '=', id).executeTakeFirst();

const toList = (path: string, effect: Done['effect']): Done => ({ status: 303, location: path, effect });
const CANNED = '/admin/support/canned-replies';
const CATEGORIES = '/admin/support/categories';

export const SUPPORT_STAFF_ROUTES: Record<string, Requirement> = {
  // Canned replies (pages).
  'GET /admin/support/canned-replies': {
    auth: 'admin',
    setup: async (c) => ({ title: (await canned(c)).title }),
    query: (c) => `q=${encodeURIComponent(c.made.title!)}`,
    done: (c) => page('Canned replies', c.made.title!),
  },
  'GET /admin/support/canned-replies/new': { auth: 'admin', done: page('New canned reply', 'Save canned reply') },
  'POST /admin/support/canned-replies': {
    auth: 'admin',
    setup: async () => ({ title: `Matrix new canned ${u()}` }),
    body: (c) => ({ title: c.made.title!, body: 'Hello {{customer}}' }),
    done: (c) =>
      toList(CANNED, async () =>
        problem(
          (await db(c)
            .selectFrom('canned_replies')
            .select('id')
            .where('title', '=', c.made.title!)
            .executeTakeFirst()) !== undefined,
          'the canned reply was not added',
        ),
      ),
  },
  'GET /admin/support/canned-replies/:id': {
    auth: 'admin',
    params: async (c) => ({ id: (await canned(c)).id }),
    done: { status: 200, shows: ['<title>Canned reply: Matrix canned', 'body of Matrix canned'] },
  },
  'POST /admin/support/canned-replies/:id': {
    auth: 'admin',
    params: async (c) => ({ id: (await canned(c)).id }),
    setup: async () => ({ title: `Matrix edited canned ${u()}` }),
    body: (c) => ({ title: c.made.title!, body: 'edited' }),
    done: (c) =>
      toList(CANNED, async () =>
        problem((await cannedRow(c, c.params.id!))?.title === c.made.title, 'the canned reply was not changed'),
      ),
  },
  'POST /admin/support/canned-replies/:id/delete': {
    auth: 'admin',
    params: async (c) => ({ id: (await canned(c)).id }),
    done: (c) =>
      toList(CANNED, async () =>
        problem((await cannedRow(c, c.params.id!)) === undefined, 'the canned reply was not deleted'),
      ),
  },

  // Ticket categories (pages).
  'GET /admin/support/categories': {
    auth: 'admin',
    setup: async (c) => ({ name: (await category(c)).name }),
    done: (c) => page('Ticket categories', c.made.name!, 'Add category'),
  },
  'POST /admin/support/categories': {
    auth: 'admin',
    setup: async () => ({ name: `Matrix added category ${u()}` }),
    body: (c) => ({ name: c.made.name!, position: '950' }),
    done: (c) =>
      toList(CATEGORIES, async () =>
        problem(
          (
            await db(c)
              .selectFrom('ticket_categories')
              .select('position')
              .where('name', '=', c.made.name!)
              .executeTakeFirst()
          )?.position === 950,
          'the category was not added',
        ),
      ),
  },
  'GET /admin/support/categories/:id': {
    auth: 'admin',
    params: async (c) => ({ id: (await category(c)).id }),
    done: { status: 200, shows: ['<title>Category: Matrix category', 'Save category'] },
  },
  'POST /admin/support/categories/:id': {
    auth: 'admin',
    params: async (c) => ({ id: (await category(c)).id }),
    setup: async () => ({ name: `Matrix renamed category ${u()}` }),
    body: (c) => ({ name: c.made.name!, position: '960' }),
    done: (c) =>
      toList(CATEGORIES, async () => {
        const row = await categoryRow(c, c.params.id!);
        return problem(row?.name === c.made.name && row?.position === 960, 'the category was not changed');
      }),
  },
  'POST /admin/support/categories/:id/move': {
    auth: 'admin',
    // Two neighbours at positions no other call uses: moving the second up puts it before the first.
    setup: async (c) => {
      const at = 100_000 + Math.floor(Math.random() * 800_000);
      const before = await category(c, { position: at });
      const moved = await category(c, { position: at + 1 });
      return { before: before.id, moved: moved.id };
    },
    params: (c) => ({ id: c.made.moved! }),
    body: () => ({ direction: 'up' }),
    done: (c) =>
      toList(CATEGORIES, async () => {
        const [moved, before] = [await categoryRow(c, c.made.moved!), await categoryRow(c, c.made.before!)];
        return problem(moved!.position < before!.position, 'the category was not moved above its neighbour');
      }),
  },
  'POST /admin/support/categories/:id/default': {
    auth: 'admin',
    params: async (c) => ({ id: (await category(c)).id }),
    done: (c) =>
      toList(CATEGORIES, async () =>
        problem((await categoryRow(c, c.params.id!))?.is_default === true, 'the category is not the default'),
      ),
  },
  'POST /admin/support/categories/:id/archive': {
    auth: 'admin',
    params: async (c) => ({ id: (await category(c)).id }),
    done: (c) =>
      toList(CATEGORIES, async () =>
        problem((await categoryRow(c, c.params.id!))?.archived_at != null, 'the category was not archived'),
      ),
  },
  'POST /admin/support/categories/:id/restore': {
    auth: 'admin',
    params: async (c) => ({ id: (await category(c, { archived: true })).id }),
    done: (c) =>
      toList(CATEGORIES, async () =>
        problem((await categoryRow(c, c.params.id!))?.archived_at === null, 'the category was not restored'),
      ),
  },
  'POST /admin/support/categories/:id/delete': {
    auth: 'admin',
    params: async (c) => ({ id: (await category(c)).id }),
    done: (c) =>
      toList(CATEGORIES, async () =>
        problem((await categoryRow(c, c.params.id!)) === undefined, 'the category was not deleted'),
      ),
  },

  // The staff JSON API.
  'GET /api/v1/admin/tickets': {
    auth: 'admin-token',
    setup: async (c) => ({ subject: (await ticket(c)).subject }),
    query: (c) => `status=all&q=${encodeURIComponent(c.made.subject!)}`,
    done: (c) => ({ status: 200, shows: [c.made.subject!, '"counts":{'] }),
  },
  'GET /api/v1/admin/tickets/:id': {
    auth: 'admin-token',
    params: async (c) => ({ id: (await ticket(c)).id }),
    done: { status: 200, shows: ['"replies":[', 'first message of matrix staff ticket', '"customer":{'] },
  },
  'POST /api/v1/admin/tickets/:id/replies': {
    auth: 'admin-token',
    params: async (c) => ({ id: (await ticket(c)).id }),
    body: () => ({ message: 'matrix staff API reply' }),
    done: (c) => ({
      status: 201,
      effect: async () =>
        problem((await ticketRow(c, c.params.id!))?.status === 'answered', 'the ticket was not answered'),
    }),
  },
  'GET /api/v1/admin/tickets/:id/attachments/:attachmentId': {
    auth: 'admin-token',
    params: (c) => attached(c),
    done: { status: 200, shows: 'matrix staff attachment' },
  },
  'PATCH /api/v1/admin/tickets/:id': {
    auth: 'admin-token',
    params: async (c) => ({ id: (await ticket(c)).id }),
    body: () => ({ status: 'resolved', priority: 'low', assignee_id: 'me' }),
    done: (c) => ({
      status: 200,
      effect: async () => {
        const row = await ticketRow(c, c.params.id!);
        return problem(
          row?.status === 'resolved' && row.priority === 'low' && row.assignee_id === c.me!.id,
          'the ticket was not updated',
        );
      },
    }),
  },
  'GET /api/v1/admin/ticket-categories': {
    auth: 'admin-token',
    setup: async (c) => ({ name: (await category(c)).name }),
    done: (c) => ({ status: 200, shows: `"name":"${c.made.name}"` }),
  },
  'POST /api/v1/admin/ticket-categories': {
    auth: 'admin-token',
    setup: async () => ({ name: `Matrix API category ${u()}` }),
    body: (c) => ({ name: c.made.name! }),
    done: (c) => ({
      status: 201,
      effect: async (_c, out) => problem(json(out).name === c.made.name, 'the category was not added'),
    }),
  },
  'PATCH /api/v1/admin/ticket-categories/:id': {
    auth: 'admin-token',
    params: async (c) => ({ id: (await category(c)).id }),
    body: () => ({ position: 970, archived: true }) as unknown as Body,
    done: (c) => ({
      status: 200,
      effect: async () => {
        const row = await categoryRow(c, c.params.id!);
        return problem(row?.position === 970 && row.archived_at !== null, 'the category was not changed');
      },
    }),
  },
  'DELETE /api/v1/admin/ticket-categories/:id': {
    auth: 'admin-token',
    params: async (c) => ({ id: (await category(c)).id }),
    done: (c) => ({
      status: 204,
      effect: async () => problem((await categoryRow(c, c.params.id!)) === undefined, 'the category was not deleted'),
    }),
  },
  'GET /api/v1/admin/canned-replies': {
    auth: 'admin-token',
    setup: async (c) => ({ title: (await canned(c)).title }),
    query: (c) => `q=${encodeURIComponent(c.made.title!)}`,
    done: (c) => ({ status: 200, shows: `"title":"${c.made.title}"` }),
  },
  'POST /api/v1/admin/canned-replies': {
    auth: 'admin-token',
    setup: async () => ({ title: `Matrix API canned ${u()}` }),
    body: (c) => ({ title: c.made.title!, body: 'Thanks for waiting.' }),
    done: (c) => ({
      status: 201,
      effect: async (_c, out) => problem(json(out).title === c.made.title, 'the canned reply was not added'),
    }),
  },
  'GET /api/v1/admin/canned-replies/:id': {
    auth: 'admin-token',
    params: async (c) => ({ id: (await canned(c)).id }),
    done: (c) => ({ status: 200, shows: `"id":"${c.params.id}"` }),
  },
  'PATCH /api/v1/admin/canned-replies/:id': {
    auth: 'admin-token',
    params: async (c) => ({ id: (await canned(c)).id }),
    body: () => ({ body: 'matrix changed body' }),
    done: (c) => ({
      status: 200,
      effect: async () =>
        problem((await cannedRow(c, c.params.id!))?.body === 'matrix changed body', 'the canned reply was not changed'),
    }),
  },
  'DELETE /api/v1/admin/canned-replies/:id': {
    auth: 'admin-token',
    params: async (c) => ({ id: (await canned(c)).id }),
    done: (c) => ({
      status: 204,
      effect: async () => problem((await cannedRow(c, c.params.id!)) === undefined, 'the canned reply was not deleted'),
    }),
  },
};
