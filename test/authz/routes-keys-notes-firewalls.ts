import { parsePublicKey } from '../../src/domain/ssh-keys/parse.ts';
import { freshKeyLine } from '../ssh-keys/fixtures.ts';
import type { Call, Done, Requirement } from './routes.ts';

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

  // Notes of the acting organization (the same partial sits on each server's page).
  'GET /notes': {
    auth: 'session',
    permission: 'notes_view',
    setup: async (c) => {
      const body = `matrix note ${u()}`;
      await note(c, c.org, body);
      return { body };
    },
    done: (c) => page('Notes', c.made.body!),
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
};
