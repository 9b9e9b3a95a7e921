import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { likePattern } from '../../src/db/like.ts';
import { fetchSize, keysetPage, offsetOf, pageCount, pageNumber, uuidCursor } from '../../src/db/paging.ts';
import { ValidationError } from '../../src/lib/errors.ts';
import { createTestDatabase } from '../helpers/db.ts';

/** The database-boundary helpers every domain read uses (src/db/). */
let database: Awaited<ReturnType<typeof createTestDatabase>>;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database.drop());

describe('reading char(n) columns', () => {
  it('returns a code shorter than the column without its blank padding', async () => {
    const { rows } = await sql<{ code: string }>`select 'EU'::char(3) as code`.execute(database.db);
    expect(rows[0]!.code).toBe('EU');
  });
});

describe('likePattern', () => {
  it('matches what was typed anywhere, with %, _ and \\ taken literally', async () => {
    const matches = async (text: string, typed: string) =>
      (await sql<{ hit: boolean }>`select ${text}::text ilike ${likePattern(typed)} as hit`.execute(database.db))
        .rows[0]!.hit;
    expect(await matches('Acme Hosting', 'ME HO')).toBe(true);
    expect(await matches('100% uptime', '100%')).toBe(true);
    expect(await matches('1000 uptime', '100%')).toBe(false);
    expect(await matches('pat_1@example.test', 'pat_')).toBe(true);
    expect(await matches('pat11@example.test', 'pat_')).toBe(false);
    expect(await matches('a\\b', 'a\\b')).toBe(true);
    expect(await matches('ab', 'a\\b')).toBe(false);
  });
});

describe('pagination', () => {
  it('keyset pages fetch one row more than asked and hand on the last kept row as the cursor', () => {
    expect(fetchSize({ limit: 25 })).toBe(26);
    expect(fetchSize(undefined)).toBeNull();
    expect(keysetPage([1, 2, 3], 2, String)).toEqual({ rows: [1, 2], nextCursor: '2' });
    expect(keysetPage([1, 2], 2, String)).toEqual({ rows: [1, 2], nextCursor: null });
    expect(keysetPage([], 2, String)).toEqual({ rows: [], nextCursor: null });
  });

  it('refuses a cursor that is not a row id with a 422 on cursor', () => {
    expect(uuidCursor({ limit: 5 })).toBeNull();
    expect(uuidCursor({ limit: 5, cursor: '00000000-0000-4000-8000-000000000000' })).toBe(
      '00000000-0000-4000-8000-000000000000',
    );
    expect(() => uuidCursor({ limit: 5, cursor: 'nope' })).toThrow(ValidationError);
  });

  it('numbered pages read any ?page= as a page number and count at least one page', () => {
    expect(pageNumber.parse('3')).toBe(3);
    for (const bad of ['0', '-1', 'x', '1.5', undefined]) expect(pageNumber.parse(bad)).toBe(1);
    expect(offsetOf(3, 50)).toEqual({ limit: 50, offset: 100 });
    expect(pageCount(0, 50)).toBe(1);
    expect(pageCount(50, 50)).toBe(1);
    expect(pageCount('51', 50)).toBe(2);
  });
});
