import { sql } from 'kysely';
import type PgBoss from 'pg-boss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/index.ts';
import { createLogger } from '../../src/lib/log.ts';
import { systemClock } from '../../src/lib/time.ts';
import { createBoss, createQueues } from '../../src/queue/index.ts';
import { holdLiveness, nodeGone, type NodeLiveness } from '../../src/queue/liveness.ts';
import { ABANDONED_JOB, reapAbandonedJobs } from '../../src/queue/reaper.ts';
import { createTestDatabase } from '../helpers/db.ts';

/**
 * A process's liveness lock (src/queue/liveness.ts) and the reaper it allows (src/queue/reaper.ts):
 * work naming a process whose lock is gone is taken over at once, work of a live one never.
 * Processes are played here by connections: `stop()` ends one as a SIGKILL would end its socket.
 */

const log = createLogger('silent');
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let db: Db;
let boss: PgBoss;
const held: NodeLiveness[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
  boss = createBoss(database.url, { schedule: false, supervise: false });
  await boss.start();
  await createQueues(boss);
});
afterAll(async () => {
  await Promise.all(held.map((n) => n.stop()));
  await boss?.stop({ graceful: false, wait: true });
  await database?.drop();
});

const aProcess = async () => {
  const n = await holdLiveness(database.url, log);
  held.push(n);
  return n;
};

/** A billing.reminders job fetched (active) and its run recorded as `node`'s, as recordRun writes it. */
async function runningJob(node: NodeLiveness): Promise<{ jobId: string; runId: string }> {
  const jobId = (await boss.send('billing.reminders', {}))!;
  const [job] = await boss.fetch('billing.reminders', { batchSize: 1 });
  expect(job?.id).toBe(jobId);
  const run = await db
    .insertInto('job_runs')
    .values({ queue: 'billing.reminders', job_id: jobId, started_at: new Date(), node_key: node.key })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { jobId, runId: run.id };
}

const jobState = async (id: string) =>
  (
    await sql<{ state: string; due: boolean }>`
      select state::text, start_after <= now() as due from pgboss.job where id = ${id}::uuid`.execute(db)
  ).rows[0];

const runOf = (id: string) =>
  db.selectFrom('job_runs').select(['status', 'error']).where('id', '=', id).executeTakeFirstOrThrow();

describe('liveness', () => {
  it('tells a process that holds its lock from one that is gone, and a row naming no process from both', async () => {
    const alive = await aProcess();
    const dying = await aProcess();
    expect(alive.key).not.toBe(dying.key);
    const gone = async (key: number | null) =>
      (await sql<{ gone: boolean }>`select ${nodeGone(sql`${key}::int`)} as gone`.execute(db)).rows[0]!.gone;
    expect(await gone(alive.key)).toBe(false);
    expect(await gone(dying.key)).toBe(false);
    await dying.stop();
    expect(dying.held()).toBe(false);
    expect(await gone(dying.key)).toBe(true);
    expect(await gone(alive.key)).toBe(false);
    expect(await gone(null)).toBe(false);
  });

  it('fails the run of a process that is gone and offers its job again now; a live process’s run is left alone', async () => {
    const reaper = await aProcess();
    const alive = await aProcess();
    const dying = await aProcess();
    const live = await runningJob(alive);
    const dead = await runningJob(dying);
    expect(await reapAbandonedJobs({ db, boss, log, clock: systemClock }, reaper)).toBe(0);

    await dying.stop();
    expect(await reapAbandonedJobs({ db, boss, log, clock: systemClock }, reaper)).toBe(1);
    expect(await runOf(dead.runId)).toEqual({ status: 'failed', error: ABANDONED_JOB });
    // Offered again at once (not after pg-boss's retry backoff), to whichever process fetches first.
    expect(await jobState(dead.jobId)).toEqual({ state: 'retry', due: true });
    const [again] = await boss.fetch('billing.reminders', { batchSize: 1 });
    expect(again?.id).toBe(dead.jobId);

    expect(await runOf(live.runId)).toEqual({ status: 'running', error: null });
    expect(await jobState(live.jobId)).toMatchObject({ state: 'active' });
    // Once: a second pass (or another process's) finds nothing more.
    expect(await reapAbandonedJobs({ db, boss, log, clock: systemClock }, reaper)).toBe(0);
  });

  it('reaps nothing while its own lock is not held (its own work would look abandoned too)', async () => {
    const reaper = await aProcess();
    const dying = await aProcess();
    const dead = await runningJob(dying);
    await dying.stop();
    await reaper.stop();
    expect(await reapAbandonedJobs({ db, boss, log, clock: systemClock }, reaper)).toBe(0);
    expect(await runOf(dead.runId)).toEqual({ status: 'running', error: null });
    // Whoever reaps next takes it.
    expect(await reapAbandonedJobs({ db, boss, log, clock: systemClock }, await aProcess())).toBe(1);
  });
});
