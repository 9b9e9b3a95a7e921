import { z } from 'zod';
import { sql } from 'kysely';
import { inTransaction, type DbOrTx } from '../../db/index.ts';
import { ConflictError, NotFoundError, ValidationError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import { parseInput } from '../../lib/validation.ts';
import { requirePlatformAdmin } from '../access/guard.ts';
import type { Actor } from '../access/actor.ts';
import type { Deps } from '../deps.ts';

/**
 * Ticket categories as staff keep them (customers choose among the live ones: listCategories in
 * tickets.ts, the default first, then by position and name). Platform admins add, rename,
 * reorder (position, or one step up or down), archive and restore categories, and choose the
 * default (the category of a ticket opened without one). The default is never archived; a
 * category is deleted only while no ticket was ever filed in it — otherwise it is archived
 * (its tickets keep it; new tickets cannot choose it). Names are unique, whatever the case.
 */

export const MAX_CATEGORY_NAME_LENGTH = 80;
const POSITION_MAX = 1_000_000;

export interface StaffCategory {
  id: string;
  name: string;
  position: number;
  isDefault: boolean;
  archivedAt: Date | null;
  /** Tickets filed in it, whatever their status. */
  tickets: number;
}

const nameSchema = z
  .string({ error: 'Name the category.' })
  .transform((s) => s.replace(/\s+/g, ' ').trim())
  .pipe(
    z
      .string()
      .min(1, 'Name the category.')
      .max(MAX_CATEGORY_NAME_LENGTH, `Keep the name to ${MAX_CATEGORY_NAME_LENGTH} characters.`),
  );
const positionSchema = z.preprocess(
  (v) => (typeof v === 'string' && /^\s*-?\d+\s*$/.test(v) ? Number(v) : v),
  z
    .number({ error: 'Give the position as a whole number.' })
    .int('Give the position as a whole number.')
    .min(0, 'Give a position of 0 or more.')
    .max(POSITION_MAX, `Give a position up to ${POSITION_MAX.toLocaleString('en')}.`),
);
const createInput = z.object({
  name: nameSchema,
  position: z.preprocess((v) => (v === '' || v == null ? undefined : v), positionSchema.optional()),
});
const updateInput = createInput.partial();

function selectCategories(db: DbOrTx) {
  return db.selectFrom('ticket_categories as k').select([
    'k.id',
    'k.name',
    'k.position',
    'k.is_default as isDefault',
    'k.archived_at as archivedAt',
    (eb) =>
      eb
        .selectFrom('tickets as t')
        .select(sql<string>`count(*)`.as('n'))
        .whereRef('t.category_id', '=', 'k.id')
        .as('tickets'),
  ]);
}

const present = (r: { tickets: string | null } & Omit<StaffCategory, 'tickets'>): StaffCategory => ({
  ...r,
  tickets: Number(r.tickets ?? 0),
});

/** Every category: the live ones as customers see them (the default first), then the archived. */
export async function listAllCategories(deps: Pick<Deps, 'db'>, actor: Actor): Promise<StaffCategory[]> {
  requirePlatformAdmin(actor);
  const rows = await selectCategories(deps.db)
    .orderBy(sql`k.archived_at is not null`)
    .orderBy('k.is_default', 'desc')
    .orderBy('k.position')
    .orderBy(({ fn }) => fn('lower', ['k.name']))
    .execute();
  return rows.map(present);
}

export async function getCategory(deps: Pick<Deps, 'db'>, actor: Actor, id: string): Promise<StaffCategory> {
  requirePlatformAdmin(actor);
  const row = isUuid(id) ? await selectCategories(deps.db).where('k.id', '=', id).executeTakeFirst() : undefined;
  if (!row) throw new NotFoundError('No such category.');
  return present(row);
}

async function refuseTakenName(db: DbOrTx, name: string, except: string | null) {
  let q = db
    .selectFrom('ticket_categories')
    .select(['id', 'archived_at'])
    .where(({ fn, eb }) => eb(fn('lower', ['name']), '=', name.toLowerCase()));
  if (except) q = q.where('id', '<>', except);
  const other = await q.executeTakeFirst();
  if (other)
    throw new ValidationError({
      name: other.archived_at
        ? 'An archived category has this name: restore it instead.'
        : 'Another category has this name.',
    });
}

const uniqueViolation = (err: unknown): never => {
  if ((err as { code?: string } | null)?.code === '23505')
    throw new ValidationError({ name: 'Another category has this name.' });
  throw err;
};

/** Adds a category (by default after the others). */
export async function createCategory(
  deps: Pick<Deps, 'db'>,
  actor: Actor,
  raw: { name?: unknown; position?: unknown },
): Promise<StaffCategory> {
  requirePlatformAdmin(actor);
  const input = parseInput(createInput, { name: raw.name, position: raw.position });
  await refuseTakenName(deps.db, input.name, null);
  const last = await deps.db
    .selectFrom('ticket_categories')
    .select(sql<number | null>`max(position)`.as('p'))
    .executeTakeFirst();
  const row = await deps.db
    .insertInto('ticket_categories')
    .values({ name: input.name, position: input.position ?? Math.min(POSITION_MAX, Number(last?.p ?? 0) + 10) })
    .returning('id')
    .executeTakeFirstOrThrow()
    .catch(uniqueViolation);
  return getCategory(deps, actor, row.id);
}

/** Renames a category or changes its position (either may be left out). */
export async function updateCategory(
  deps: Pick<Deps, 'db'>,
  actor: Actor,
  id: string,
  raw: { name?: unknown; position?: unknown },
): Promise<StaffCategory> {
  const current = await getCategory(deps, actor, id);
  const input = parseInput(updateInput, {
    name: raw.name === undefined ? undefined : raw.name,
    position: raw.position === '' ? undefined : raw.position,
  });
  if (input.name !== undefined) await refuseTakenName(deps.db, input.name, current.id);
  const set: { name?: string; position?: number } = {};
  if (input.name !== undefined) set.name = input.name;
  if (input.position !== undefined) set.position = input.position;
  if (Object.keys(set).length)
    await deps.db
      .updateTable('ticket_categories')
      .set(set)
      .where('id', '=', current.id)
      .execute()
      .catch(uniqueViolation);
  return getCategory(deps, actor, current.id);
}

/**
 * Moves a live category one place up or down among the live ones other than the default
 * (which customers always see first), renumbering them 10, 20, 30… in their new order.
 */
export async function moveCategory(
  deps: Pick<Deps, 'db'>,
  actor: Actor,
  id: string,
  direction: 'up' | 'down',
): Promise<void> {
  const current = await getCategory(deps, actor, id);
  if (current.archivedAt) throw new ConflictError('Restore the category before moving it.');
  if (current.isDefault) throw new ConflictError('The default category is always listed first.');
  await inTransaction(deps.db, async (trx) => {
    const rows = await trx
      .selectFrom('ticket_categories')
      .select(['id', 'position'])
      .where('archived_at', 'is', null)
      .where('is_default', '=', false)
      .orderBy('position')
      .orderBy(({ fn }) => fn('lower', ['name']))
      .forUpdate()
      .execute();
    const i = rows.findIndex((r) => r.id === current.id);
    const j = direction === 'up' ? i - 1 : i + 1;
    if (i < 0 || j < 0 || j >= rows.length) return;
    [rows[i], rows[j]] = [rows[j]!, rows[i]!];
    for (const [n, r] of rows.entries()) {
      const position = (n + 1) * 10;
      if (r.position !== position)
        await trx.updateTable('ticket_categories').set({ position }).where('id', '=', r.id).execute();
    }
  });
}

/** Archives a category: its tickets keep it, new tickets cannot choose it. Never the default. */
export async function archiveCategory(deps: Pick<Deps, 'db' | 'clock'>, actor: Actor, id: string): Promise<void> {
  const current = await getCategory(deps, actor, id);
  if (current.isDefault)
    throw new ConflictError('The default category cannot be archived: choose another default first.');
  if (current.archivedAt) return;
  // The default may have moved here meanwhile: the condition keeps it live.
  await deps.db
    .updateTable('ticket_categories')
    .set({ archived_at: deps.clock.now() })
    .where('id', '=', current.id)
    .where('is_default', '=', false)
    .execute();
}

/** Makes an archived category choosable again. */
export async function restoreCategory(deps: Pick<Deps, 'db'>, actor: Actor, id: string): Promise<void> {
  const current = await getCategory(deps, actor, id);
  await deps.db.updateTable('ticket_categories').set({ archived_at: null }).where('id', '=', current.id).execute();
}

/** Makes a live category the default (the one before it stops being it). */
export async function setDefaultCategory(deps: Pick<Deps, 'db'>, actor: Actor, id: string): Promise<void> {
  const current = await getCategory(deps, actor, id);
  if (current.isDefault) return;
  await inTransaction(deps.db, async (trx) => {
    const row = await trx
      .selectFrom('ticket_categories')
      .select(['id', 'archived_at'])
      .where('id', '=', current.id)
      .forUpdate()
      .executeTakeFirstOrThrow();
    if (row.archived_at) throw new ConflictError('Restore the category before making it the default.');
    await trx.updateTable('ticket_categories').set({ is_default: false }).where('is_default', '=', true).execute();
    await trx.updateTable('ticket_categories').set({ is_default: true }).where('id', '=', current.id).execute();
  });
}

/** Deletes a category no ticket was ever filed in (otherwise 409: archive it); never the default. */
export async function deleteCategory(deps: Pick<Deps, 'db'>, actor: Actor, id: string): Promise<void> {
  const current = await getCategory(deps, actor, id);
  if (current.isDefault) throw new ConflictError('The default category cannot be deleted.');
  await inTransaction(deps.db, async (trx) => {
    await trx.selectFrom('ticket_categories').select('id').where('id', '=', current.id).forUpdate().execute();
    const used = await trx.selectFrom('tickets').select('id').where('category_id', '=', current.id).executeTakeFirst();
    if (used) throw new ConflictError('This category has tickets: archive it instead.');
    await trx.deleteFrom('ticket_categories').where('id', '=', current.id).where('is_default', '=', false).execute();
  });
}
