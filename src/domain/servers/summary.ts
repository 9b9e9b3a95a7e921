import { sql } from 'kysely';
import type { DbOrTx } from '../../db/index.ts';
import { CATALOGUE, type DataCache } from '../../lib/data-cache.ts';

/**
 * An organization's servers in three numbers, for the dashboard and the billing summary:
 * how many exist (every live status, suspended included: they are billed), how many are
 * running, and what they cost per month at today's prices (backups included where on).
 * The caller has checked that the viewer may see it.
 */
export interface ServerSummary {
  count: number;
  active: number;
  monthlyEstimate: bigint;
  currency: string | null;
}

export async function organizationServerSummary(
  db: DbOrTx,
  organizationId: string,
  opts: { cache?: DataCache } = {},
): Promise<ServerSummary> {
  // Kept per organization in the data cache (forgotten when its servers or the catalogue's
  // prices change; a price that comes into force later shows within the cache's 30 s).
  if (opts.cache)
    return opts.cache.read(`server-summary:${organizationId}`, [organizationId, CATALOGUE], () =>
      organizationServerSummary(db, organizationId),
    );
  // Added up in the database: one row back, whatever the fleet's size (the dashboard's and
  // the billing page's cost used to grow with every server, each row read whole). Prices as
  // serverRows finds them: the plan's latest price in force; a server without one costs 0.
  const row = await db
    .selectFrom('servers as s')
    .leftJoinLateral(
      (eb) =>
        eb
          .selectFrom('server_plan_prices as pp')
          .select(['pp.base_monthly', 'pp.markup_monthly', 'pp.backups_monthly', 'pp.currency'])
          .whereRef('pp.plan_id', '=', 's.plan_id')
          .where('pp.effective_from', '<=', sql<Date>`now()`)
          .orderBy('pp.effective_from', 'desc')
          .limit(1)
          .as('pr'),
      (j) => j.onTrue(),
    )
    .select([
      sql<number>`count(*)::int`.as('count'),
      sql<number>`(count(*) filter (where s.status = 'running'))::int`.as('active'),
      sql<bigint>`coalesce(sum(case when pr.base_monthly is null then 0
        else pr.base_monthly + coalesce(pr.markup_monthly, 0)
             + case when s.backups_enabled then coalesce(pr.backups_monthly, 0) else 0 end end), 0)::bigint`.as(
        'monthly',
      ),
      sql<string | null>`(array_agg(pr.currency))[1]`.as('currency'),
    ])
    .where('s.organization_id', '=', organizationId)
    .where('s.status', 'not in', ['deleted', 'failed'])
    .executeTakeFirstOrThrow();
  return { count: row.count, active: row.active, monthlyEstimate: row.monthly, currency: row.currency };
}
