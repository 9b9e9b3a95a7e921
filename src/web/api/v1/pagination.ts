import { z } from '@hono/zod-openapi';
import { keysetPage } from '../../../db/paging.ts';
import { derived } from '../../../lib/shared-values.ts';

/**
 * Lists in the API: keyset pages (src/db/paging.ts) answered as `{ data, has_more,
 * next_cursor }`. The page maths is the database toolkit's; this file only says how a page
 * looks on the wire.
 */

/** `{ data, has_more, next_cursor }` around `item`: the shape of every list endpoint. */
export function listOf<T extends z.ZodType>(item: T) {
  return z.object({
    data: z.array(item),
    has_more: z.boolean(),
    next_cursor: z
      .string()
      .nullable()
      .openapi({ description: 'Pass as `cursor` for the next page; null on the last page.' }),
  });
}

/** Query parameters of every list endpoint. */
export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(25).openapi({ description: '1–100, default 25.' }),
  cursor: z.string().max(200).optional(),
});

/** A list answer from a page the domain cut (`{ rows, nextCursor }`), each row presented. */
export function listAnswer<R, T>(rows: readonly R[], nextCursor: string | null, present: (row: R) => T) {
  // A row kept in the data cache is presented once (src/lib/shared-values.ts `derived`).
  return { data: rows.map((row) => derived(row, present)), has_more: nextCursor !== null, next_cursor: nextCursor };
}

/** A list answer from rows fetched with `fetchSize` (up to `limit + 1`: the extra row only says there is more). */
export function listPage<R, T>(
  rows: readonly R[],
  limit: number,
  present: (row: R) => T,
  cursorOf: (row: R) => string,
) {
  const page = keysetPage(rows, limit, cursorOf);
  return listAnswer(page.rows, page.nextCursor, present);
}
