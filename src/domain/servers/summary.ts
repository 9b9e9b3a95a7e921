import type { DbOrTx } from '../../db/index.ts';
import { monthlyOf, serverRows } from './view.ts';

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

export async function organizationServerSummary(db: DbOrTx, organizationId: string): Promise<ServerSummary> {
  const rows = await serverRows(db)
    .where('s.organization_id', '=', organizationId)
    .where('s.status', 'not in', ['deleted', 'failed'])
    .execute();
  return {
    count: rows.length,
    active: rows.filter((r) => r.status === 'running').length,
    monthlyEstimate: rows.reduce((sum, r) => sum + monthlyOf(r), 0n),
    currency: rows[0]?.currency ?? null,
  };
}
