import type { Body, Call, Done, Requirement } from './routes.ts';

/**
 * The matrix's entries for notification preferences (issue 12 item 9), spread into ROUTES by
 * routes.ts. Each permitted save keeps billing and maintenance mail on (other entries may
 * count billing emails) and turns general mail off, which the effect checks.
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
