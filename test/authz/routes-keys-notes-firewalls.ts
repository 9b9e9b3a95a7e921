import { providerLabel } from '../../src/domain/firewalls/firewalls.ts';
import { DEFAULT_RULES, toCloudRules } from '../../src/domain/firewalls/rules.ts';
import { parsePublicKey } from '../../src/domain/ssh-keys/parse.ts';
import { insertServer } from '../firewalls/servers.ts';
import { freshKeyLine } from '../ssh-keys/fixtures.ts';
import type { Body, Call, Done, Requirement } from './routes.ts';

/**
 * The matrix's entries for SSH keys, notes and firewalls (issue 11), spread into ROUTES by
 * routes.ts. Each call makes the records it names (in Acme for "own", in Globex for "foreign").
 */

const u = () => Math.random().toString(36).slice(2, 10);
const problem = (ok: boolean, what: string) => (ok ? null : what);
const db = (c: Call) => c.fx.ctx.db;
const page = (title: string, ...shows: string[]): Done => ({
  status: 200,
  shows: [`<title>${title} · SkyPanel</title>`, ...shows],
});

/** An SSH key of `orgId`, written as addSshKey would. */
async function sshKey(c: Call, orgId: string, name = `matrix key ${u()}`) {
  const key = parsePublicKey(freshKeyLine());
  return (
    await db(c)
      .insertInto('ssh_keys')
      .values({ organization_id: orgId, name, public_key: key.publicKey, fingerprint: key.fingerprint })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
}
const sshKeyRow = (c: Call, id: string) =>
  db(c).selectFrom('ssh_keys').select(['organization_id', 'name']).where('id', '=', id).executeTakeFirst();
const sshKeyNamed = (c: Call, name: string) =>
  db(c).selectFrom('ssh_keys').select(['organization_id', 'id']).where('name', '=', name).executeTakeFirst();
const orgSshKey: Requirement['record'] = {
  of: 'org',
  own: (c) => sshKey(c, c.fx.acme.id),
  foreign: (c) => sshKey(c, c.fx.globex.id),
};

/** A general note (about no server) of `orgId`. */
async function note(c: Call, orgId: string, body = `matrix note ${u()}`) {
  return (
    await db(c).insertInto('notes').values({ organization_id: orgId, body }).returning('id').executeTakeFirstOrThrow()
  ).id;
}
const noteRow = (c: Call, id: string) =>
  db(c).selectFrom('notes').select(['organization_id', 'body']).where('id', '=', id).executeTakeFirst();
const orgNote: Requirement['record'] = {
  of: 'org',
  own: (c) => note(c, c.fx.acme.id),
  foreign: (c) => note(c, c.fx.globex.id),
};

/** A server of `orgId` with an instance in the matrix's test cloud. */
async function server(c: Call, orgId: string) {
  const { cloud, catalogue } = c.fx.servers!;
  return (await insertServer(c.fx.ctx, catalogue, orgId, { cloud, label: `mx-${u()}` })).id;
}
/** A firewall of `orgId` with the default rules; `atProvider`: made there too, as createFirewall would. */
async function firewall(c: Call, orgId: string, opts: { atProvider?: boolean; label?: string } = {}) {
  const { catalogue, cloud } = c.fx.servers!;
  const label = opts.label ?? `mx-${u()}`;
  const { id } = await db(c)
    .insertInto('firewalls')
    .values({ organization_id: orgId, provider_id: catalogue.providerId, label, rules: JSON.stringify(DEFAULT_RULES) })
    .returning('id')
    .executeTakeFirstOrThrow();
  if (opts.atProvider) {
    const made = await cloud.provider.createFirewall(providerLabel(id), toCloudRules(DEFAULT_RULES));
    await db(c).updateTable('firewalls').set({ provider_firewall_id: made.id }).where('id', '=', id).execute();
  }
  return { id, label };
}
/** A firewall of `orgId` guarding a server of `orgId`, here and at the provider. */
async function guarded(c: Call, orgId: string) {
  const fw = await firewall(c, orgId, { atProvider: true });
  const serverId = await server(c, orgId);
  const row = await db(c)
    .selectFrom('firewalls')
    .select('provider_firewall_id')
    .where('id', '=', fw.id)
    .executeTakeFirstOrThrow();
  const instance = await db(c)
    .selectFrom('servers')
    .select('provider_instance_id')
    .where('id', '=', serverId)
    .executeTakeFirstOrThrow();
  await c.fx.servers!.cloud.provider.attachFirewall(row.provider_firewall_id!, instance.provider_instance_id!);
  await db(c).insertInto('firewall_servers').values({ firewall_id: fw.id, server_id: serverId }).execute();
  return { firewallId: fw.id, serverId };
}
const firewallRowOf = (c: Call, id: string) =>
  db(c).selectFrom('firewalls').select(['label', 'rules', 'deleted_at']).where('id', '=', id).executeTakeFirst();
const attachment = (c: Call, firewallId: string, serverId: string) =>
  db(c)
    .selectFrom('firewall_servers')
    .select('server_id')
    .where('firewall_id', '=', firewallId)
    .where('server_id', '=', serverId)
    .executeTakeFirst();
const orgFirewall: Requirement['record'] = {
  of: 'org',
  own: async (c) => (await firewall(c, c.fx.acme.id)).id,
  foreign: async (c) => (await firewall(c, c.fx.globex.id)).id,
};
/** Attaching: the firewall (made at the provider) is the record; the body names a fresh server of the acting organization. */
const orgFirewallAtProvider: Requirement['record'] = {
  of: 'org',
  own: async (c) => (await firewall(c, c.fx.acme.id, { atProvider: true })).id,
  foreign: async (c) => (await firewall(c, c.fx.globex.id, { atProvider: true })).id,
};
/** Detaching: an attached server is the record (Globex's own pair for the foreign call), its firewall the :id. */
const guardedServer: Requirement['record'] = {
  of: 'org',
  own: (c) => c.made.serverId!,
  foreign: async (c) => (await guarded(c, c.fx.globex.id)).serverId,
};
/** Form fields of a firewall with one inbound rule on `port`. */
const firewallForm = (label: string, port: string) => ({
  label,
  inbound_policy: 'DROP',
  outbound_policy: 'ACCEPT',
  'inbound.0.action': 'ACCEPT',
  'inbound.0.protocol': 'TCP',
  'inbound.0.ports': port,
  'inbound.0.addresses': '0.0.0.0/0',
  'inbound.0.label': '',
});
const firewallJson = (label: string, port: string) => ({
  label,
  rules: {
    inbound_policy: 'DROP',
    outbound_policy: 'ACCEPT',
    inbound: [{ action: 'ACCEPT', protocol: 'TCP', ports: port, addresses: ['0.0.0.0/0'], label: null }],
    outbound: [],
  },
});
const firewallMade = async (c: Call, label: string) =>
  (await db(c)
    .selectFrom('firewalls')
    .select(['organization_id', 'provider_firewall_id'])
    .where('label', '=', label)
    .executeTakeFirst()) ?? null;

export const KEYS_NOTES_FIREWALLS_ROUTES: Record<string, Requirement> = {
  // SSH keys of the acting organization.
  'GET /ssh-keys': {
    auth: 'session',
    permission: 'ssh_keys_view',
    setup: async (c) => {
      const name = `matrix key ${u()}`;
      await sshKey(c, c.org, name);
      return { name };
    },
    done: (c) => page('SSH keys', c.made.name!),
  },
  'POST /ssh-keys': {
    auth: 'session',
    permission: 'ssh_keys_manage',
    setup: async () => ({ name: `matrix key ${u()}`, line: freshKeyLine() }),
    body: (c) => ({ name: c.made.name!, public_key: c.made.line! }),
    done: (c) => ({
      status: 303,
      location: '/ssh-keys',
      effect: async () =>
        problem((await sshKeyNamed(c, c.made.name!))?.organization_id === c.org, 'the key was not added'),
    }),
  },
  'DELETE /ssh-keys/:id': {
    auth: 'session',
    permission: 'ssh_keys_manage',
    record: orgSshKey,
    done: (c) => ({
      status: 200,
      shows: 'id="ssh-keys"',
      effect: async () => problem((await sshKeyRow(c, c.params.id!)) === undefined, 'the key is still there'),
    }),
  },
  'GET /api/v1/ssh-keys': {
    auth: 'token',
    permission: 'ssh_keys_view',
    setup: async (c) => ({ id: await sshKey(c, c.org) }),
    done: (c) => ({ status: 200, shows: `"id":"${c.made.id}"` }),
  },
  'POST /api/v1/ssh-keys': {
    auth: 'token',
    permission: 'ssh_keys_manage',
    setup: async () => ({ name: `matrix key ${u()}`, line: freshKeyLine() }),
    body: (c) => ({ name: c.made.name!, public_key: c.made.line! }),
    done: (c) => ({
      status: 201,
      effect: async () =>
        problem((await sshKeyNamed(c, c.made.name!))?.organization_id === c.org, 'the key was not added'),
    }),
  },
  'DELETE /api/v1/ssh-keys/:id': {
    auth: 'token',
    permission: 'ssh_keys_manage',
    record: orgSshKey,
    done: (c) => ({
      status: 204,
      effect: async () => problem((await sshKeyRow(c, c.params.id!)) === undefined, 'the key is still there'),
    }),
  },

  // Notes: the member's personal notes (any member) and, with notes_view, the acting
  // organization's (the same partial sits on each server's page).
  'GET /notes': {
    auth: 'session',
    setup: async (c) => {
      const body = `matrix note ${u()}`;
      await note(c, c.org, body);
      return { body };
    },
    done: (c) =>
      c.caller.permissions.has('notes_view')
        ? page('Notes', c.made.body!)
        : {
            ...page('Notes'),
            effect: (_c, out) =>
              problem(!out.text.includes(c.made.body!), 'an organization note was shown without notes_view'),
          },
  },
  'POST /notes': {
    auth: 'session',
    permission: 'notes_manage',
    setup: async () => ({ body: `matrix note ${u()}` }),
    body: (c) => ({ body: c.made.body! }),
    done: (c) => ({
      status: 303,
      location: '/notes',
      effect: async () => {
        const row = await db(c)
          .selectFrom('notes')
          .select('organization_id')
          .where('body', '=', c.made.body!)
          .executeTakeFirst();
        return problem(row?.organization_id === c.org, 'the note was not added');
      },
    }),
  },
  'PATCH /notes/:id': {
    auth: 'session',
    permission: 'notes_manage',
    record: orgNote,
    setup: async () => ({ body: `matrix edit ${u()}` }),
    body: (c) => ({ body: c.made.body! }),
    done: (c) => ({
      status: 303,
      location: '/notes',
      effect: async () => problem((await noteRow(c, c.params.id!))?.body === c.made.body, 'the note was not changed'),
    }),
  },
  'DELETE /notes/:id': {
    auth: 'session',
    permission: 'notes_manage',
    record: orgNote,
    done: (c) => ({
      status: 303,
      location: '/notes',
      effect: async () => problem((await noteRow(c, c.params.id!)) === undefined, 'the note is still there'),
    }),
  },

  // The notes API: any member lists (their personal notes; the organization's with notes_view;
  // an API key needs notes_view); the organization's notes need notes_view / notes_manage.
  'GET /api/v1/notes': {
    auth: 'token',
    setup: async (c) => ({ id: await note(c, c.org) }),
    done: (c) =>
      c.caller.permissions.has('notes_view')
        ? { status: 200, shows: `"id":"${c.made.id}"` }
        : {
            status: 200,
            effect: (_c, out) =>
              problem(!out.text.includes(c.made.id!), 'an organization note was listed without notes_view'),
          },
  },
  'POST /api/v1/notes': {
    auth: 'token',
    permission: 'notes_manage',
    setup: async () => ({ body: `matrix note ${u()}` }),
    body: (c) => ({ body: c.made.body! }),
    done: (c) => ({
      status: 201,
      effect: async () => {
        const row = await db(c)
          .selectFrom('notes')
          .select('organization_id')
          .where('body', '=', c.made.body!)
          .executeTakeFirst();
        return problem(row?.organization_id === c.org, 'the note was not added');
      },
    }),
  },
  'GET /api/v1/notes/:id': {
    auth: 'token',
    permission: 'notes_view',
    record: orgNote,
    done: (c) => ({ status: 200, shows: `"id":"${c.params.id}"` }),
  },
  'PATCH /api/v1/notes/:id': {
    auth: 'token',
    permission: 'notes_manage',
    record: orgNote,
    setup: async () => ({ body: `matrix edit ${u()}` }),
    body: (c) => ({ body: c.made.body! }),
    done: (c) => ({
      status: 200,
      effect: async () => problem((await noteRow(c, c.params.id!))?.body === c.made.body, 'the note was not changed'),
    }),
  },
  'DELETE /api/v1/notes/:id': {
    auth: 'token',
    permission: 'notes_manage',
    record: orgNote,
    done: (c) => ({
      status: 204,
      effect: async () => problem((await noteRow(c, c.params.id!)) === undefined, 'the note is still there'),
    }),
  },

  // Firewalls of the acting organization (vps_view reads, vps_manage changes), at the matrix's test cloud.
  'GET /firewalls': {
    auth: 'session',
    permission: 'vps_view',
    setup: async (c) => ({ label: (await firewall(c, c.org)).label }),
    done: (c) => page('Firewalls', c.made.label!),
  },
  'GET /firewalls/new': { auth: 'session', permission: 'vps_manage', done: page('New firewall', 'Create firewall') },
  'POST /firewalls': {
    auth: 'session',
    permission: 'vps_manage',
    setup: async () => ({ label: `mx-${u()}` }),
    body: (c) => firewallForm(c.made.label!, '22'),
    done: (c) => ({
      status: 303,
      location: /^\/firewalls\/[0-9a-f-]{36}$/,
      effect: async () => {
        const row = await firewallMade(c, c.made.label!);
        return problem(
          row?.organization_id === c.org && row.provider_firewall_id !== null,
          'the firewall was not made',
        );
      },
    }),
  },
  'GET /firewalls/:id': {
    auth: 'session',
    permission: 'vps_view',
    record: orgFirewall,
    done: async (c) => page(`Firewall ${(await firewallRowOf(c, c.params.id!))!.label}`),
  },
  'PATCH /firewalls/:id': {
    auth: 'session',
    permission: 'vps_manage',
    record: orgFirewall,
    setup: async () => ({ label: `mx-${u()}` }),
    body: (c) => firewallForm(c.made.label!, '2222'),
    done: (c) => ({
      status: 303,
      location: `/firewalls/${c.params.id}`,
      effect: async () => {
        const row = await firewallRowOf(c, c.params.id!);
        return problem(
          row?.label === c.made.label && JSON.stringify(row?.rules).includes('2222'),
          'the firewall was not changed',
        );
      },
    }),
  },
  'DELETE /firewalls/:id': {
    auth: 'session',
    permission: 'vps_manage',
    record: orgFirewall,
    done: (c) => ({
      status: 303,
      location: '/firewalls',
      effect: async () =>
        problem((await firewallRowOf(c, c.params.id!))?.deleted_at != null, 'the firewall is still there'),
    }),
  },
  'POST /firewalls/:id/servers': {
    auth: 'session',
    permission: 'vps_manage',
    record: orgFirewallAtProvider,
    setup: async (c) => ({ serverId: await server(c, c.fx.acme.id) }),
    body: (c) => ({ server_id: c.made.serverId! }),
    done: (c) => ({
      status: 303,
      location: `/firewalls/${c.params.id}`,
      effect: async () => problem((await attachment(c, c.params.id!, c.made.serverId!)) !== undefined, 'not attached'),
    }),
  },
  'DELETE /firewalls/:id/servers/:serverId': {
    auth: 'session',
    permission: 'vps_manage',
    setup: (c) => guarded(c, c.fx.acme.id),
    params: (c) => ({ id: c.made.firewallId! }),
    record: guardedServer,
    done: (c) => ({
      status: 303,
      location: `/firewalls/${c.params.id}`,
      effect: async () =>
        problem((await attachment(c, c.params.id!, c.params.serverId!)) === undefined, 'still attached'),
    }),
  },
  'GET /api/v1/firewalls': {
    auth: 'token',
    permission: 'vps_view',
    // By label: this one sorts before the matrix's other firewalls, on the first page.
    setup: async (c) => ({ id: (await firewall(c, c.org, { label: `0-mx-${u()}` })).id }),
    query: () => 'limit=100',
    done: (c) => ({ status: 200, shows: `"id":"${c.made.id}"` }),
  },
  'POST /api/v1/firewalls': {
    auth: 'token',
    permission: 'vps_manage',
    setup: async () => ({ label: `mx-${u()}` }),
    body: (c) => firewallJson(c.made.label!, '22') as unknown as Body,
    done: (c) => ({
      status: 201,
      effect: async () => {
        const row = await firewallMade(c, c.made.label!);
        return problem(
          row?.organization_id === c.org && row.provider_firewall_id !== null,
          'the firewall was not made',
        );
      },
    }),
  },
  'GET /api/v1/firewalls/:id': {
    auth: 'token',
    permission: 'vps_view',
    record: orgFirewall,
    done: (c) => ({ status: 200, shows: `"id":"${c.params.id}"` }),
  },
  'PATCH /api/v1/firewalls/:id': {
    auth: 'token',
    permission: 'vps_manage',
    record: orgFirewall,
    setup: async () => ({ label: `mx-${u()}` }),
    body: (c) => firewallJson(c.made.label!, '2222') as unknown as Body,
    done: (c) => ({
      status: 200,
      effect: async () => {
        const row = await firewallRowOf(c, c.params.id!);
        return problem(
          row?.label === c.made.label && JSON.stringify(row?.rules).includes('2222'),
          'the firewall was not changed',
        );
      },
    }),
  },
  'DELETE /api/v1/firewalls/:id': {
    auth: 'token',
    permission: 'vps_manage',
    record: orgFirewall,
    done: (c) => ({
      status: 204,
      effect: async () =>
        problem((await firewallRowOf(c, c.params.id!))?.deleted_at != null, 'the firewall is still there'),
    }),
  },
  'POST /api/v1/firewalls/:id/servers': {
    auth: 'token',
    permission: 'vps_manage',
    record: orgFirewallAtProvider,
    setup: async (c) => ({ serverId: await server(c, c.fx.acme.id) }),
    body: (c) => ({ server_id: c.made.serverId! }),
    done: (c) => ({
      status: 200,
      effect: async () => problem((await attachment(c, c.params.id!, c.made.serverId!)) !== undefined, 'not attached'),
    }),
  },
  'DELETE /api/v1/firewalls/:id/servers/:server_id': {
    auth: 'token',
    permission: 'vps_manage',
    setup: (c) => guarded(c, c.fx.acme.id),
    params: (c) => ({ id: c.made.firewallId! }),
    record: guardedServer,
    done: (c) => ({
      status: 204,
      effect: async () =>
        problem((await attachment(c, c.params.id!, c.params.server_id!)) === undefined, 'still attached'),
    }),
  },
};
