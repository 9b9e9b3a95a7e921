import { z } from 'zod';
import { inTransaction, type DbOrTx } from '../../db/index.ts';
import { NotFoundError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/organization.ts';
import { activityBy, recordActivity } from '../activity/record.ts';
import type { Deps } from '../deps.ts';

/**
 * Notes an organization keeps for itself: general ones, and ones about one of its servers.
 * Everyone with `notes_view` reads them, `notes_manage` adds, edits and deletes any of them
 * (they are shared, not personal). A body is plain text of 1–10,000 characters, shown escaped
 * with its line breaks; never HTML. Another organization's note or server is not found.
 * The activity log says that a note changed, never what it says.
 */

export interface Note {
  id: string;
  serverId: string | null;
  body: string;
  createdAt: Date;
  updatedAt: Date;
  createdBy: string | null;
  updatedBy: string | null;
}

export const MAX_NOTE_LENGTH = 10_000;

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
const addInput = z.object({ body, serverId: z.string().max(64).nullish() });
const editInput = z.object({ noteId: z.string().max(64), body });

const NO_NOTE = 'No such note.';
const NO_SERVER = 'No such server.';

function selectNotes(db: DbOrTx, orgId: string) {
  return db
    .selectFrom('notes as n')
    .leftJoin('users as c', 'c.id', 'n.created_by')
    .leftJoin('users as e', 'e.id', 'n.updated_by')
    .select([
      'n.id',
      'n.server_id as serverId',
      'n.body',
      'n.created_at as createdAt',
      'n.updated_at as updatedAt',
      'c.name as createdBy',
      'e.name as updatedBy',
    ])
    .where('n.organization_id', '=', orgId);
}

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

/**
 * The notes about server `serverId` (one of the organization's, deleted ones included), or with
 * no server the organization's general notes; newest first (needs `notes_view`).
 */
export async function listNotes(db: DbOrTx, actor: Actor, opts: { serverId?: string | null } = {}): Promise<Note[]> {
  const orgId = authorize(actor, 'notes_view');
  let q = selectNotes(db, orgId);
  if (opts.serverId) q = q.where('n.server_id', '=', await ownServer(db, orgId, opts.serverId, true));
  else q = q.where('n.server_id', 'is', null);
  return q.orderBy('n.created_at', 'desc').orderBy('n.id', 'desc').execute();
}

/**
 * The notes of organization `orgId` about server `serverId`, newest first, without looking the
 * server up (the caller finds it through the same organization, possibly at the same time: no
 * note of this organization is about another organization's server). The server page's read.
 */
export async function notesAbout(db: DbOrTx, orgId: string, serverId: string): Promise<Note[]> {
  if (!isUuid(serverId)) return [];
  return selectNotes(db, orgId)
    .where('n.server_id', '=', serverId)
    .orderBy('n.created_at', 'desc')
    .orderBy('n.id', 'desc')
    .execute();
}

/** One note of the organization (needs `notes_view`). */
export async function getNote(db: DbOrTx, actor: Actor, id: string): Promise<Note> {
  const orgId = authorize(actor, 'notes_view');
  const note = isUuid(id) ? await selectNotes(db, orgId).where('n.id', '=', id).executeTakeFirst() : undefined;
  if (!note) throw new NotFoundError(NO_NOTE);
  return note;
}

/** Adds a note, about one of the organization's live servers when `serverId` is given (needs `notes_manage`). */
export async function addNote(
  deps: Pick<Deps, 'db' | 'clock'>,
  actor: Actor,
  raw: { body?: string; serverId?: string | null },
): Promise<Note> {
  const orgId = authorize(actor, 'notes_manage');
  const input = parseInput(addInput, raw);
  const now = deps.clock.now();
  return inTransaction(deps.db, async (trx) => {
    const serverId = input.serverId ? await ownServer(trx, orgId, input.serverId, false) : null;
    const row = await trx
      .insertInto('notes')
      .values({
        organization_id: orgId,
        server_id: serverId,
        body: input.body,
        created_by: actor.userId,
        updated_by: actor.userId,
        created_at: now,
        updated_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await recordActivity(
      trx,
      activityBy(actor, 'note.added', {
        target: { type: 'note', id: row.id },
        details: { server_id: serverId, characters: input.body.length },
        occurredAt: now,
      }),
    );
    return (await selectNotes(trx, orgId).where('n.id', '=', row.id).executeTakeFirst())!;
  });
}

/** Replaces a note's text (needs `notes_manage`; any member's note, they are shared). */
export async function editNote(
  deps: Pick<Deps, 'db' | 'clock'>,
  actor: Actor,
  raw: { noteId: string; body?: string },
): Promise<Note> {
  const orgId = authorize(actor, 'notes_manage');
  if (!isUuid(raw.noteId)) throw new NotFoundError(NO_NOTE);
  const input = parseInput(editInput, raw);
  const now = deps.clock.now();
  return inTransaction(deps.db, async (trx) => {
    const row = await trx
      .updateTable('notes')
      .set({ body: input.body, updated_by: actor.userId, updated_at: now })
      .where('id', '=', input.noteId)
      .where('organization_id', '=', orgId)
      .returning(['id', 'server_id'])
      .executeTakeFirst();
    if (!row) throw new NotFoundError(NO_NOTE);
    await recordActivity(
      trx,
      activityBy(actor, 'note.edited', {
        target: { type: 'note', id: row.id },
        details: { server_id: row.server_id, characters: input.body.length },
        occurredAt: now,
      }),
    );
    return (await selectNotes(trx, orgId).where('n.id', '=', row.id).executeTakeFirst())!;
  });
}

/** Deletes a note (needs `notes_manage`); returns the server it was about, if any. */
export async function deleteNote(
  deps: Pick<Deps, 'db' | 'clock'>,
  actor: Actor,
  id: string,
): Promise<{ serverId: string | null }> {
  const orgId = authorize(actor, 'notes_manage');
  if (!isUuid(id)) throw new NotFoundError(NO_NOTE);
  const now = deps.clock.now();
  return inTransaction(deps.db, async (trx) => {
    const row = await trx
      .deleteFrom('notes')
      .where('id', '=', id)
      .where('organization_id', '=', orgId)
      .returning(['id', 'server_id'])
      .executeTakeFirst();
    if (!row) throw new NotFoundError(NO_NOTE);
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
