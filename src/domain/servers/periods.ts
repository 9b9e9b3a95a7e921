import { sql } from 'kysely';
import type { Tx } from '../../db/index.ts';

/**
 * A server's billing periods (`server_billing_periods`): what it is billed as from a clock
 * hour on. Created with the server (its creation hour), then one for the next clock hour (DB
 * clock) at each resize or backups change; two changes in one hour make one row.
 */

/** What the server is billed as from the next clock hour (DB clock): the plan and backups it has then. */
export async function nextHourPeriod(trx: Tx, serverId: string, change: { plan_id?: string; backups?: boolean }) {
  const s = await trx
    .selectFrom('servers')
    .select(['plan_id', 'backups_enabled'])
    .where('id', '=', serverId)
    .executeTakeFirstOrThrow();
  const values = {
    server_id: serverId,
    effective_from: sql<Date>`date_trunc('hour', now()) + interval '1 hour'`,
    plan_id: change.plan_id ?? s.plan_id,
    backups: change.backups ?? s.backups_enabled,
  };
  await trx
    .insertInto('server_billing_periods')
    .values(values)
    .onConflict((oc) =>
      oc.columns(['server_id', 'effective_from']).doUpdateSet({ plan_id: values.plan_id, backups: values.backups }),
    )
    .execute();
}
