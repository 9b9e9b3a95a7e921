import type { Body, Call, Done, Requirement } from './routes.ts';

/**
 * The matrix's entries for notification preferences (issue 12 item 9) and the bell (issue 14:
 * /notifications, its fragments, the header's balance and the JSON API), spread into ROUTES by
 * routes.ts. Each permitted save keeps billing and maintenance mail on (other entries may
 * count billing emails) and turns general mail off, which the effect checks. A notification
 * named by id is the caller's own, made for the call, or Gus's (of Globex): his is 404.
 */
const problem = (ok: boolean, what: string) => (ok ? null : what);
const page = (title: string, ...shows: string[]): Done => ({
  status: 200,
  shows: [`<title>${title} · SkyPanel</title>`, ...shows],
});
const prefsOf = (c: Call) =>
  c.fx.ctx.db
    .selectFrom('users')
    .select(['notify_billing', 'notify_maintenance', 'notify_general'])
    .where('id', '=', c.me!.id)
    .executeTakeFirstOrThrow();
const generalOff = async (c: Call) => {
  const p = await prefsOf(c);
  return problem(
    p.notify_billing && p.notify_maintenance && !p.notify_general,
    `the preferences are ${JSON.stringify(p)}`,
  );
};
/** Before each permitted call, general mail is on again, so the call must turn it off. */
const generalOn = async (c: Call) => {
  if (c.me) await c.fx.ctx.db.updateTable('users').set({ notify_general: true }).where('id', '=', c.me.id).execute();
};

export const NOTIFICATION_ROUTES: Record<string, Requirement> = {
  'GET /settings/notifications': {
    auth: 'session',
    done: page('Notifications', 'name="billing"', 'always sent'),
  },
  'POST /settings/notifications': {
    auth: 'session',
    refusedWhileImpersonating: true,
    setup: generalOn,
    body: () => ({ billing: 'on', maintenance: 'on' }),
    done: { status: 303, location: '/settings/notifications', effect: generalOff },
  },
  'GET /api/v1/me/notification-preferences': {
    auth: 'token',
    done: { status: 200, shows: '"billing":' },
  },
  'PUT /api/v1/me/notification-preferences': {
    auth: 'user-token',
    setup: generalOn,
    // JSON booleans: the matrix sends the body as JSON to the API.
    body: () => ({ billing: true, maintenance: true, general: false }) as unknown as Body,
    done: { status: 200, shows: '"general":false', effect: generalOff },
  },
};

let seq = 0;
/** An unread notification of `userId`, made for one call. */
async function unreadOf(c: Call, userId: string): Promise<string> {
  const row = await c.fx.ctx.db
    .insertInto('notifications')
    .values({
      user_id: userId,
      organization_id: null,
      category: 'security',
      kind: 'security.password',
      data: '{}',
      dedupe_key: `matrix:${++seq}:${Math.random()}`,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}
const readAt = async (c: Call, id: string) =>
  (await c.fx.ctx.db.selectFrom('notifications').select('read_at').where('id', '=', id).executeTakeFirst())?.read_at ??
  null;
const noneUnread = async (c: Call) => {
  const row = await c.fx.ctx.db
    .selectFrom('notifications')
    .select('id')
    .where('user_id', '=', c.me!.id)
    .where('read_at', 'is', null)
    .executeTakeFirst();
  return problem(row === undefined, 'an unread notification is left');
};
const myNotification: Requirement['record'] = {
  of: 'user',
  own: (c) => (c.me ? unreadOf(c, c.me.id) : crypto.randomUUID()),
  foreign: (c) => unreadOf(c, c.fx.globex.owner.id),
};
const unreadBefore = async (c: Call) => {
  if (c.me) await unreadOf(c, c.me.id);
};

export const INBOX_ROUTES: Record<string, Requirement> = {
  'GET /notifications': { auth: 'session', done: page('Notifications', 'id="notification-list"') },
  'GET /notifications/menu': { auth: 'session', done: { status: 200, shows: 'See all notifications' } },
  'GET /notifications/count': { auth: 'session', done: { status: 200, shows: 'data-testid="bell-count"' } },
  'POST /notifications/:id/read': {
    auth: 'session',
    refusedWhileImpersonating: true,
    record: myNotification,
    done: (c) => ({
      status: 303,
      location: '/notifications',
      effect: async () => problem((await readAt(c, c.params.id!)) !== null, 'it is still unread'),
    }),
  },
  'POST /notifications/read-all': {
    auth: 'session',
    refusedWhileImpersonating: true,
    setup: unreadBefore,
    done: { status: 303, location: '/notifications', effect: noneUnread },
  },
  'GET /wallet/balance': { auth: 'session', done: { status: 200, shows: 'id="header-balance"' } },
  'GET /api/v1/notifications': { auth: 'user-token', done: { status: 200, shows: '"has_more":' } },
  'POST /api/v1/notifications/:id/read': {
    auth: 'user-token',
    record: myNotification,
    done: (c) => ({
      status: 200,
      shows: '"read_at":"',
      effect: async () => problem((await readAt(c, c.params.id!)) !== null, 'it is still unread'),
    }),
  },
  'POST /api/v1/notifications/read-all': {
    auth: 'user-token',
    setup: unreadBefore,
    done: { status: 200, shows: '"marked":', effect: noneUnread },
  },
};
