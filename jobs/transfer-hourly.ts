import type { Deps } from '../src/domain/deps.ts';
import { wakeDunningRun } from '../src/domain/dunning/lift.ts';
import { runTransferHour } from '../src/domain/transfer/engine.ts';
import { ConflictError } from '../src/lib/errors.ts';
import type { Payload } from '../src/queue/index.ts';
import { recordRun } from '../src/queue/runs.ts';

/**
 * `transfer.hourly` (scheduled a few minutes after each hour): every live server's transfer
 * read from its provider and stored as the hour's reading, then overage accrued per
 * organization and region pool. Recorded in transfer_runs (per hour) and job_runs.
 */
export function transferHourlyJob(deps: Deps, data: Payload<'transfer.hourly'>, jobId: string | null) {
  return recordRun(deps, 'transfer.hourly', jobId, async () => {
    try {
      const run = await runTransferHour(deps, { trigger: data.trigger ?? 'schedule' });
      if (run.amount > 0n) await wakeDunningRun(deps);
      return {
        hour: run.periodStart.toISOString(),
        servers_read: run.serversRead,
        read_errors: run.readErrors,
        pools_charged: run.poolsCharged,
        amount: run.amount,
      };
    } catch (err) {
      // Another worker reads the same hour.
      if (err instanceof ConflictError) return { skipped: 'busy' };
      throw err;
    }
  });
}
