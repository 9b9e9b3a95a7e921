import { ValidationError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';

/**
 * A page of a list in (created_at, id) order. `cursor` is the id of the last row of the
 * previous page; the query compares against that row's own timestamp in SQL (a JS Date
 * would lose PostgreSQL's microseconds and repeat rows). Lists fetch `limit + 1` rows.
 */
export interface PageRequest {
  limit: number;
  cursor?: string | undefined;
}

/** The cursor, checked; a malformed one is a 422 on `cursor`. */
export function cursorOf(page: PageRequest | undefined): string | null {
  if (!page?.cursor) return null;
  if (!isUuid(page.cursor)) throw new ValidationError({ cursor: 'This cursor is not valid.' });
  return page.cursor;
}

/** Rows to fetch for `page`: one more than asked, so the caller can tell there is more. */
export function fetchSize(page: PageRequest | undefined): number | null {
  return page ? page.limit + 1 : null;
}
