import type { Deps } from '../src/domain/deps.ts';
import { wakeDunningRun } from '../src/domain/dunning/lift.ts';
import { billMissedHours, runHourlyBilling } from '../src/domain/metering/hourly.ts';
import { ConflictError } from '../src/lib/errors.ts';
import type { Payload } from '../src/queue/index.ts';
import { recordRun } from '../src/queue/runs.ts';

/**
 * `billing.hourly`: a run staff queued (runId: that hour), or the schedule and the catch-up on
 * start (every hour not yet billed, oldest first, up to the current one). Each hour is
 * recorded in billing_runs; the job itself in job_runs.
 */
export function billHourJob(deps: Deps, data: Payload<'billing.hourly'>, jobId: string | null) {
  return recordRun(deps, 'billing.hourly', jobId, async () => {
    if (data.runId && data.hour) {
      try {
        const run = await runHourlyBilling(deps, { hour: new Date(data.hour), runId: data.runId, trigger: 'admin' });
        if (run.amount > 0n) await wakeDunningRun(deps);
        return { hours: 1, instances: run.instancesCharged, amount: run.amount };
      } catch (err) {
        // Another worker holds the hour: it carries the queued run out (it adopts queued runs).
        if (err instanceof ConflictError) return { hours: 0, instances: 0, amount: 0n };
        throw err;
      }
    }
    const runs = await billMissedHours(deps, { trigger: data.trigger === 'catch_up' ? 'catch_up' : 'schedule' });
    // Charges may have taken wallets below zero: their arrears email goes out now, not at the next dunning run.
    if (runs.some((r) => r.amount > 0n)) await wakeDunningRun(deps);
    return {
      hours: runs.length,
      instances: runs.reduce((n, r) => n + r.instancesCharged, 0),
      amount: runs.reduce((n, r) => n + r.amount, 0n),
    };
  });
}
