import type { Db } from '../db/index.ts';
import type { Clock } from '../lib/time.ts';
import { jobRunDuration, jobRunFailures } from '../metrics/registry.ts';
import type { QueueName } from './index.ts';

/**
 * Records one run of a scheduled job in `job_runs` (what admins read): started, then
 * succeeded with the summary `fn` returns, or failed with its error (rethrown so pg-boss
 * retries). Times come from `clock`, like everything else the job does. The row names this
 * process (`node_key`, src/queue/liveness.ts): if the process dies mid-run, another one marks it
 * failed and offers the job again at once (src/queue/reaper.ts).
 */
export async function recordRun<T extends Record<string, unknown>>(
  deps: { db: Db; clock: Clock; node?: { key: number } | undefined },
  queue: QueueName,
  jobId: string | null,
  fn: () => Promise<T>,
): Promise<T> {
  const { db, clock } = deps;
  const run = await db
    .insertInto('job_runs')
    .values({ queue, job_id: jobId, started_at: clock.now(), node_key: deps.node?.key ?? null })
    .returning('id')
    .executeTakeFirstOrThrow();
  // Real time for the duration metric (the clock may be a test's).
  const start = performance.now();
  const observe = (status: 'succeeded' | 'failed') =>
    jobRunDuration.observe({ queue, status }, (performance.now() - start) / 1000);
  try {
    const summary = await fn();
    await db
      .updateTable('job_runs')
      .set({ status: 'succeeded', summary: JSON.stringify(summary, bigintJson), finished_at: clock.now() })
      .where('id', '=', run.id)
      .execute();
    observe('succeeded');
    return summary;
  } catch (err) {
    observe('failed');
    jobRunFailures.inc({ queue });
    const message = err instanceof Error ? err.message : String(err);
    await db
      .updateTable('job_runs')
      .set({ status: 'failed', error: message.slice(0, 2000), finished_at: clock.now() })
      .where('id', '=', run.id)
      .execute();
    throw err;
  }
}

function bigintJson(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}
