import type { Call, Done, Requirement } from './routes.ts';

/**
 * The matrix's entries for announcements (issue 16 item 2), spread into ROUTES by routes.ts:
 * the staff screens and dismissing a banner (anyone: a signed-in person's dismissal is kept in
 * the database, anyone else's in a cookie). Every announcement made here starts in 2099, so
 * none shows on the pages other entries check.
 */

const u = () => Math.random().toString(36).slice(2, 10);
const problem = (ok: boolean, what: string) => (ok ? null : what);
const db = (c: Call) => c.fx.ctx.db;
const LATER = '2099-01-01T00:00';
const LIST = '/admin/announcements';

/** A dismissable announcement not yet shown. */
async function announcement(c: Call, title = `Matrix announcement ${u()}`) {
  return db(c)
    .insertInto('announcements')
    .values({ title, body: `body of ${title}`, starts_at: new Date(`${LATER}Z`), dismissable: true })
    .returning(['id', 'title'])
    .executeTakeFirstOrThrow();
}
const row = (c: Call, id: string) =>
  db(c).selectFrom('announcements').select(['title', 'severity']).where('id', '=', id).executeTakeFirst();
const page = (title: string, ...shows: string[]): Done => ({
  status: 200,
  shows: [`<title>${title} · SkyPanel</title>`, ...shows],
});
const toList = (effect: Done['effect']): Done => ({ status: 303, location: LIST, effect });
/** Whether the caller is a signed-in browser (the only kind whose dismissal is kept in the database). */
const signedInBrowser = (c: Call) =>
  c.caller.kind === 'member' || c.caller.kind === 'platform-admin' || c.caller.kind === 'impersonating';

export const ANNOUNCEMENT_ROUTES: Record<string, Requirement> = {
  'GET /admin/announcements': {
    auth: 'admin',
    setup: async (c) => ({ title: (await announcement(c)).title }),
    done: (c) => page('Announcements', c.made.title!, 'New announcement'),
  },
  'GET /admin/announcements/new': { auth: 'admin', done: page('New announcement', 'Post announcement') },
  'POST /admin/announcements': {
    auth: 'admin',
    setup: async () => ({ title: `Matrix new announcement ${u()}` }),
    body: (c) => ({
      title: c.made.title!,
      body: 'Hello',
      severity: 'warning',
      audience: 'everyone',
      startsAt: LATER,
      endsAt: '',
      dismissable: 'on',
    }),
    done: (c) =>
      toList(async () =>
        problem(
          (await db(c)
            .selectFrom('announcements')
            .select('id')
            .where('title', '=', c.made.title!)
            .executeTakeFirst()) !== undefined,
          'the announcement was not added',
        ),
      ),
  },
  'GET /admin/announcements/:id': {
    auth: 'admin',
    params: async (c) => ({ id: (await announcement(c)).id }),
    done: {
      status: 200,
      shows: ['<title>Announcement: Matrix announcement', 'body of Matrix announcement', 'Save announcement'],
    },
  },
  'POST /admin/announcements/:id': {
    auth: 'admin',
    params: async (c) => ({ id: (await announcement(c)).id }),
    setup: async () => ({ title: `Matrix edited announcement ${u()}` }),
    body: (c) => ({ title: c.made.title!, body: 'edited', severity: 'critical', audience: 'admins', startsAt: LATER }),
    done: (c) =>
      toList(async () => {
        const r = await row(c, c.params.id!);
        return problem(r?.title === c.made.title && r?.severity === 'critical', 'the announcement was not changed');
      }),
  },
  'POST /admin/announcements/:id/delete': {
    auth: 'admin',
    params: async (c) => ({ id: (await announcement(c)).id }),
    done: (c) =>
      toList(async () => problem((await row(c, c.params.id!)) === undefined, 'the announcement was not deleted')),
  },
  // Anyone: signed-in browsers' dismissals are kept per user; everyone else's go in a cookie.
  'POST /announcements/:id/dismiss': {
    auth: 'public',
    params: async (c) => ({ id: (await announcement(c)).id }),
    body: () => ({ back: '/dashboard' }),
    done: (c) => ({
      status: 303,
      location: '/dashboard',
      effect: async () => {
        const kept = await db(c)
          .selectFrom('announcement_dismissals')
          .select('user_id')
          .where('announcement_id', '=', c.params.id!)
          .execute();
        return signedInBrowser(c)
          ? problem(kept.length === 1, 'the dismissal was not kept for the signed-in user')
          : problem(kept.length === 0, 'a dismissal was kept for someone not signed in');
      },
    }),
  },
};
