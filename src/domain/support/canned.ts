import { z } from 'zod';
import type { DbOrTx } from '../../db/index.ts';
import { NotFoundError, ValidationError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import { parseInput } from '../../lib/validation.ts';
import { requirePlatformAdmin } from '../access/guard.ts';
import type { Actor } from '../access/actor.ts';
import type { Deps } from '../deps.ts';
import { MAX_MESSAGE_LENGTH } from './tickets.ts';

/**
 * Canned replies: answers the support staff keep for questions asked again and again, each a
 * title (to find it by; unique, whatever the case) and a body that the staff reply form's picker
 * puts into the reply. Any platform admin reads and manages them; customers never see them.
 *
 * A body may name the ticket it is used on: {{customer}} (the first name of the person who
 * opened the ticket, or "there"), {{ticket}} (its number, as #1234), {{subject}}, and
 * {{agent}} (the first name of the staff member replying). `cannedRepliesFor` fills them in;
 * anything else between braces is left as written.
 */

export const MAX_CANNED_TITLE_LENGTH = 120;
export const CANNED_PLACEHOLDERS = ['customer', 'ticket', 'subject', 'agent'] as const;

export interface CannedReply {
  id: string;
  title: string;
  body: string;
  createdBy: string | null;
  updatedBy: string | null;
  createdAt: Date;
  updatedAt: Date;
}

const cannedInput = z.object({
  title: z
    .string({ error: 'Give it a title.' })
    .transform((s) => s.replace(/\s+/g, ' ').trim())
    .pipe(
      z
        .string()
        .min(1, 'Give it a title.')
        .max(MAX_CANNED_TITLE_LENGTH, `Keep the title to ${MAX_CANNED_TITLE_LENGTH} characters.`),
    ),
  body: z
    .string({ error: 'Write the reply.' })
    .max(MAX_MESSAGE_LENGTH * 2, `Keep a reply to ${MAX_MESSAGE_LENGTH.toLocaleString('en')} characters.`)
    .transform((s) => s.replace(/\r\n?/g, '\n').replace(/^\s*\n|\s+$/g, ''))
    .pipe(
      z
        .string()
        .min(1, 'Write the reply.')
        .max(MAX_MESSAGE_LENGTH, `Keep a reply to ${MAX_MESSAGE_LENGTH.toLocaleString('en')} characters.`),
    ),
});

function selectCanned(db: DbOrTx) {
  return db
    .selectFrom('canned_replies as r')
    .leftJoin('users as c', 'c.id', 'r.created_by')
    .leftJoin('users as u', 'u.id', 'r.updated_by')
    .select([
      'r.id',
      'r.title',
      'r.body',
      'c.name as createdBy',
      'u.name as updatedBy',
      'r.created_at as createdAt',
      'r.updated_at as updatedAt',
    ]);
}

/** Every canned reply, by title; with `q`, those whose title or body contains it. */
export async function listCannedReplies(
  deps: Pick<Deps, 'db'>,
  actor: Actor,
  filter: { q?: string | null } = {},
): Promise<CannedReply[]> {
  requirePlatformAdmin(actor);
  let q = selectCanned(deps.db);
  const search = filter.q?.trim().slice(0, 200);
  if (search) {
    const like = `%${search.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
    q = q.where((eb) => eb.or([eb('r.title', 'ilike', like), eb('r.body', 'ilike', like)]));
  }
  return q.orderBy(({ fn }) => fn('lower', ['r.title'])).execute();
}

export async function getCannedReply(deps: Pick<Deps, 'db'>, actor: Actor, id: string): Promise<CannedReply> {
  requirePlatformAdmin(actor);
  const row = isUuid(id) ? await selectCanned(deps.db).where('r.id', '=', id).executeTakeFirst() : undefined;
  if (!row) throw new NotFoundError('No such canned reply.');
  return row;
}

const TAKEN = 'Another canned reply has this title.';

async function titleTaken(db: DbOrTx, title: string, except: string | null): Promise<boolean> {
  let q = db
    .selectFrom('canned_replies')
    .select('id')
    .where(({ fn, eb }) => eb(fn('lower', ['title']), '=', title.toLowerCase()));
  if (except) q = q.where('id', '<>', except);
  return (await q.executeTakeFirst()) !== undefined;
}

/** Whether `err` is PostgreSQL's unique violation (two staff saving the same title at once). */
const isUniqueViolation = (err: unknown) => (err as { code?: string } | null)?.code === '23505';

/** Adds a canned reply (422 naming `title` or `body`; a title already used is refused). */
export async function createCannedReply(
  deps: Pick<Deps, 'db' | 'clock'>,
  actor: Actor,
  raw: { title?: unknown; body?: unknown },
): Promise<CannedReply> {
  requirePlatformAdmin(actor);
  const input = parseInput(cannedInput, { title: raw.title, body: raw.body });
  if (await titleTaken(deps.db, input.title, null)) throw new ValidationError({ title: TAKEN });
  const now = deps.clock.now();
  const row = await deps.db
    .insertInto('canned_replies')
    .values({
      title: input.title,
      body: input.body,
      created_by: actor.userId,
      updated_by: actor.userId,
      created_at: now,
      updated_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow()
    .catch((err: unknown) => {
      if (isUniqueViolation(err)) throw new ValidationError({ title: TAKEN });
      throw err;
    });
  return getCannedReply(deps, actor, row.id);
}

/** Changes a canned reply's title and body (both given; 404 for an unknown id). */
export async function updateCannedReply(
  deps: Pick<Deps, 'db' | 'clock'>,
  actor: Actor,
  id: string,
  raw: { title?: unknown; body?: unknown },
): Promise<CannedReply> {
  const current = await getCannedReply(deps, actor, id);
  const input = parseInput(cannedInput, { title: raw.title ?? current.title, body: raw.body ?? current.body });
  if (await titleTaken(deps.db, input.title, current.id)) throw new ValidationError({ title: TAKEN });
  await deps.db
    .updateTable('canned_replies')
    .set({ title: input.title, body: input.body, updated_by: actor.userId, updated_at: deps.clock.now() })
    .where('id', '=', current.id)
    .execute()
    .catch((err: unknown) => {
      if (isUniqueViolation(err)) throw new ValidationError({ title: TAKEN });
      throw err;
    });
  return getCannedReply(deps, actor, current.id);
}

/** Deletes a canned reply (nothing refers to one: replies made with it keep their text). */
export async function deleteCannedReply(deps: Pick<Deps, 'db'>, actor: Actor, id: string): Promise<void> {
  requirePlatformAdmin(actor);
  const gone = isUuid(id)
    ? await deps.db.deleteFrom('canned_replies').where('id', '=', id).returning('id').executeTakeFirst()
    : undefined;
  if (!gone) throw new NotFoundError('No such canned reply.');
}

const firstName = (name: string | null | undefined) => name?.trim().split(/\s+/)[0] || null;

/** A canned reply's body with the ticket's placeholders filled in. */
export function fillPlaceholders(
  body: string,
  values: { customer: string | null; ticket: string; subject: string; agent: string | null },
): string {
  return body.replace(
    /\{\{\s*(customer|ticket|subject|agent)\s*\}\}/g,
    (_, name: (typeof CANNED_PLACEHOLDERS)[number]) => {
      if (name === 'customer') return firstName(values.customer) ?? 'there';
      if (name === 'agent') return firstName(values.agent) ?? '';
      if (name === 'ticket') return `#${values.ticket}`;
      return values.subject;
    },
  );
}

/**
 * The canned replies offered in one ticket's staff reply form (the picker,
 * views/admin/support/_canned-picker.eta), by title, each body filled in for that ticket.
 */
export async function cannedRepliesFor(
  deps: Pick<Deps, 'db'>,
  actor: Actor,
  ticket: { number: string | number; subject: string; openedBy: string | null },
): Promise<{ id: string; title: string; body: string }[]> {
  const [replies, me] = await Promise.all([
    listCannedReplies(deps, actor),
    deps.db.selectFrom('users').select('name').where('id', '=', actor.userId).executeTakeFirst(),
  ]);
  const values = {
    customer: ticket.openedBy,
    ticket: String(ticket.number),
    subject: ticket.subject,
    agent: me?.name ?? null,
  };
  return replies.map((r) => ({ id: r.id, title: r.title, body: fillPlaceholders(r.body, values) }));
}
