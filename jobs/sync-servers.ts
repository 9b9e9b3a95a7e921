import type { Deps } from '../src/domain/deps.ts';
import { followServer, syncServers } from '../src/domain/servers/follow.ts';
import type { Payload } from '../src/queue/index.ts';
import { recordRun } from '../src/queue/runs.ts';

/**
 * Live server status. `servers.follow`: one server's instance read again after a create or an
 * action, re-queued with backoff while it is in motion (not recorded in job_runs: there is one
 * per action). `servers.sync`, every minute: every server in a transitional status read once,
 * recorded in job_runs. Both are safe to run twice.
 */
export function followServerJob(deps: Deps, data: Payload<'servers.follow'>) {
  return followServer(deps, data);
}

export function syncServersJob(deps: Deps, jobId: string | null) {
  return recordRun(deps, 'servers.sync', jobId, () => syncServers(deps));
}
