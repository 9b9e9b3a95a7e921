import type { Call, Done, Requirement } from './routes.ts';

/**
 * The matrix's entries for the contact page and the status page (issue 16 items 1 and 4),
 * spread into ROUTES by routes.ts: /contact and /status are public (signed in or not); the
 * inbox, the contact settings and the incidents screens are platform staff's. Every message
 * sent here has an address and subject of its own (the per-email limit never trips).
 */

const u = () => Math.random().toString(36).slice(2, 10);
const problem = (ok: boolean, what: string) => (ok ? null : what);
const db = (c: Call) => c.fx.ctx.db;
const page = (title: string, ...shows: string[]): Done => ({
  status: 200,
  shows: [`<title>${title} · SkyPanel</title>`, ...shows],
});
const to = (location: string | RegExp, effect: Done['effect']): Done => ({ status: 303, location, effect });

async function message(c: Call, subject = `Matrix message ${u()}`) {
  return db(c)
    .insertInto('contact_messages')
    .values({ name: 'Matrix Sender', email: `sender-${u()}@example.test`, subject, message: 'Hello', ip: '192.0.2.9' })
    .returning(['id', 'subject'])
    .executeTakeFirstOrThrow();
}
const messageRow = (c: Call, id: string) =>
  db(c).selectFrom('contact_messages').select(['status', 'email']).where('id', '=', id).executeTakeFirst();
async function category(c: Call, archived = false) {
  return db(c)
    .insertInto('contact_categories')
    .values({ name: `Matrix category ${u()}`, position: 900, archived })
    .returning(['id', 'name'])
    .executeTakeFirstOrThrow();
}
const categoryRow = (c: Call, id: string) =>
  db(c).selectFrom('contact_categories').select(['name', 'archived']).where('id', '=', id).executeTakeFirst();
async function method(c: Call) {
  return db(c)
    .insertInto('contact_methods')
    .values({ kind: 'phone', label: `Matrix line ${u()}`, value: '+1 555 0100', position: 900 })
    .returning(['id', 'label'])
    .executeTakeFirstOrThrow();
}
const methodRow = (c: Call, id: string) =>
  db(c).selectFrom('contact_methods').select(['label']).where('id', '=', id).executeTakeFirst();
/** An incident affecting nothing on offer (a region id no catalogue has), resolved in the past so /status stays calm. */
async function incident(c: Call, title = `Matrix incident ${u()}`) {
  const row = await db(c)
    .insertInto('status_incidents')
    .values({ title, impact: 'none', affected_regions: ['matrix-nowhere'] })
    .returning(['id', 'title'])
    .executeTakeFirstOrThrow();
  await db(c)
    .insertInto('status_incident_updates')
    .values({ incident_id: row.id, status: 'investigating', message: 'Matrix looking' })
    .execute();
  return row;
}
const incidentRow = (c: Call, id: string) =>
  db(c).selectFrom('status_incidents').select(['title', 'resolved_at']).where('id', '=', id).executeTakeFirst();

const SETTINGS = '/admin/contact/settings';

