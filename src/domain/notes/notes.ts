import { sql } from 'kysely';
import { z } from 'zod';
import { inTransaction, type DbOrTx } from '../../db/index.ts';
import { fetchSize, uuidCursor, type PageRequest } from '../../db/paging.ts';
import { NotFoundError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import { renderMarkdown } from '../../lib/markdown.ts';
import { parseInput } from '../../lib/validation.ts';
import { can, type Actor } from '../access/actor.ts';
import { authorize, orgOf, refuseApiKey } from '../access/organization.ts';
import { activityBy, recordActivity } from '../activity/record.ts';
import type { Deps } from '../deps.ts';

/**
 * Notes: the organization's (general ones, and ones about one of its servers) and each member's
 * personal ones.
 *
 * - Organization notes: everyone with `notes_view` reads them, `notes_manage` adds, edits,
 *   pins and deletes any of them (they are shared).
 * - Personal notes (`personal_owner_id`): only their author reads or changes them, whatever the
 *   role (no permission needed beyond membership); never about a server; to anyone else they
 *   do not exist (404). They are left out of the activity log (they are private).
 *
 * A note has a title (0–200 characters), a body of 1–10,000 characters in a Markdown subset
 * (src/lib/markdown.ts: rendered to sanitised HTML on the server, never raw HTML) and a pin;
 * pinned notes come first. A note's scope (organization, owner, server) is set when it is added,
 * always within the actor's own organization and as the actor, and never changes: edits touch
 * title, body and pin only. Another organization's note or server is not found. The activity
 * log says that a note changed, never what it says.
 */

export type NoteScope = 'organization' | 'personal';

export interface Note {
  id: string;
  serverId: string | null;
  /** The server's label when the note is about a server. */
  serverLabel: string | null;
  title: string;
  body: string;
  /** The body rendered (safe HTML). */
  html: string;
  pinned: boolean;
  scope: NoteScope;
  createdAt: Date;
  updatedAt: Date;
  createdBy: string | null;
  updatedBy: string | null;
}

export const MAX_NOTE_LENGTH = 10_000;
export const MAX_TITLE_LENGTH = 200;

const body = z
  .string({ error: 'Write the note.' })
  .max(MAX_NOTE_LENGTH * 2, `Keep a note to ${MAX_NOTE_LENGTH.toLocaleString('en')} characters.`)
  .transform((s) => s.replace(/\r\n?/g, '\n').replace(/^\s*\n|\s+$/g, ''))
  .pipe(
    z
      .string()
      .min(1, 'Write the note.')
      .max(MAX_NOTE_LENGTH, `Keep a note to ${MAX_NOTE_LENGTH.toLocaleString('en')} characters.`),
  );
const title = z
  .string()
  .transform((s) => s.replace(/\s+/g, ' ').trim())
  .pipe(z.string().max(MAX_TITLE_LENGTH, `Keep a title to ${MAX_TITLE_LENGTH} characters.`));
const addInput = z.object({
  body,
  title: title.nullish(),
  pinned: z.boolean().nullish(),
  scope: z.enum(['organization', 'personal'], { error: 'Choose who the note is for.' }).nullish(),
  serverId: z.string().max(64).nullish(),
});
const editInput = z.object({
  noteId: z.string().max(64),
  body: body.optional(),
  title: title.optional(),
  pinned: z.boolean().optional(),
});

const NO_NOTE = 'No such note.';
const NO_SERVER = 'No such server.';
/** A uuid no user has (an API key's "own" personal notes: none). */
const NO_ONE = '00000000-0000-0000-0000-000000000000';

type NoteRow = Omit<Note, 'html' | 'scope'> & { personalOwnerId: string | null };
const present = (r: NoteRow): Note => {
  const { personalOwnerId, ...rest } = r;
  return { ...rest, scope: personalOwnerId ? 'personal' : 'organization', html: renderMarkdown(r.body) };
};

/** Personal notes belong to a person: an API key (an organization's credential) neither reads nor writes any. */
const personalOf = (actor: Actor) => (actor.apiKeyId ? null : actor.userId);

/** The notes of `orgId` that `actor` may read: their own personal ones, and the organization's with notes_view. */
function selectNotes(db: DbOrTx, orgId: string, actor: Actor, opts: { justWritten?: boolean } = {}) {
  // The note the actor just added or changed is theirs to see (notes_manage without notes_view).
  const seesOrg = opts.justWritten || can(actor, 'notes_view');
  const me = personalOf(actor);
  return db
    .selectFrom('notes as n')
    .leftJoin('users as c', 'c.id', 'n.created_by')
    .leftJoin('users as e', 'e.id', 'n.updated_by')
    .leftJoin('servers as s', 's.id', 'n.server_id')
    .select([
      'n.id',
      'n.server_id as serverId',
      's.label as serverLabel',
      'n.title',
      'n.body',
      'n.pinned',
      'n.personal_owner_id as personalOwnerId',
      'n.created_at as createdAt',
      'n.updated_at as updatedAt',
      'c.name as createdBy',
      'e.name as updatedBy',
    ])
    .where('n.organization_id', '=', orgId)
    .where((w) =>
      me === null
        ? seesOrg
          ? w('n.personal_owner_id', 'is', null)
          : sql<boolean>`false`
        : seesOrg
          ? w.or([w('n.personal_owner_id', 'is', null), w('n.personal_owner_id', '=', me)])
          : w('n.personal_owner_id', '=', me),
    );
}
const ordered = <Q extends ReturnType<typeof selectNotes>>(q: Q) =>
  q.orderBy('n.pinned', 'desc').orderBy('n.created_at', 'desc').orderBy('n.id', 'desc');

/** The organization's server `serverId` (deleted ones only when `includeDeleted`), or NotFound. */
async function ownServer(db: DbOrTx, orgId: string, serverId: string, includeDeleted: boolean): Promise<string> {
  const row = isUuid(serverId)
    ? await db
        .selectFrom('servers')
        .select(['id', 'deleted_at'])
        .where('id', '=', serverId)
        .where('organization_id', '=', orgId)
        .executeTakeFirst()
    : undefined;
  if (!row || (row.deleted_at && !includeDeleted)) throw new NotFoundError(NO_SERVER);
  return row.id;
}

export interface NoteFilter {
  /** One server's notes (the organization's; deleted servers included). */
  serverId?: string | null;
  /** 'organization': the organization's (general and servers'); 'personal': the actor's own; 'server': about a server; 'general': the organization's about no server. */
  scope?: 'all' | 'organization' | 'personal' | 'server' | 'general';
  /** Words searched in title and body (case-insensitive substring). */
  q?: string | null;
}

const likePattern = (q: string) => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * The notes the actor may read, pinned first then newest: with `serverId`, that server's (needs
 * `notes_view`); otherwise their personal notes and, with `notes_view`, the organization's
 * (servers' included), narrowed by `scope` and `q`. With `page`, up to `page.limit + 1` rows
 * after the cursor.
 */
export async function listNotes(db: DbOrTx, actor: Actor, opts: NoteFilter = {}, page?: PageRequest): Promise<Note[]> {
  // An API key reads only the organization's notes: it needs notes_view for any list.
  const orgId = opts.serverId || actor.apiKeyId ? authorize(actor, 'notes_view') : orgOf(actor);
  const scope = opts.scope ?? 'all';
  if ((scope === 'organization' || scope === 'server' || scope === 'general') && !can(actor, 'notes_view'))
    authorize(actor, 'notes_view');
  let q = selectNotes(db, orgId, actor);
  if (opts.serverId) q = q.where('n.server_id', '=', await ownServer(db, orgId, opts.serverId, true));
  if (scope === 'personal') q = q.where('n.personal_owner_id', '=', actor.userId);
  if (scope === 'organization') q = q.where('n.personal_owner_id', 'is', null);
  if (scope === 'server') q = q.where('n.server_id', 'is not', null);
  if (scope === 'general') q = q.where('n.server_id', 'is', null).where('n.personal_owner_id', 'is', null);
  const words = opts.q?.trim().slice(0, 200);
  if (words) {
    const like = likePattern(words);
    q = q.where((w) => w.or([w('n.title', 'ilike', like), w('n.body', 'ilike', like)]));
  }
  const cursor = uuidCursor(page);
  if (cursor)
    q = q.where(
      sql<boolean>`(n.pinned, n.created_at, n.id) < (select pinned, created_at, id from notes where organization_id = ${orgId} and id = ${cursor})`,
    );
  const limit = fetchSize(page);
  const rows = await ordered(q)
    .$if(limit !== null, (b) => b.limit(limit!))
    .execute();
  return rows.map(present);
}

/**
 * The notes of organization `orgId` about server `serverId`, pinned first then newest, without
 * looking the server up (the caller finds it through the same organization, possibly at the
 * same time: no note of this organization is about another organization's server). The server
 * page's read; the caller has checked `notes_view` (server notes are never personal).
 */
export async function notesAbout(db: DbOrTx, orgId: string, serverId: string): Promise<Note[]> {
  if (!isUuid(serverId)) return [];
  const rows = await db
    .selectFrom('notes as n')
    .leftJoin('users as c', 'c.id', 'n.created_by')
    .leftJoin('users as e', 'e.id', 'n.updated_by')
    .select([
      'n.id',
      'n.server_id as serverId',
      sql<string | null>`null`.as('serverLabel'),
      'n.title',
      'n.body',
      'n.pinned',
      'n.personal_owner_id as personalOwnerId',
      'n.created_at as createdAt',
      'n.updated_at as updatedAt',
      'c.name as createdBy',
      'e.name as updatedBy',
    ])
    .where('n.organization_id', '=', orgId)
    .where('n.server_id', '=', serverId)
    .where('n.personal_owner_id', 'is', null)
    .orderBy('n.pinned', 'desc')
    .orderBy('n.created_at', 'desc')
    .orderBy('n.id', 'desc')
    .execute();
  return rows.map(present);
}

/** One note the actor may read (their personal one, or the organization's with `notes_view`). */
export async function getNote(db: DbOrTx, actor: Actor, id: string): Promise<Note> {
  const orgId = orgOf(actor);
  const note = isUuid(id) ? await selectNotes(db, orgId, actor).where('n.id', '=', id).executeTakeFirst() : undefined;
  if (!note) {
    // Not theirs and not readable: without notes_view the organization's notes are refused as before.
    authorize(actor, 'notes_view');
    throw new NotFoundError(NO_NOTE);
  }
  return present(note);
}

async function reread(db: DbOrTx, orgId: string, actor: Actor, id: string): Promise<Note> {
  return present(
    await selectNotes(db, orgId, actor, { justWritten: true }).where('n.id', '=', id).executeTakeFirstOrThrow(),
  );
}

/**
 * Adds a note in the actor's organization, as the actor: personal (`scope: 'personal'`, any
 * member), or the organization's (needs `notes_manage`), about one of its live servers when
 * `serverId` is given (a server note is always the organization's).
 */
export async function addNote(
  deps: Pick<Deps, 'db' | 'clock'>,
  actor: Actor,
  raw: {
    body?: string;
    title?: string | null;
    pinned?: boolean | null;
    scope?: string | null;
    serverId?: string | null;
  },
): Promise<Note> {
  const personal = raw.scope === 'personal' && !raw.serverId;
  if (personal) refuseApiKey(actor);
  const orgId = personal ? orgOf(actor) : authorize(actor, 'notes_manage');
  const input = parseInput(addInput, raw);
  const now = deps.clock.now();
  return inTransaction(deps.db, async (trx) => {
    const serverId = input.serverId ? await ownServer(trx, orgId, input.serverId, false) : null;
    const row = await trx
      .insertInto('notes')
      .values({
        organization_id: orgId,
        server_id: serverId,
        personal_owner_id: personal ? actor.userId : null,
        title: input.title ?? '',
        body: input.body,
        pinned: input.pinned ?? false,
        created_by: actor.userId,
        updated_by: actor.userId,
        created_at: now,
        updated_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    if (!personal)
      await recordActivity(
        trx,
        activityBy(actor, 'note.added', {
          target: { type: 'note', id: row.id },
          details: { server_id: serverId, characters: input.body.length },
          occurredAt: now,
        }),
      );
    return reread(trx, orgId, actor, row.id);
  });
}

/**
 * The note `id` the actor may change: their own personal note, or (with `notes_manage`, else
 * 403) one of the organization's. Anything else: 404.
 */
async function writable(db: DbOrTx, actor: Actor, id: string) {
  const orgId = orgOf(actor);
  const row = isUuid(id)
    ? await db
        .selectFrom('notes')
        .select(['id', 'server_id', 'personal_owner_id'])
        .where('id', '=', id)
        .where('organization_id', '=', orgId)
        .where((w) =>
          w.or([w('personal_owner_id', 'is', null), w('personal_owner_id', '=', personalOf(actor) ?? NO_ONE)]),
        )
        .forUpdate()
        .executeTakeFirst()
    : undefined;
  if (row?.personal_owner_id && row.personal_owner_id === personalOf(actor)) return { orgId, row, personal: true };
  authorize(actor, 'notes_manage');
  if (!row) throw new NotFoundError(NO_NOTE);
  return { orgId, row, personal: false };
}

/** Changes a note's title, body or pin; never its scope (see `writable` for who may). */
export async function editNote(
  deps: Pick<Deps, 'db' | 'clock'>,
  actor: Actor,
  raw: { noteId: string; body?: string; title?: string; pinned?: boolean },
): Promise<Note> {
  orgOf(actor);
  if (!isUuid(raw.noteId)) {
    await writable(deps.db, actor, raw.noteId);
    throw new NotFoundError(NO_NOTE);
  }
  return inTransaction(deps.db, async (trx) => {
    const { orgId, row, personal } = await writable(trx, actor, raw.noteId);
    const input = parseInput(editInput, raw);
    const now = deps.clock.now();
    await trx
      .updateTable('notes')
      .set({
        ...(input.body !== undefined ? { body: input.body } : {}),
        ...(input.title !== undefined ? { title: input.title } : {}),
        ...(input.pinned !== undefined ? { pinned: input.pinned } : {}),
        updated_by: actor.userId,
        updated_at: now,
      })
      .where('id', '=', row.id)
      .where('organization_id', '=', orgId)
      .execute();
    if (!personal)
      await recordActivity(
        trx,
        activityBy(actor, 'note.edited', {
          target: { type: 'note', id: row.id },
          details: {
            server_id: row.server_id,
            ...(input.body !== undefined ? { characters: input.body.length } : {}),
            ...(input.pinned !== undefined ? { pinned: input.pinned } : {}),
          },
          occurredAt: now,
        }),
      );
    return reread(trx, orgId, actor, row.id);
  });
}

/** Deletes a note (see `writable` for who may); returns the server it was about, if any. */
export async function deleteNote(
  deps: Pick<Deps, 'db' | 'clock'>,
  actor: Actor,
  id: string,
): Promise<{ serverId: string | null }> {
  const now = deps.clock.now();
  return inTransaction(deps.db, async (trx) => {
    const { orgId, row, personal } = await writable(trx, actor, id);
    await trx.deleteFrom('notes').where('id', '=', row.id).where('organization_id', '=', orgId).execute();
    if (!personal)
      await recordActivity(
        trx,
        activityBy(actor, 'note.deleted', {
          target: { type: 'note', id: row.id },
          details: { server_id: row.server_id },
          occurredAt: now,
        }),
      );
    return { serverId: row.server_id };
  });
}
