import { z } from 'zod';
import { ValidationError } from '../lib/errors.ts';
import { isUuid } from '../lib/ids.ts';

/**
 * Cutting lists into pages: the one helper every list uses. Two kinds:
 *
 * Keyset (customer lists and the JSON API): rows in a stable order, the cursor names the last
 * row of the previous page, and a list fetches `limit + 1` rows (`fetchSize`): the extra row
 * only says there is more (`keysetPage`). Compare against the cursor row's own key in SQL:
 * a JS Date would lose PostgreSQL's microseconds and repeat or skip rows at page edges.
 *
 * Numbered (staff lists with a total): `?page=N` (`pageNumber`), a fixed page size
 * (`offsetOf`), and a count of every match (`pageCount`).
 */
export interface PageRequest {
  limit: number;
  cursor?: string | null | undefined;
}

/** What a forged or stale cursor answers: 422 on `cursor`. */
export function invalidCursor(): ValidationError {
  return new ValidationError({ cursor: 'This cursor is not valid. Start again from the first page.' });
}

/** A cursor that is a row id (a UUID), checked; null on the first page. */
export function uuidCursor(page: PageRequest | undefined): string | null {
  if (!page?.cursor) return null;
  if (!isUuid(page.cursor)) throw invalidCursor();
  return page.cursor;
}

/** Rows to fetch for `page`: one more than asked, so the caller can tell there is more; null: all. */
export function fetchSize(page: PageRequest | undefined): number | null {
  return page ? page.limit + 1 : null;
}

/** The rows of a page fetched with `fetchSize`, and the cursor of the next page (null on the last). */
export function keysetPage<R>(
  rows: readonly R[],
  limit: number,
  cursorOf: (row: R) => string,
): { rows: R[]; nextCursor: string | null } {
  const kept = rows.slice(0, limit);
  return { rows: kept, nextCursor: rows.length > limit && kept.length ? cursorOf(kept[kept.length - 1]!) : null };
}

/** A `?page=` number from a query string: anything else is page 1 (it is a GET, not a form). */
export const pageNumber = z.coerce.number().int().min(1).max(100_000).catch(1);

/** LIMIT and OFFSET of numbered page `page`. */
export function offsetOf(page: number, perPage: number): { limit: number; offset: number } {
  return { limit: perPage, offset: (page - 1) * perPage };
}

/** How many numbered pages `total` rows make (at least one, so an empty list has a page 1). */
export function pageCount(total: number | bigint | string, perPage: number): number {
  return Math.max(1, Math.ceil(Number(total) / perPage));
}
