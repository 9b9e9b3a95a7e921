import type { Call, Done, Requirement } from './routes.ts';

/**
 * The matrix's entries for the security screens (issue 16 item 8), spread into ROUTES by
 * routes.ts: the rate-limit monitor, IP rules, user overrides and IP forensics. Rules made here
 * are in 100.64.0.0/10 (shared address space), which no matrix caller uses (they are
 * 198.18.x.y), and last an hour; overrides go to fresh strangers, so no other entry is affected.
 */

const n = () => Math.floor(Math.random() * 250) + 1;
const problem = (ok: boolean, what: string) => (ok ? null : what);
const db = (c: Call) => c.fx.ctx.db;
const network = () => `100.${64 + Math.floor(Math.random() * 60)}.${n()}.${n()}`;
const page = (title: string, ...shows: string[]): Done => ({
  status: 200,
  shows: [`<title>${title} · SkyPanel</title>`, ...shows],
});

async function rule(c: Call) {
  return db(c)
    .insertInto('ip_rules')
    .values({
      network: `${network()}/32`,
      action: 'allow',
      note: 'matrix rule',
      expires_at: new Date(Date.now() + 3_600_000),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
}
const ruleCount = async (c: Call, id: string) =>
  (await db(c).selectFrom('ip_rules').select('id').where('id', '=', id).execute()).length;

export const SECURITY_ROUTES: Record<string, Requirement> = {
  'GET /admin/security': { auth: 'admin', done: page('Security', 'Rate-limit monitor', 'Addresses (signed out)') },
  'GET /admin/security/rules': { auth: 'admin', done: page('IP rules', 'Save rule') },
  'POST /admin/security/rules': {
    auth: 'admin',
    setup: async () => ({ network: network() }),
    body: (c) => ({ network: c.made.network!, action: 'block', duration: '1h', note: 'matrix' }),
    done: (c) => ({
      status: 303,
      location: '/admin/security/rules',
      effect: async () => {
        const row = await db(c)
          .selectFrom('ip_rules')
          .select(['action', 'expires_at'])
          .where('network', '=', `${c.made.network}/32`)
          .executeTakeFirst();
        return problem(row?.action === 'block' && row.expires_at !== null, 'the block rule was not added');
      },
    }),
  },
  'POST /admin/security/rules/:id/delete': {
    auth: 'admin',
    params: async (c) => ({ id: (await rule(c)).id }),
    done: (c) => ({
      status: 303,
      location: '/admin/security/rules',
      effect: async () => problem((await ruleCount(c, c.params.id!)) === 0, 'the rule was not deleted'),
    }),
  },
  'GET /admin/security/overrides': { auth: 'admin', done: page('Rate-limit overrides', 'Save override') },
  'POST /admin/security/overrides': {
    auth: 'admin',
    setup: async (c) => {
      const p = await c.fx.make.stranger('Override target');
      return { id: p.id, email: p.email };
    },
    body: (c) => ({ user: c.made.email!, kind: 'multiplier', multiplier: '2', duration: '1h' }),
    done: (c) => ({
      status: 303,
      location: '/admin/security/overrides',
      effect: async () => {
        const row = await db(c)
          .selectFrom('rate_limit_overrides')
          .select('multiplier')
          .where('user_id', '=', c.made.id!)
          .executeTakeFirst();
        return problem(Number(row?.multiplier) === 2, 'the override was not set');
      },
    }),
  },
  'POST /admin/security/overrides/:userId/delete': {
    auth: 'admin',
    params: async (c) => {
      const p = await c.fx.make.stranger('Override removed');
      await db(c).insertInto('rate_limit_overrides').values({ user_id: p.id, exempt: true }).execute();
      return { userId: p.id };
    },
    done: (c) => ({
      status: 303,
      location: '/admin/security/overrides',
      effect: async () =>
        problem(
          (
            await db(c)
              .selectFrom('rate_limit_overrides')
              .select('user_id')
              .where('user_id', '=', c.params.userId!)
              .execute()
          ).length === 0,
          'the override was not removed',
        ),
    }),
  },
  'GET /admin/security/ip': {
    auth: 'admin',
    query: () => 'ip=192.0.2.2',
    done: page('Forensics: 192.0.2.2', 'Accounts seen from it'),
  },
  'GET /admin/security/ip/:ip': {
    auth: 'admin',
    params: () => ({ ip: '192.0.2.2' }),
    done: page('Forensics: 192.0.2.2', 'Accounts seen from it'),
  },
};
