import type { Actor } from '../../src/domain/access/actor.ts';
import { PERMISSIONS } from '../../src/domain/access/permissions.ts';
import { runAction } from '../../src/domain/servers/actions.ts';
import { enableBackups, takeSnapshot } from '../../src/domain/servers/backups.ts';
import { createServer } from '../../src/domain/servers/create.ts';
import { createFirewall } from '../../src/domain/firewalls/changes.ts';
import { followServer } from '../../src/domain/servers/follow.ts';
import type { ServerActionType } from '../../src/db/types.ts';
import { fundWallet } from '../helpers/money.ts';
import { PASSWORD } from '../helpers/people.ts';
import { usd } from '../helpers/servers.ts';
import { totpNow } from './fixtures.ts';
import { expectation, routeOf } from './matrix.ts';
import type { Call, Done, Requirement } from './routes.ts';

/**
 * The matrix's entries for servers (issue 11): the /vps pages and /api/v1/vps. Servers are
 * created through the domain against the matrix's test cloud (fx.servers) and brought to the
 * state a route needs (running, offline, with backups, with a snapshot). A call that the
 * matrix lets through gets a fresh server, since it changes it; a refused one names a shared
 * server of the same state, which it must leave as it was.
 */

type State = 'running' | 'offline' | 'backups' | 'snapshot';
const u = () => Math.random().toString(36).slice(2, 8);
const problem = (ok: boolean, what: string) => (ok ? null : what);
const db = (c: Call) => c.fx.ctx.db;
const deps = (c: Call) => c.fx.ctx.deps;
const title = (t: string) => `<title>${t} · SkyPanel</title>`;

async function ownerActor(c: Call, orgId: string): Promise<Actor> {
  return {
    userId: await c.fx.make.ownerOf(orgId),
    isPlatformAdmin: false,
    organizationId: orgId,
    roleName: 'owner',
    permissions: new Set(PERMISSIONS),
    impersonatorUserId: null,
    apiKeyId: null,
    origin: { ip: '192.0.2.1', userAgent: null },
  };
}

/** Plays the provider's transitions out and reads the server back, as the follow-up job would. */
async function settle(c: Call, serverId: string) {
  c.fx.servers!.cloud.emu.settle();
  await followServer(deps(c), { serverId, attempt: 0 });
}

/** A new server of `orgId` in `state`, created and driven as its owner would. */
async function server(c: Call, orgId: string, state: State): Promise<string> {
  const { catalogue } = c.fx.servers!;
  await fundWallet(db(c), orgId, usd(1));
  const actor = await ownerActor(c, orgId);
  const { server: s } = await createServer(deps(c), actor, {
    label: `matrix-${u()}`,
    region: 'us-east',
    planId: catalogue.plans.small.id,
    image: 'debian12',
  });
  await settle(c, s.id);
  if (state === 'offline') await runAction(deps(c), actor, s.id, { type: 'shutdown' });
  if (state === 'backups' || state === 'snapshot') await enableBackups(deps(c), actor, s.id);
  await settle(c, s.id);
  if (state === 'snapshot') {
    await takeSnapshot(deps(c), actor, s.id, { label: 'matrix' });
    await settle(c, s.id);
  }
  return s.id;
}

const sharedServers = new Map<string, Promise<string>>();
/** A server of `orgId` in `state`, made once and shared by the calls that do not change it (routes-console.ts too). */
export const shared = (c: Call, orgId: string, state: State) => {
  const key = `${orgId}:${state}`;
  return sharedServers.get(key) ?? sharedServers.set(key, server(c, orgId, state)).get(key)!;
};

/** A server record for a route: fresh for a call the matrix lets through (it changes it), shared otherwise. */
function serverRecord(key: string, state: State): Requirement['record'] {
  return {
    of: 'org',
    own: (c) => {
      const allowed = 'allowed' in expectation(routeOf(key, ROUTES_BY_KEY[key]!), c.caller, c.whose);
      return allowed ? server(c, c.fx.acme.id, state) : shared(c, c.fx.acme.id, state);
    },
    foreign: (c) => shared(c, c.fx.globex.id, state),
  };
}

