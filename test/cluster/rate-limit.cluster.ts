import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SharedRateLimiter } from '../../src/domain/security/shared-limiter.ts';
import type { Db } from '../../src/db/index.ts';
import { createTestDatabase } from '../helpers/db.ts';

/**
 * The shared tier limiter (src/domain/security/shared-limiter.ts) as several processes use it:
 * one SharedRateLimiter per process on one database. Here without processes (three limiters
 * in this one), so every interleaving can be forced; shared-state.cluster.ts proves the same
 * through three real processes.
 */

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let db: Db;
beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
});
afterAll(async () => {
  await database?.drop();
});

const NOW = new Date('2026-12-07T10:00:00Z');
const limiters: SharedRateLimiter[] = [];
/** A process's limiter; flushes only when the test says. */
function processLimiter(): SharedRateLimiter {
  const l = new SharedRateLimiter(db, { flushMs: 3_600_000 });
  limiters.push(l);
  return l;
}
afterAll(async () => {
  for (const l of limiters) await l.stop();
});

let keys = 0;
const hit = (l: SharedRateLimiter, key: string, limit: number) =>
  l.consume({ key, ip: '198.51.100.1', userId: null, limit, windowMinutes: 15, now: NOW });

async function counter(key: string): Promise<number> {
  const row = await db.selectFrom('rate_limit_counters').select('count').where('key', '=', key).executeTakeFirst();
  return row?.count ?? 0;
}

describe('the tier limit shared by three processes', () => {
  it('admits the first N of 3N requests sent to the three in turn, and refuses every one after', async () => {
    const [a, b, c] = [processLimiter(), processLimiter(), processLimiter()];
    for (const limit of [1, 5, 24, 100]) {
      const key = `ip:test-${++keys}`;
      const allowed: boolean[] = [];
      for (let i = 0; i < 3 * limit; i++) allowed.push((await hit([a, b, c][i % 3]!, key, limit)).allowed);
      expect(allowed.filter(Boolean), `limit ${limit}`).toHaveLength(limit);
      expect(allowed.slice(0, limit).every(Boolean), `limit ${limit}: the first N`).toBe(true);
    }
  });

  it('admits exactly N of 3N requests sent to the three at once', async () => {
    const [a, b, c] = [processLimiter(), processLimiter(), processLimiter()];
    for (const limit of [3, 24, 200]) {
      const key = `ip:test-${++keys}`;
      const decisions = await Promise.all(
        Array.from({ length: 3 * limit }, (_, i) => hit([a, b, c][i % 3]!, key, limit)),
      );
      expect(
        decisions.filter((d) => d.allowed),
        `limit ${limit}`,
      ).toHaveLength(limit);
    }
  });

  it('counts what it admitted and refused once flushed, with unused reservations given back', async () => {
    const [a, b] = [processLimiter(), processLimiter()];
    const key = `ip:test-${++keys}`;
    // A busy address on a large limit: the first request reserves an eighth of it.
    await hit(a, key, 800);
    expect(await counter(key)).toBe(100);
    await a.flush();
    expect(await counter(key)).toBe(1);
    for (let i = 0; i < 10; i++) await hit(i % 2 ? a : b, key, 800);
    await Promise.all([a.flush(), b.flush()]);
    expect(await counter(key)).toBe(11);

    // Over a small limit: refusals are counted too (staff's monitor shows them).
    const small = `ip:test-${++keys}`;
    for (let i = 0; i < 9; i++) await hit(i % 2 ? a : b, small, 4);
    await Promise.all([a.flush(), b.flush()]);
    expect(await counter(small)).toBe(9);
  });

  it('a process that starts late begins from the shared count', async () => {
    const early = processLimiter();
    const key = `ip:test-${++keys}`;
    for (let i = 0; i < 6; i++) expect((await hit(early, key, 6)).allowed).toBe(true);
    const late = processLimiter();
    expect((await hit(late, key, 6)).allowed).toBe(false);
    expect((await hit(early, key, 6)).allowed).toBe(false);
  });
});
