import type { DbOrTx } from '../../db/index.ts';
import { ValidationError } from '../../lib/errors.ts';
import type { Actor } from '../access/actor.ts';
import type { Deps } from '../deps.ts';
import { isUniqueViolation, recordContent, slugify } from './pages-fields.ts';

/**
 * Row work shared by the site-content kinds (FAQ, docs, pages: src/domain/content): URL names
 * (derived, checked free, a race turned into the form's message), publishing or withdrawing,
 * and deleting with the activity log entry.
 */

type Details = Record<string, string | number | boolean | null>;
/** The tables whose rows are published or drafts. */
type PublishedTable = 'faq_items' | 'docs_articles' | 'site_pages';

/** The URL name typed, or one made from the title; refused (422 on `slug`) when neither gives one. */
export function slugOrTitle(typed: string, title: string, example: string): string {
  const slug = typed || slugify(title);
  if (!slug) throw new ValidationError({ slug: `Give it a URL name (letters or digits, e.g. ${example}).` });
  return slug;
}

/** Whether another row (not `exceptId`) of `table` uses `slug`; docs articles within `categoryId`. */
export async function slugInUse(
  db: DbOrTx,
  table: 'docs_categories' | 'docs_articles' | 'site_pages',
  slug: string,
  exceptId: string | null,
  categoryId?: string,
): Promise<boolean> {
  const row = await db
    .selectFrom(table as 'docs_articles')
    .select('id')
    .$if(categoryId !== undefined, (q) => q.where('category_id', '=', categoryId!))
    .where('slug', '=', slug)
    .$if(exceptId !== null, (q) => q.where('id', '!=', exceptId!))
    .executeTakeFirst();
  return row !== undefined;
}

/** For a write's `.catch`: a unique violation (two writers racing for one slug) is `message` on `slug`. */
export const slugTaken =
  (message: string) =>
  (err: unknown): never => {
    if (isUniqueViolation(err)) throw new ValidationError({ slug: message });
    throw err;
  };

/**
 * Runs `write` (an insert or update, given the time) in a transaction and records the row it
 * names (its id, or a row with one) as saved (`admin.content_saved`, `log`); `fail` (e.g.
 * `slugTaken`) answers an error of the write.
 */
export async function saveContent<R extends string | { id: string }>(
  deps: Pick<Deps, 'db' | 'clock'>,
  actor: Actor,
  log: { type: string; details: Details },
  write: (trx: DbOrTx, now: Date) => Promise<R>,
  fail?: (err: unknown) => never,
): Promise<R> {
  const now = deps.clock.now();
  const saved = deps.db.transaction().execute(async (trx) => {
    const row = await write(trx, now);
    const id = typeof row === 'string' ? row : row.id;
    await recordContent(trx, actor, { type: log.type, id, occurredAt: now, details: log.details });
    return row;
  });
  return fail ? saved.catch(fail) : saved;
}

/** Publishes or withdraws `current` (a row of `table`), in the activity log as `type` with `details`. */
export async function setPublished<T extends { id: string; published: boolean; updatedAt: Date }>(
  deps: Pick<Deps, 'db' | 'clock'>,
  actor: Actor,
  table: PublishedTable,
  current: T,
  published: boolean,
  log: { type: string; details: Details },
): Promise<T> {
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    await trx
      .updateTable(table as 'site_pages')
      .set({ published, updated_by: actor.userId, updated_at: now })
      .where('id', '=', current.id)
      .execute();
    await recordContent(trx, actor, { type: log.type, id: current.id, occurredAt: now, details: log.details });
  });
  return { ...current, published, updatedAt: now };
}

/**
 * Deletes row `id` of `table` and records it (`admin.content_deleted`), in one transaction;
 * `before` runs first in it (a refusal, files to remove) and may give the log's details.
 */
export async function deleteContent(
  deps: Pick<Deps, 'db' | 'clock'>,
  actor: Actor,
  table: PublishedTable | 'faq_categories' | 'docs_categories',
  what: { type: string; id: string; details?: Details },
  before?: (trx: DbOrTx) => Promise<Details | void>,
): Promise<void> {
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    const details = (await before?.(trx)) ?? what.details ?? {};
    await trx
      .deleteFrom(table as 'site_pages')
      .where('id', '=', what.id)
      .execute();
    await recordContent(trx, actor, { deleted: true, type: what.type, id: what.id, occurredAt: now, details });
  });
}

/** Deletes a category (a row of `table`) and records it; refused (422, `message`) while `items` has rows in it. */
export async function deleteCategory(
  deps: Pick<Deps, 'db' | 'clock'>,
  actor: Actor,
  table: 'faq_categories' | 'docs_categories',
  items: 'faq_items' | 'docs_articles',
  what: { type: string; id: string; details: Details; message: string },
): Promise<void> {
  await deleteContent(deps, actor, table, what, async (trx) => {
    const used = await trx
      .selectFrom(items as 'docs_articles')
      .select('id')
      .where('category_id', '=', what.id)
      .limit(1)
      .executeTakeFirst();
    if (used) throw new ValidationError({}, what.message);
  });
}
