import type { Deps } from '../src/domain/deps.ts';
import type { HostingDeps } from '../src/domain/hosting/connector.ts';
import { pollRunningOperations } from '../src/domain/hosting/operations.ts';
import { resumeSagas } from '../src/domain/hosting/purchase.ts';
import type { Payload } from '../src/queue/index.ts';
import { recordRun } from '../src/queue/runs.ts';

/**
 * `hosting.sagas`: every minute, purchases a crash left half-done are taken forward or
 * compensated (with `serviceId`, that one at once), and the panel's long operations that are
 * still running (WordPress installs, backups, restores) are read again, so one nobody watches
 * still ends. Safe to run twice: a saga is worked on only under its claim, each step is
 * journaled once, and an operation ends in one update. Recorded in job_runs.
 */
export function hostingSagasJob(deps: Deps & HostingDeps, data: Payload<'hosting.sagas'>, jobId: string | null) {
  return recordRun(deps, 'hosting.sagas', jobId, async () => {
    const sagas = await resumeSagas(deps, { serviceId: data.serviceId });
    const operations = await pollRunningOperations(deps, { serviceId: data.serviceId });
    return { ...sagas, operations };
  });
}