const row = (c: Call, id: string) =>
  db(c).selectFrom('servers').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const labelOf = async (c: Call) => (await row(c, c.params.id!)).label;
const actionDone = async (c: Call, type: ServerActionType) =>
  problem(
    (await db(c)
      .selectFrom('server_actions')
      .select('id')
      .where('server_id', '=', c.params.id!)
      .where('type', '=', type)
      .executeTakeFirst()) !== undefined,
    `no ${type} action was recorded`,
  );
/** The snapshot of the server named by the call (for a restore). */
async function snapshotOf(c: Call) {
  const r = await row(c, c.params.id!);
  const b = await c.fx.servers!.cloud.provider.backups(r.provider_instance_id!);
  return b.snapshot.current?.id ?? '0';
}
/** A host name the emulator resolves to the server's address (the forward-lookup rule). */
async function resolvable(c: Call) {
  const address = (await row(c, c.params.id!)).ipv4[0]!;
  const name = `m${u()}.example.com`;
  c.fx.servers!.cloud.emu.setResolvableNames({ [name]: address });
  return { address, name };
}

const page = (t: string, ...shows: string[]): Done => ({ status: 200, shows: [title(t), ...shows] });
const toServer = (c: Call): Pick<Done, 'status' | 'location'> => ({ status: 303, location: `/vps/${c.params.id}` });
const createFields = (c: Call) => ({
  label: `matrix-new-${u()}`,
  region: 'us-east',
  plan_id: c.fx.servers!.catalogue.plans.small.id,
  image: 'debian12',
});

/** An HTML action: POSTed to /vps/:id/<path>, 303 back to the server, with its effect. */
const htmlAction = (
  key: string,
  state: State,
  effect: (c: Call) => Promise<string | null>,
  body?: Requirement['body'],
  permission: Requirement['permission'] = 'vps_manage',
): Requirement => ({
  auth: 'session',
  permission,
  record: serverRecord(key, state),
  body,
  done: (c) => ({ ...toServer(c), effect: () => effect(c) }),
});

/** An API action: 202 with the action, and its effect. */
const apiAction = (key: string, state: State, type: ServerActionType, body?: Requirement['body']): Requirement => ({
  auth: 'token',
  permission: 'vps_manage',
  record: serverRecord(key, state),
  body,
  done: (c) => ({ status: 202, shows: `"type":"${type}"`, effect: () => actionDone(c, type) }),
});

