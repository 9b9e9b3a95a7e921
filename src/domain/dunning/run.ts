import { sql } from 'kysely';
import type { Deps } from '../deps.ts';
import { dunningConfig } from '../settings/billing-policy.ts';
import { stepOrganization, type Tally } from './case.ts';

/**
 * One dunning run (the `billing.dunning` job, every five minutes, or for one organization
 * when a credit may have lifted its case): every organization whose balance is below zero,
 * that has an open case, or that still has suspended servers is taken one step further
 * (case.ts). Each organization stands alone: one that fails is logged and counted, and the
 * others go on. Running it twice changes nothing more: every step is recorded once per case.
 */
export async function runDunning(deps: Deps, opts: { organizationId?: string } = {}): Promise<Tally> {
  // The periods staff set (Platform settings → Billing), else the environment's: read once per run.
  deps = { ...deps, config: { ...deps.config, ...(await dunningConfig(deps)) } };
  const tally: Tally = {
    organizations: 0,
    opened: 0,
    notices: 0,
    suspended: 0,
    resumed: 0,
    deleted: 0,
    failed: 0,
    lifted: 0,
    emails: 0,
    errors: 0,
  };
  const ids = opts.organizationId ? [opts.organizationId] : await organizationsToStep(deps);
  for (const id of ids) {
    tally.organizations++;
    try {
      await stepOrganization(deps, id, tally);
    } catch (err) {
      tally.errors++;
      deps.log.error({ organizationId: id, err: err instanceof Error ? err.message : String(err) }, 'dunning failed');
      if (opts.organizationId) throw err;
    }
  }
  return tally;
}

/** Organizations below zero (wallets_in_arrears), with an open case, or with servers still suspended. */
async function organizationsToStep(deps: Pick<Deps, 'db'>): Promise<string[]> {
  const { rows } = await sql<{ organization_id: string }>`
    select organization_id from wallets where balance < 0
    union
    select organization_id from dunning_cases where lifted_at is null
    union
    select organization_id from servers where status = 'suspended' and deleted_at is null
    order by organization_id
  `.execute(deps.db);
  return rows.map((r) => r.organization_id);
}
