import { hashToken } from '../../src/lib/crypto.ts';
import { shared } from './routes-servers.ts';
import type { Call, Requirement } from './routes.ts';

/**
 * The matrix's entries for the browser console (issue 14), spread into ROUTES by routes.ts: the
 * ticket a console page asks for (vps_manage on the server; an impersonating admin asks
 * explicitly, which the body here does, so the matrix's "impersonation is allowed where the
 * role allows" holds), and staff resetting a server's pinned SSH host key. The socket itself
 * is not an HTTP route: test/console covers it.
 */
const problem = (ok: boolean, what: string) => (ok ? null : what);

const ticketIssued = async (c: Call) =>
  problem(
    (await c.fx.ctx.db
      .selectFrom('console_tickets')
      .select('token_hash')
      .where('user_id', '=', c.me!.id)
      .where('server_id', '=', c.params.id!)
      .where('mode', '=', 'lish')
      .executeTakeFirst()) !== undefined,
    'no ticket was stored for the caller and the server',
  );

export const CONSOLE_ROUTES: Record<string, Requirement> = {
  'POST /vps/:id/console/tickets': {
    auth: 'session',
    permission: 'vps_manage',
    record: {
      of: 'org',
      own: (c) => shared(c, c.fx.acme.id, 'running'),
      foreign: (c) => shared(c, c.fx.globex.id, 'running'),
    },
    body: () => ({ mode: 'lish', impersonation: 'true' }),
    done: (c) => ({ status: 201, shows: ['"ticket":"', '"url":"/console/socket"'], effect: () => ticketIssued(c) }),
  },
  'POST /admin/servers/:id/host-key-reset': {
    auth: 'admin',
    params: async (c) => {
      const id = await shared(c, c.fx.acme.id, 'running');
      await c.fx.ctx.db
        .insertInto('server_host_keys')
        .values({
          server_id: id,
          algorithm: 'ssh-ed25519',
          fingerprint: 'SHA256:matrix',
          public_key: hashToken('matrix host key'),
          pinned_at: c.fx.ctx.clock.now(),
        })
        .onConflict((oc) => oc.column('server_id').doNothing())
        .execute();
      return { id };
    },
    done: (c) => ({
      status: 303,
      location: `/admin/servers/${c.params.id}`,
      effect: async () =>
        problem(
          (await c.fx.ctx.db
            .selectFrom('server_host_keys')
            .select('server_id')
            .where('server_id', '=', c.params.id!)
            .executeTakeFirst()) === undefined,
          'the pinned host key is still there',
        ),
    }),
  },
};