const ENTRIES: Record<string, (key: string) => Requirement> = {
  // Pages.
  'GET /vps': () => ({
    auth: 'session',
    permission: 'vps_view',
    setup: async (c) => ({ label: (await row(c, await shared(c, c.org, 'running'))).label }),
    done: (c) => page('Servers', c.made.label!),
  }),
  'GET /vps/new': () => ({ auth: 'session', permission: 'vps_create', done: page('Create a server', 'name="label"') }),
  'POST /vps/new': () => ({
    auth: 'session',
    permission: 'vps_create',
    body: () => ({ step: 'label', label: `matrix-${u()}` }),
    done: { status: 200, shows: 'name="region"' },
  }),
  'POST /vps': () => ({
    auth: 'session',
    permission: 'vps_create',
    setup: async (c) => {
      await fundWallet(db(c), c.org, usd(1));
      return createFields(c);
    },
    body: (c) => ({ ...createFields(c), label: c.made.label!, password_mode: 'generate' }),
    done: (c) => ({
      status: 303,
      location: /^\/vps\/[0-9a-f-]{36}$/,
      effect: async () =>
        problem(
          (
            await db(c)
              .selectFrom('servers')
              .select('organization_id')
              .where('label', '=', c.made.label!)
              .executeTakeFirst()
          )?.organization_id === c.org,
          'no server was created in the acting organization',
        ),
    }),
  }),
  'GET /vps/:id': (k) => ({
    auth: 'session',
    permission: 'vps_view',
    record: serverRecord(k, 'running'),
    done: async (c) => page(await labelOf(c), 'data-testid="server-status"'),
  }),
  'POST /vps/:id/boot': (k) => htmlAction(k, 'offline', (c) => actionDone(c, 'boot')),
  'POST /vps/:id/shutdown': (k) => htmlAction(k, 'running', (c) => actionDone(c, 'shutdown')),
  'POST /vps/:id/reboot': (k) => htmlAction(k, 'running', (c) => actionDone(c, 'reboot')),
  'POST /vps/:id/rename': (k) =>
    htmlAction(
      k,
      'running',
      async (c) => problem((await labelOf(c)) === c.body!.label, 'the server was not renamed'),
      () => ({ label: `renamed-${u()}` }),
    ),
  'POST /vps/:id/password': (k) =>
    htmlAction(
      k,
      'offline',
      (c) => actionDone(c, 'reset_password'),
      () => ({ password_mode: 'generate' }),
    ),
  'GET /vps/:id/rebuild': (k) => ({
    auth: 'session',
    permission: 'vps_manage',
    record: serverRecord(k, 'running'),
    done: async (c) => page(`Rebuild ${await labelOf(c)}`, 'name="image"'),
  }),
  'POST /vps/:id/rebuild': (k) =>
    htmlAction(
      k,
      'running',
      (c) => actionDone(c, 'rebuild'),
      () => ({ image: 'ubuntu24.04', password_mode: 'generate' }),
    ),
  'GET /vps/:id/console': (k) => ({
    auth: 'session',
    permission: 'vps_manage',
    record: serverRecord(k, 'running'),
    done: async (c) => page(`Console · ${await labelOf(c)}`, 'data-console ', '/static/build/js/console.'),
  }),
  'GET /vps/:id/resize': (k) => ({
    auth: 'session',
    permission: 'vps_manage',
    record: serverRecord(k, 'running'),
    done: async (c) => page(`Resize ${await labelOf(c)}`, 'name="plan_id"'),
  }),
  'POST /vps/:id/resize': (k) =>
    htmlAction(
      k,
      'running',
      (c) => actionDone(c, 'resize'),
      (c) => ({ plan_id: c.fx.servers!.catalogue.plans.medium.id }),
    ),
  'POST /vps/:id/backups': (k) =>
    htmlAction(k, 'running', async (c) =>
      problem((await row(c, c.params.id!)).backups_enabled, 'backups are still off'),
    ),
  'POST /vps/:id/backups/cancellation': (k) =>
    htmlAction(k, 'backups', async (c) =>
      problem(!(await row(c, c.params.id!)).backups_enabled, 'backups are still on'),
    ),
  'POST /vps/:id/backups/schedule': (k) =>
    htmlAction(
      k,
      'backups',
      (c) => actionDone(c, 'schedule_backups'),
      () => ({ day: 'Monday', window: 'W4' }),
    ),
  'POST /vps/:id/backups/snapshots': (k) =>
    htmlAction(
      k,
      'backups',
      (c) => actionDone(c, 'snapshot'),
      () => ({ label: `snap-${u()}` }),
    ),
  'POST /vps/:id/restores': (k) =>
    htmlAction(
      k,
      'snapshot',
      (c) => actionDone(c, 'restore'),
      async (c) => ({ backup_id: await snapshotOf(c) }),
    ),
  'POST /vps/:id/reverse-dns': (k) =>
    htmlAction(
      k,
      'running',
      (c) => actionDone(c, 'set_rdns'),
      (c) => resolvable(c),
    ),
  'GET /vps/:id/delete': (k) => ({
    auth: 'session',
    permission: 'vps_delete',
    record: serverRecord(k, 'running'),
    done: async (c) => page(`Delete ${await labelOf(c)}`, 'name="password"'),
  }),
  'POST /vps/:id/delete': (k) => ({
    auth: 'session',
    permission: 'vps_delete',
    record: serverRecord(k, 'running'),
    body: async (c) => ({
      password: PASSWORD,
      ...(c.creds.totpSecret ? { code: await totpNow(c.fx.ctx, c.creds.totpSecret, 2) } : {}),
    }),
    done: (c) => ({
      status: 303,
      location: '/vps',
      effect: async () => problem((await row(c, c.params.id!)).status === 'deleted', 'the server is not deleted'),
    }),
  }),

  // The JSON API.
  'GET /api/v1/vps': () => ({
    auth: 'token',
    permission: 'vps_view',
    setup: async (c) => {
      const id = await shared(c, c.org, 'running');
      return { id, label: (await row(c, id)).label };
    },
    query: (c) => `q=${c.made.label}`,
    done: (c) => ({ status: 200, shows: `"id":"${c.made.id}"` }),
  }),
  'POST /api/v1/vps': () => ({
    auth: 'token',
    permission: 'vps_create',
    setup: async (c) => {
      await fundWallet(db(c), c.org, usd(1));
      return createFields(c);
    },
    body: (c) => ({ ...createFields(c), label: c.made.label! }),
    done: (c) => ({
      status: 201,
      shows: ['"status":"provisioning"', '"root_password":"'],
      effect: async () =>
        problem(
          (
            await db(c)
              .selectFrom('servers')
              .select('organization_id')
              .where('label', '=', c.made.label!)
              .executeTakeFirst()
          )?.organization_id === c.org,
          'no server was created in the acting organization',
        ),
    }),
  }),
  'GET /api/v1/vps/:id': (k) => ({
    auth: 'token',
    permission: 'vps_view',
    record: serverRecord(k, 'running'),
    done: (c) => ({ status: 200, shows: `"id":"${c.params.id}"` }),
  }),
  'PATCH /api/v1/vps/:id': (k) => ({
    auth: 'token',
    permission: 'vps_manage',
    record: serverRecord(k, 'running'),
    body: () => ({ label: `renamed-${u()}` }),
    done: (c) => ({
      status: 200,
      effect: async () => problem((await labelOf(c)) === c.body!.label, 'the server was not renamed'),
    }),
  }),
  'DELETE /api/v1/vps/:id': (k) => ({
    auth: 'token',
    permission: 'vps_delete',
    record: serverRecord(k, 'running'),
    done: (c) => ({
      status: 202,
      shows: '"status":"deleted"',
      effect: async () => problem((await row(c, c.params.id!)).status === 'deleted', 'the server is not deleted'),
    }),
  }),
  'POST /api/v1/vps/:id/actions': (k) => apiAction(k, 'running', 'reboot', () => ({ type: 'reboot' })),
  'GET /api/v1/vps/:id/actions': (k) => ({
    auth: 'token',
    permission: 'vps_view',
    record: serverRecord(k, 'running'),
    done: { status: 200, shows: '"type":"create"' },
  }),
  // Issue 12: the server's hourly charges (vps_view, like the server); its first hour is one.
  'GET /api/v1/vps/:id/charges': (k) => ({
    auth: 'token',
    permission: 'vps_view',
    record: serverRecord(k, 'running'),
    done: { status: 200, shows: '"capped":false' },
  }),
  'GET /api/v1/vps/:id/backups': (k) => ({
    auth: 'token',
    permission: 'vps_view',
    record: serverRecord(k, 'snapshot'),
    done: { status: 200, shows: '"enabled":true' },
  }),
  'POST /api/v1/vps/:id/backups': (k) => apiAction(k, 'running', 'enable_backups'),
  'DELETE /api/v1/vps/:id/backups': (k) => ({
    ...apiAction(k, 'backups', 'cancel_backups'),
  }),
  'POST /api/v1/vps/:id/backups/schedule': (k) =>
    apiAction(k, 'backups', 'schedule_backups', () => ({ day: 'Monday', window: 'W4' })),
  'POST /api/v1/vps/:id/backups/snapshots': (k) =>
    apiAction(k, 'backups', 'snapshot', () => ({ label: `snap-${u()}` })),
  'POST /api/v1/vps/:id/restores': (k) =>
    apiAction(k, 'snapshot', 'restore', async (c) => ({ backup_id: await snapshotOf(c) })),
  'GET /api/v1/vps/:id/ips': (k) => ({
    auth: 'token',
    permission: 'vps_view',
    record: serverRecord(k, 'running'),
    done: { status: 200, shows: '"type":"ipv4"' },
  }),
  'POST /api/v1/vps/:id/reverse-dns': (k) => apiAction(k, 'running', 'set_rdns', (c) => resolvable(c)),
  'DELETE /api/v1/vps/:id/reverse-dns/:address': (k) => {
    // The server is the record; the matrix fills the last parameter, so it names the server's address.
    const servers = serverRecord(k, 'running')!;
    const addressOf = async (c: Call, id: string) => {
      c.params.id = id;
      return (await row(c, id)).ipv4[0]!;
    };
    return {
      ...apiAction(k, 'running', 'set_rdns'),
      record: {
        of: 'org',
        own: async (c) => addressOf(c, await servers.own(c)),
        foreign: async (c) => addressOf(c, await servers.foreign(c)),
      },
    };
  },
};

