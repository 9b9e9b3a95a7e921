import type { Deps } from '../src/domain/deps.ts';
import type { HostingDeps } from '../src/domain/hosting/connector.ts';
import { runHostingBilling } from '../src/domain/hosting/billing.ts';
import type { Payload } from '../src/queue/index.ts';
import { recordRun } from '../src/queue/runs.ts';

/**
 * `hosting.billing`: every five minutes, renewals that fell due are charged (one charge per
 * service and period), unpaid ones go through hosting dunning, and paid-up services recover
 * (with `organizationId`, that organization at once: a credit was posted). Recorded in job_runs.
 */
export function hostingBillingJob(deps: Deps & HostingDeps, data: Payload<'hosting.billing'>, jobId: string | null) {
  return recordRun(deps, 'hosting.billing', jobId, () =>
    runHostingBilling(deps, { organizationId: data.organizationId }),
  );
}
