import { sql } from 'kysely';
import type { Db } from '../../db/index.ts';
import { migrationsCurrent } from '../../db/migrate.ts';
import { billingReadiness, MAX_BILLING_LAG_SECONDS } from '../operations/billing-readiness.ts';

/** What /ready checks: the database answers, migrations are applied, the queue runs, billing is not late. */
export interface PlatformChecks {
  database: boolean;
  migrations: boolean;
  jobs: boolean;
  billing: boolean;
}

export interface PlatformHealth {
  ready: boolean;
  checks: PlatformChecks;
  lastBilledHour: Date | null;
  billingLagSeconds: number | null;
}

export { MAX_BILLING_LAG_SECONDS };

/**
 * The platform's health, as `/ready` reports it and `/status` shows it: the database answers,
 * migrations are applied, the job queue runs, and hourly billing is not more than two hours
 * behind while something is owed (domain/operations/billing-readiness.ts). Never throws: a
 * failed check is false.
 */
export async function platformHealth(deps: { db: Db; queueHealthy: () => boolean }): Promise<PlatformHealth> {
  const checks: PlatformChecks = { database: false, migrations: false, jobs: deps.queueHealthy(), billing: false };
  let lastBilledHour: Date | null = null;
  let billingLagSeconds: number | null = null;
  try {
    await sql`select 1`.execute(deps.db);
    checks.database = true;
    checks.migrations = await migrationsCurrent(deps.db);
    const b = await billingReadiness(deps.db);
    checks.billing = !b.late;
    lastBilledHour = b.lastBilledHour;
    billingLagSeconds = b.lagSeconds;
  } catch {
    // reported as failed checks
  }
  return { ready: Object.values(checks).every(Boolean), checks, lastBilledHour, billingLagSeconds };
}
