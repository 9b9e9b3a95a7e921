import type { Deps } from '../src/domain/deps.ts';
import { reconcileServers } from '../src/domain/servers/reconcile.ts';
import { recordRun } from '../src/queue/runs.ts';

/**
 * Hourly drift report (`servers.reconcile`): instances at a provider that SkyPanel does not
 * know, and servers of ours the provider no longer has; reports only, never deletes or
 * charges. Recorded in job_runs; a second run adds no duplicate findings.
 */
export function reconcileServersJob(deps: Deps, jobId: string | null) {
  return recordRun(deps, 'servers.reconcile', jobId, () => reconcileServers(deps));
}
