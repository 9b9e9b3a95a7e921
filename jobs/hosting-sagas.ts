import type { Deps } from '../src/domain/deps.ts';
import { resumeSagas } from '../src/domain/hosting/purchase.ts';
import type { Payload } from '../src/queue/index.ts';
import { recordRun } from '../src/queue/runs.ts';

/**
 * `hosting.sagas`: every minute, purchases a crash left half-done are taken forward or
 * compensated (with `serviceId`, that one at once). Safe to run twice: a saga is worked on only
 * under its claim, and each step is journaled once. Recorded in job_runs.
 */
export function hostingSagasJob(deps: Deps, data: Payload<'hosting.sagas'>, jobId: string | null) {
  return recordRun(deps, 'hosting.sagas', jobId, () => resumeSagas(deps, { serviceId: data.serviceId }));
}
