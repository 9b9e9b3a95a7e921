import type { Deps } from '../src/domain/deps.ts';
import { sendBillingReminders } from '../src/domain/notifications/reminders.ts';
import { recordRun } from '../src/queue/runs.ts';

/**
 * `billing.reminders`: low-balance and runway emails to billing contacts (notifications/reminders.ts),
 * hourly, recorded in job_runs. Running it again the same day sends nothing new.
 */
export function billingRemindersJob(deps: Deps, jobId: string | null) {
  return recordRun(deps, 'billing.reminders', jobId, () => sendBillingReminders(deps));
}
