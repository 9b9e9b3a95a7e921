import type { Deps } from '../src/domain/deps.ts';
import { purgeExpired } from '../src/domain/accounts/sessions.ts';
import { recordRun } from '../src/queue/runs.ts';

/** Deletes expired sessions, tokens and old rate-limit counters; recorded in job_runs. */
export function purgeExpiredJob(deps: Deps, jobId: string | null) {
  return recordRun(deps.db, 'maintenance.purge-expired', jobId, () => purgeExpired(deps.db, deps.config, deps.clock.now()));
}
