import type { Deps } from '../src/domain/deps.ts';
import { closeTransferMonths } from '../src/domain/transfer/engine.ts';
import type { Payload } from '../src/queue/index.ts';
import { recordRun } from '../src/queue/runs.ts';

/**
 * `transfer.close-month` (scheduled early on the 1st, and once on start as a catch-up): every
 * finished month's unclosed region pools closed from their stored readings. Safe to run again.
 */
export function transferCloseMonthJob(deps: Deps, data: Payload<'transfer.close-month'>, jobId: string | null) {
  return recordRun(deps, 'transfer.close-month', jobId, async () => {
    const runs = await closeTransferMonths(deps, {
      month: data.month ? new Date(`${data.month}-01T00:00:00Z`) : undefined,
      trigger: data.trigger ?? 'schedule',
    });
    return {
      months: runs.map((r) => r.periodStart.toISOString().slice(0, 7)),
      pools_charged: runs.reduce((n, r) => n + r.poolsCharged, 0),
      amount: runs.reduce((n, r) => n + r.amount, 0n),
    };
  });
}
