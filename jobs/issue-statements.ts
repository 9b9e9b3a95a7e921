import type { Deps } from '../src/domain/deps.ts';
import { issueMonthlyStatements, previousMonth } from '../src/domain/invoices/statements.ts';
import { recordRun } from '../src/queue/runs.ts';

/**
 * Issues last month's statement for every organization whose wallet moved in it; recorded in
 * job_runs. Scheduled monthly just after midnight UTC on the 1st; running it again issues only
 * what is missing.
 */
export function issueStatementsJob(deps: Deps, jobId: string | null) {
  return recordRun(deps, 'billing.issue-statements', jobId, () =>
    issueMonthlyStatements(deps, previousMonth(deps.clock.now())),
  );
}
