import { sql } from 'kysely';
import type PgBoss from 'pg-boss';
import type { Db } from '../db/index.ts';
import type { Logger } from '../lib/log.ts';
import type { Clock } from '../lib/time.ts';
import { nodeGone, type NodeLiveness } from './liveness.ts';

/**
 * Jobs whose process died while running them. pg-boss 10 only notices a dead worker when the
 * job's expiry passes (15 minutes by default, then up to a maintenance interval more), and an
 * expiry short enough to notice quickly would cut off long runs that are alive. Here the
 * process's liveness lock (./liveness.ts) answers instead: every REAP_INTERVAL_MS each jobs
 * process looks for `job_runs` rows still running whose process no longer holds its lock. Such a
 * row is marked failed (what staff read), and its pg-boss job, when still active and not running
 * anywhere else, is failed and offered again now, so any live process picks it up within a
 * second or two: the job does its work again (every job is safe to run twice).
 *
 * Jobs that do not record runs (email.send, servers.follow …) keep pg-boss's expiry: they are
 * short, and their work is idempotent.
 */

export const REAP_INTERVAL_MS = 5_000;
export const ABANDONED_JOB = 'The process running this job stopped before it finished; the job was offered again.';

export interface ReapDeps {
  db: Db;
  boss: PgBoss;
  log: Logger;
  clock: Clock;
}

/** One pass; the job runs it failed. Never while this process's own lock is not held (it would look dead too). */
export async function reapAbandonedJobs(deps: ReapDeps, own: NodeLiveness): Promise<number> {
  if (!own.held()) return 0;
  // The update is the claim: two processes reaping at once fail a row once.
  const { rows } = await sql<{ id: string; queue: string; job_id: string | null }>`
    update job_runs r
       set status = 'failed', error = ${ABANDONED_JOB}, finished_at = ${deps.clock.now()}
     where r.status = 'running' and r.node_key <> ${own.key}::int and ${nodeGone(sql.ref('r.node_key'))}
    returning r.id, r.queue, r.job_id`.execute(deps.db);
  for (const run of rows) {
    if (!run.job_id) continue;
    // Retried already (its expiry passed) and running on a live process: that run stands.
    const { rows: busy } = await sql<{ n: number }>`
      select count(*)::int as n from job_runs where job_id = ${run.job_id} and status = 'running'`.execute(deps.db);
    if (busy[0]!.n > 0) continue;
    const { rows: active } = await sql<{ id: string }>`
      select id from pgboss.job where name = ${run.queue} and id = ${run.job_id}::uuid and state = 'active'`.execute(
      deps.db,
    );
    if (!active.length) continue;
    await deps.boss.fail(run.queue, run.job_id, { message: ABANDONED_JOB });
    // pg-boss puts a failed job's retry after its backoff; this one did not fail, its process went.
    await sql`update pgboss.job set start_after = now() where id = ${run.job_id}::uuid and state = 'retry'`.execute(
      deps.db,
    );
  }
  if (rows.length)
    deps.log.warn(
      { runs: rows.map((r) => ({ queue: r.queue, jobId: r.job_id })) },
      'jobs of a stopped process taken over',
    );
  return rows.length;
}

/** Reaps every REAP_INTERVAL_MS until the returned stop is called. */
export function startReaper(deps: ReapDeps, own: NodeLiveness): () => Promise<void> {
  let running: Promise<unknown> | null = null;
  const timer = setInterval(() => {
    if (running) return;
    running = reapAbandonedJobs(deps, own)
      .catch((err: Error) => deps.log.warn({ err: err.message }, 'reaping abandoned jobs failed'))
      .finally(() => (running = null));
  }, REAP_INTERVAL_MS);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
