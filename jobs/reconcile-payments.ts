import type { Deps } from '../src/domain/deps.ts';
import { RECONCILE_QUEUE, reconcilePayments } from '../src/domain/payments/reconciliation.ts';
import { recordRun } from '../src/queue/runs.ts';

/**
 * Compares PayPal captures with ledger credits and records what does not match (never moves
 * money); recorded in job_runs. Scheduled daily at 03:30 UTC; a second run the same day adds
 * no duplicate findings. Without PayPal configured it records a run that checked nothing.
 */
export function reconcilePaymentsJob(deps: Deps, jobId: string | null) {
  return recordRun(deps, RECONCILE_QUEUE, jobId, () => reconcilePayments(deps));
}
