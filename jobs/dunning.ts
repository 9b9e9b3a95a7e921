import type { Deps } from '../src/domain/deps.ts';
import { runDunning } from '../src/domain/dunning/run.ts';
import type { Payload } from '../src/queue/index.ts';
import { recordRun } from '../src/queue/runs.ts';

/**
 * `billing.dunning`: every five minutes, each organization in arrears (or with a case or a
 * suspension to lift) is taken one step further; with `organizationId` (a credit was posted
 * to a wallet in arrears), that organization alone, at once. Safe to run twice: every step is
 * recorded once per case. Recorded in job_runs.
 */
export function dunningJob(deps: Deps, data: Payload<'billing.dunning'>, jobId: string | null) {
  return recordRun(deps, 'billing.dunning', jobId, () => runDunning(deps, { organizationId: data.organizationId }));
}
