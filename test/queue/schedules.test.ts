import { sql } from 'kysely';
import type PgBoss from 'pg-boss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scheduleAll } from '../../jobs/index.ts';
import { createBoss, createQueues, schedules } from '../../src/queue/index.ts';
import { createTestDatabase } from '../helpers/db.ts';

/** The cron schedules every start registers (jobs/index.ts `scheduleAll`): written when missing or changed, else left alone. */

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let boss: PgBoss;

beforeAll(async () => {
  database = await createTestDatabase();
  boss = createBoss(database.url, { schedule: false, supervise: false });
  await boss.start();
  await createQueues(boss);
});
afterAll(async () => {
  await boss?.stop({ graceful: false, wait: true });
  await database?.drop();
});

async function stored(): Promise<Map<string, { cron: string; timezone: string; updated: string }>> {
  const { rows } = await sql<{ name: string; cron: string; timezone: string; updated: string }>`
    select name, cron, timezone, updated_on::text as updated from pgboss.schedule`.execute(database.db);
  return new Map(rows.map((r) => [r.name, { cron: r.cron, timezone: r.timezone, updated: r.updated }]));
}

describe('scheduleAll', () => {
  it('stores every schedule in UTC, then writes only what is missing or changed', async () => {
    await scheduleAll(boss);
    const first = await stored();
    expect(new Map([...first].map(([name, s]) => [name, [s.cron, s.timezone]]))).toEqual(
      new Map(Object.entries(schedules).map(([name, cron]) => [name, [cron, 'UTC']])),
    );

    // Another start: nothing changed, nothing written.
    await scheduleAll(boss);
    expect(await stored()).toEqual(first);

    // A schedule changed (as by an older release) and one gone: both written again, the rest left alone.
    await sql`update pgboss.schedule set cron = '1 1 1 1 *' where name = 'billing.hourly'`.execute(database.db);
    await sql`delete from pgboss.schedule where name = 'servers.sync'`.execute(database.db);
    await scheduleAll(boss);
    const after = await stored();
    expect(after.get('billing.hourly')?.cron).toBe(schedules['billing.hourly']);
    expect(after.get('servers.sync')?.cron).toBe(schedules['servers.sync']);
    for (const [name, s] of first)
      if (name !== 'billing.hourly' && name !== 'servers.sync') expect(after.get(name), name).toEqual(s);
  });
});
