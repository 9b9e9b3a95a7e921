import { REFRESH_QUEUE, refreshAllCatalogues } from '../src/domain/catalogue/refresh.ts';
import type { Deps } from '../src/domain/deps.ts';
import { recordRun } from '../src/queue/runs.ts';

/**
 * Reads every active provider's catalogue (types, regions, images, scripts) into the cache
 * pages render from; recorded in job_runs. Scheduled every 6 hours; "refresh now" on a
 * provider's page does the same for one. A provider that cannot be reached keeps its cache.
 */
export function refreshCatalogueJob(deps: Deps, jobId: string | null) {
  return recordRun(deps, REFRESH_QUEUE, jobId, () => refreshAllCatalogues(deps));
}