/** A server for a staff route: fresh for a platform admin (the call changes it), shared for everyone else (refused). */
const staffServer = (state: State) => async (c: Call) => ({
  id: c.caller.kind === 'platform-admin' ? await server(c, c.fx.acme.id, state) : await shared(c, c.fx.acme.id, state),
});
async function driftFinding(c: Call) {
  const { id } = await db(c)
    .insertInto('server_drift')
    .values({
      provider_id: c.fx.servers!.catalogue.providerId,
      kind: 'unknown_at_provider',
      provider_instance_id: String(1e9 + Math.floor(Math.random() * 1e9)),
      label: `stray-${u()}`,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return id;
}
const driftResolved = async (c: Call, id: string) =>
  problem(
    (await db(c).selectFrom('server_drift').select('resolved_at').where('id', '=', id).executeTakeFirstOrThrow())
      .resolved_at !== null,
    'the finding is still open',
  );
const staffPower = (type: 'boot' | 'shutdown' | 'reboot', state: State): Requirement => ({
  auth: 'admin',
  params: staffServer(state),
  done: (c) => ({ status: 303, location: `/admin/servers/${c.params.id}`, effect: () => actionDone(c, type) }),
});

Object.assign(ENTRIES, {
  // Staff pages.
  'GET /admin/servers': (): Requirement => ({
    auth: 'admin',
    setup: async (c) => ({ label: (await row(c, await shared(c, c.fx.acme.id, 'running'))).label }),
    query: (c) => `q=${c.made.label}`,
    done: (c) => page('Servers', c.made.label!),
  }),
  'GET /admin/servers/drift': (): Requirement => ({ auth: 'admin', done: page('Server drift') }),
  'POST /admin/servers/drift/:driftId/resolution': (): Requirement => ({
    auth: 'admin',
    params: async (c) => ({ driftId: await driftFinding(c) }),
    done: (c) => ({ status: 303, location: '/admin/servers/drift', effect: () => driftResolved(c, c.params.driftId!) }),
  }),
  'GET /admin/servers/:id': (): Requirement => ({
    auth: 'admin',
    params: async (c) => ({ id: await shared(c, c.fx.acme.id, 'running') }),
    done: async (c) => page(await labelOf(c), 'name="reason"'),
  }),
  'POST /admin/servers/:id/boot': () => staffPower('boot', 'offline'),
  'POST /admin/servers/:id/shutdown': () => staffPower('shutdown', 'running'),
  'POST /admin/servers/:id/reboot': () => staffPower('reboot', 'running'),
  'POST /admin/servers/:id/delete': (): Requirement => ({
    auth: 'admin',
    params: staffServer('running'),
    body: () => ({ reason: 'Matrix' }),
    done: (c) => ({
      status: 303,
      location: `/admin/servers/${c.params.id}`,
      effect: async () => problem((await row(c, c.params.id!)).status === 'deleted', 'the server is not deleted'),
    }),
  }),

  // Staff API.
  'GET /api/v1/admin/servers': (): Requirement => ({
    auth: 'admin-token',
    setup: async (c) => ({ id: await shared(c, c.fx.acme.id, 'running') }),
    query: () => 'status=running',
    done: { status: 200, shows: '"total":' },
  }),
  'GET /api/v1/admin/servers/drift': (): Requirement => ({
    auth: 'admin-token',
    done: { status: 200, shows: '"data":' },
  }),
  'POST /api/v1/admin/servers/drift/:id/resolution': (): Requirement => ({
    auth: 'admin-token',
    params: async (c) => ({ id: await driftFinding(c) }),
    done: (c) => ({ status: 204, effect: () => driftResolved(c, c.params.id!) }),
  }),
  'GET /api/v1/admin/servers/:id': (): Requirement => ({
    auth: 'admin-token',
    params: async (c) => ({ id: await shared(c, c.fx.acme.id, 'running') }),
    done: (c) => ({ status: 200, shows: `"id":"${c.params.id}"` }),
  }),
  'POST /api/v1/admin/servers/:id/actions': (): Requirement => ({
    auth: 'admin-token',
    params: staffServer('running'),
    body: () => ({ type: 'reboot' }),
    done: (c) => ({ status: 202, shows: '"type":"reboot"', effect: () => actionDone(c, 'reboot') }),
  }),
  'POST /api/v1/admin/servers/:id/deletion': (): Requirement => ({
    auth: 'admin-token',
    params: staffServer('running'),
    body: () => ({ reason: 'Matrix' }),
    done: (c) => ({
      status: 202,
      shows: '"status":"deleted"',
      effect: async () => problem((await row(c, c.params.id!)).status === 'deleted', 'the server is not deleted'),
    }),
  }),
});

/** A firewall of `orgId`, made as createFirewall would (here and at the provider), guarding `serverIds`. */
async function firewallOf(c: Call, orgId: string, serverIds: string[] = []) {
  const fw = await createFirewall(deps(c), await ownerActor(c, orgId), {
    label: `mx-${u()}`,
    rules: { inbound_policy: 'DROP', outbound_policy: 'ACCEPT', inbound: [], outbound: [] },
    server_ids: serverIds,
  });
  return fw.id;
}
const attached = async (c: Call, firewallId: string, serverId: string) =>
  (await db(c)
    .selectFrom('firewall_servers')
    .select('server_id')
    .where('firewall_id', '=', firewallId)
    .where('server_id', '=', serverId)
    .executeTakeFirst()) !== undefined;

Object.assign(ENTRIES, {
  'GET /api/v1/vps/:id/firewalls': (k: string): Requirement => ({
    auth: 'token',
    permission: 'vps_view',
    record: serverRecord(k, 'running'),
    done: { status: 200, shows: '"data":[' },
  }),
  'POST /api/v1/vps/:id/firewalls': (k: string): Requirement => ({
    auth: 'token',
    permission: 'vps_manage',
    record: serverRecord(k, 'running'),
    body: async (c) => ({ firewall_id: await firewallOf(c, c.fx.acme.id) }),
    done: (c) => ({
      status: 200,
      effect: async () => problem(await attached(c, String(c.body!.firewall_id), c.params.id!), 'not attached'),
    }),
  }),
  // The firewall is the record; the instance it guards is made with it (Globex's own pair for the foreign call).
  'DELETE /api/v1/vps/:id/firewalls/:firewall_id': (): Requirement => ({
    auth: 'token',
    permission: 'vps_manage',
    setup: async (c) => {
      const serverId = await server(c, c.fx.acme.id, 'running');
      return { serverId, firewallId: await firewallOf(c, c.fx.acme.id, [serverId]) };
    },
    params: (c) => ({ id: c.made.serverId! }),
    record: {
      of: 'org',
      own: (c) => c.made.firewallId!,
      foreign: async (c) => firewallOf(c, c.fx.globex.id, [await server(c, c.fx.globex.id, 'running')]),
    },
    done: (c) => ({
      status: 204,
      effect: async () => problem(!(await attached(c, c.params.firewall_id!, c.params.id!)), 'still attached'),
    }),
  }),
});

const ROUTES_BY_KEY: Record<string, Requirement> = {};
for (const [key, make] of Object.entries(ENTRIES)) ROUTES_BY_KEY[key] = make(key);

export const SERVER_ROUTES: Record<string, Requirement> = ROUTES_BY_KEY;