export const CONTACT_ROUTES: Record<string, Requirement> = {
  // Public: anyone, signed in or not.
  'GET /contact': { auth: 'public', done: page('Contact us', 'name="website"', 'Send message') },
  'POST /contact': {
    auth: 'public',
    setup: async () => ({ subject: `Matrix contact ${u()}` }),
    body: (c) => ({
      name: 'Matrix Visitor',
      email: `visitor-${u()}@example.test`,
      subject: c.made.subject!,
      message: 'Hello from the matrix',
      category: '',
      website: '',
    }),
    done: (c) =>
      to('/contact/sent', async () =>
        problem(
          (await db(c)
            .selectFrom('contact_messages')
            .select('id')
            .where('subject', '=', c.made.subject!)
            .executeTakeFirst()) !== undefined,
          'the message was not stored',
        ),
      ),
  },
  'GET /contact/sent': { auth: 'public', done: page('Message sent', 'Your message has been sent') },
  'GET /status': { auth: 'public', done: page('Status', 'data-testid="components"', 'History (last 90 days)') },

  // The inbox.
  'GET /admin/contact': {
    auth: 'admin',
    setup: async (c) => ({ subject: (await message(c)).subject }),
    done: (c) => page('Contact messages', c.made.subject!),
  },
  'GET /admin/contact/:id': {
    auth: 'admin',
    params: async (c) => ({ id: (await message(c)).id }),
    done: (c) => ({
      status: 200,
      shows: ['<title>Message: Matrix message', 'Send reply'],
      effect: async () =>
        problem((await messageRow(c, c.params.id!))?.status === 'read', 'the message was not marked read'),
    }),
  },
  'POST /admin/contact/:id/reply': {
    auth: 'admin',
    params: async (c) => ({ id: (await message(c)).id }),
    body: () => ({ body: 'Matrix reply' }),
    done: (c) =>
      to(`/admin/contact/${c.params.id}`, async () => {
        const m = await messageRow(c, c.params.id!);
        const mails = await db(c)
          .selectFrom('emails')
          .select('id')
          .where('to_address', '=', m!.email)
          .where('template', '=', 'contact_reply')
          .execute();
        return problem(m?.status === 'replied' && mails.length === 1, 'the reply was not sent');
      }),
  },
  'POST /admin/contact/:id/archive': {
    auth: 'admin',
    params: async (c) => ({ id: (await message(c)).id }),
    done: (c) =>
      to('/admin/contact', async () =>
        problem((await messageRow(c, c.params.id!))?.status === 'archived', 'the message was not archived'),
      ),
  },
  'POST /admin/contact/:id/restore': {
    auth: 'admin',
    params: async (c) => {
      const m = await message(c);
      await db(c).updateTable('contact_messages').set({ status: 'archived' }).where('id', '=', m.id).execute();
      return { id: m.id };
    },
    done: (c) =>
      to(`/admin/contact/${c.params.id}`, async () =>
        problem((await messageRow(c, c.params.id!))?.status === 'read', 'the message was not restored'),
      ),
  },

  // Categories and contact methods.
  'GET /admin/contact/settings': {
    auth: 'admin',
    setup: async (c) => ({ name: (await category(c)).name }),
    done: (c) => page('Contact page settings', c.made.name!, 'Add method'),
  },
  'POST /admin/contact/categories': {
    auth: 'admin',
    setup: async () => ({ name: `Matrix new category ${u()}` }),
    body: (c) => ({ name: c.made.name!, position: '901' }),
    done: (c) =>
      to(SETTINGS, async () =>
        problem(
          (await db(c)
            .selectFrom('contact_categories')
            .select('id')
            .where('name', '=', c.made.name!)
            .executeTakeFirst()) !== undefined,
          'the category was not added',
        ),
      ),
  },
  'POST /admin/contact/categories/:id': {
    auth: 'admin',
    params: async (c) => ({ id: (await category(c)).id }),
    setup: async () => ({ name: `Matrix renamed ${u()}` }),
    body: (c) => ({ name: c.made.name!, position: '902' }),
    done: (c) =>
      to(SETTINGS, async () =>
        problem((await categoryRow(c, c.params.id!))?.name === c.made.name, 'the category was not renamed'),
      ),
  },
  'POST /admin/contact/categories/:id/archive': {
    auth: 'admin',
    params: async (c) => ({ id: (await category(c)).id }),
    done: (c) =>
      to(SETTINGS, async () =>
        problem((await categoryRow(c, c.params.id!))?.archived === true, 'the category was not archived'),
      ),
  },
  'POST /admin/contact/categories/:id/restore': {
    auth: 'admin',
    params: async (c) => ({ id: (await category(c, true)).id }),
    done: (c) =>
      to(SETTINGS, async () =>
        problem((await categoryRow(c, c.params.id!))?.archived === false, 'the category was not restored'),
      ),
  },
  'POST /admin/contact/categories/:id/delete': {
    auth: 'admin',
    params: async (c) => ({ id: (await category(c, true)).id }),
    done: (c) =>
      to(SETTINGS, async () =>
        problem((await categoryRow(c, c.params.id!)) === undefined, 'the category was not deleted'),
      ),
  },
  'POST /admin/contact/methods': {
    auth: 'admin',
    setup: async () => ({ label: `Matrix method ${u()}` }),
    body: (c) => ({ kind: 'link', label: c.made.label!, value: 'https://example.test/chat', position: '903' }),
    done: (c) =>
      to(SETTINGS, async () =>
        problem(
          (await db(c)
            .selectFrom('contact_methods')
            .select('id')
            .where('label', '=', c.made.label!)
            .executeTakeFirst()) !== undefined,
          'the method was not added',
        ),
      ),
  },
  'POST /admin/contact/methods/:id': {
    auth: 'admin',
    params: async (c) => ({ id: (await method(c)).id }),
    setup: async () => ({ label: `Matrix relabelled ${u()}` }),
    body: (c) => ({ kind: 'phone', label: c.made.label!, value: '+1 555 0101', position: '904' }),
    done: (c) =>
      to(SETTINGS, async () =>
        problem((await methodRow(c, c.params.id!))?.label === c.made.label, 'the method was not changed'),
      ),
  },
  'POST /admin/contact/methods/:id/delete': {
    auth: 'admin',
    params: async (c) => ({ id: (await method(c)).id }),
    done: (c) =>
      to(SETTINGS, async () => problem((await methodRow(c, c.params.id!)) === undefined, 'the method was not deleted')),
  },

  // Incidents and maintenance windows.
  'GET /admin/status': {
    auth: 'admin',
    setup: async (c) => ({ title: (await incident(c)).title }),
    done: (c) => page('Status page', c.made.title!, 'Plan maintenance'),
  },
  'GET /admin/status/new': { auth: 'admin', done: page('New incident or maintenance', 'Post to the status page') },
  'POST /admin/status': {
    auth: 'admin',
    setup: async () => ({ title: `Matrix new incident ${u()}` }),
    body: (c) => ({
      title: c.made.title!,
      kind: 'maintenance',
      impact: 'none',
      regions: ['matrix-nowhere'],
      startsAt: '2099-01-01T00:00',
      endsAt: '2099-01-01T02:00',
      message: 'Matrix window',
    }),
    done: (c) =>
      to(/^\/admin\/status\/[0-9a-f-]{36}$/, async () =>
        problem(
          (await db(c)
            .selectFrom('status_incidents')
            .select('id')
            .where('title', '=', c.made.title!)
            .executeTakeFirst()) !== undefined,
          'the incident was not posted',
        ),
      ),
  },
  'GET /admin/status/:id': {
    auth: 'admin',
    params: async (c) => ({ id: (await incident(c)).id }),
    done: { status: 200, shows: ['<title>Incident: Matrix incident', 'Post update', 'Matrix looking'] },
  },
  'POST /admin/status/:id': {
    auth: 'admin',
    params: async (c) => ({ id: (await incident(c)).id }),
    setup: async () => ({ title: `Matrix edited incident ${u()}` }),
    body: (c) => ({ title: c.made.title!, kind: 'incident', impact: 'none', regions: ['matrix-nowhere'] }),
    done: (c) =>
      to(`/admin/status/${c.params.id}`, async () =>
        problem((await incidentRow(c, c.params.id!))?.title === c.made.title, 'the incident was not changed'),
      ),
  },
  'POST /admin/status/:id/updates': {
    auth: 'admin',
    params: async (c) => ({ id: (await incident(c)).id }),
    body: () => ({ status: 'identified', message: 'Matrix found it' }),
    done: (c) =>
      to(`/admin/status/${c.params.id}`, async () =>
        problem(
          (
            await db(c)
              .selectFrom('status_incident_updates')
              .select('id')
              .where('incident_id', '=', c.params.id!)
              .where('status', '=', 'identified')
              .execute()
          ).length === 1,
          'the update was not posted',
        ),
      ),
  },
  'POST /admin/status/:id/resolve': {
    auth: 'admin',
    params: async (c) => ({ id: (await incident(c)).id }),
    done: (c) =>
      to('/admin/status', async () =>
        problem((await incidentRow(c, c.params.id!))?.resolved_at != null, 'the incident was not resolved'),
      ),
  },
  'POST /admin/status/:id/delete': {
    auth: 'admin',
    params: async (c) => ({ id: (await incident(c)).id }),
    done: (c) =>
      to('/admin/status', async () =>
        problem((await incidentRow(c, c.params.id!)) === undefined, 'the incident was not deleted'),
      ),
  },
};
