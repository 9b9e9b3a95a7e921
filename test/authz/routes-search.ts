import type { Call, Done, Requirement } from './routes.ts';

/**
 * The matrix's entry for the command palette's search (issue 16 item 11), spread into ROUTES by
 * routes.ts: every signed-in person may search; what it finds is what they may read. Each call
 * makes an organization note in the acting organization and one with a like title in Globex:
 * callers with notes_view find the first, nobody ever finds the second; and a user of that name,
 * whom only platform staff in their own session find (an impersonating admin does not).
 */

const u = () => Math.random().toString(36).slice(2, 10);
const page = (title: string, ...shows: string[]): Done => ({
  status: 200,
  shows: [`<title>${title} · SkyPanel</title>`, ...shows],
});
const note = (c: Call, orgId: string, title: string) =>
  c.fx.ctx.db.insertInto('notes').values({ organization_id: orgId, title, body: 'Found by the palette.' }).execute();

export const SEARCH_ROUTES: Record<string, Requirement> = {
  'GET /search': {
    auth: 'session',
    setup: async (c) => {
      const words = `palette ${u()}`;
      await note(c, c.org, `${words} own`);
      if (c.org !== c.fx.globex.id) await note(c, c.fx.globex.id, `${words} globex`);
      const user = await c.fx.make.stranger(`${words} person`);
      return { words, user: user.id };
    },
    query: (c) => `q=${encodeURIComponent(c.made.words!)}`,
    done: (c) => ({
      ...page('Search', ...(c.caller.permissions.has('notes_view') ? [`${c.made.words} own`] : [])),
      effect: (_c, out) => {
        if (out.text.includes(`${c.made.words} globex`)) return 'another organization’s note was found';
        if (!c.caller.permissions.has('notes_view') && out.text.includes(`${c.made.words} own`))
          return 'an organization note was found without notes_view';
        const staff = c.caller.kind === 'platform-admin';
        if (staff !== out.text.includes(`href="/admin/users/${c.made.user}"`))
          return staff ? 'platform staff did not find the user' : 'a user was found by someone not on the staff';
        return null;
      },
    }),
  },
};
