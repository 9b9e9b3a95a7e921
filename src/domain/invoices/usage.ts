import { sql } from 'kysely';
import type { DbOrTx } from '../../db/index.ts';
import type { LedgerKind } from '../../db/types.ts';
import type { InvoiceLine } from './lines.ts';
import type { Month } from './statements.ts';

/**
 * Hourly server charges on a statement (issue 12): a month of a server is hundreds of hourly
 * charges, so the statement shows one `server_usage` line per server with its hours and amount
 * instead of one line per posting. A `vps_charge` posting is folded into those lines only when
 * the `server_charges` rows that reference it add up to exactly what it took from the wallet;
 * any other posting (a hand-made one, a correction) stays a line of its own, so the totals and
 * balances of the statement never change by folding. Unposted charges (zero: the monthly cap
 * reached) of the month's hours count as hours at no cost.
 */

type Posting = { id: string; kind: LedgerKind; amount: bigint; created_at: Date };

export async function serverUsage(
  db: DbOrTx,
  organizationId: string,
  period: Month,
  postings: readonly Posting[],
): Promise<{ folded: Set<string>; lines: Array<Extract<InvoiceLine, { type: 'server_usage' }>> }> {
  const charges = postings.filter((p) => p.kind === 'vps_charge');
  const ids = charges.map((p) => p.id);
  const linked = ids.length
    ? await db
        .selectFrom('server_charges')
        .select([
          'ledger_transaction_id as id',
          'server_id',
          sql<string>`sum(amount)`.as('amount'),
          sql<number>`count(*)::int`.as('hours'),
        ])
        .where('ledger_transaction_id', 'in', ids)
        .groupBy(['ledger_transaction_id', 'server_id'])
        .execute()
    : [];
  const byPosting = new Map<string, typeof linked>();
  for (const l of linked) byPosting.set(l.id!, [...(byPosting.get(l.id!) ?? []), l]);

  const folded = new Set<string>();
  const servers = new Map<string, { hours: number; amount: bigint; date: Date }>();
  const add = (serverId: string, hours: number, amount: bigint, date: Date) => {
    const s = servers.get(serverId) ?? { hours: 0, amount: 0n, date };
    servers.set(serverId, { hours: s.hours + hours, amount: s.amount + amount, date: date > s.date ? date : s.date });
  };
  for (const p of charges) {
    const rows = byPosting.get(p.id) ?? [];
    const sum = rows.reduce((t, r) => t + BigInt(r.amount), 0n);
    if (!rows.length || sum !== -p.amount) continue;
    folded.add(p.id);
    for (const r of rows) add(r.server_id, r.hours, -BigInt(r.amount), p.created_at);
  }
  // Zero charges nobody posted: hours of the month at no cost, for servers already on the statement or not.
  const unposted = await db
    .selectFrom('server_charges')
    .select(['server_id', sql<number>`count(*)::int`.as('hours'), sql<Date>`max(hour_start)`.as('last')])
    .where('organization_id', '=', organizationId)
    .where('ledger_transaction_id', 'is', null)
    .where('amount', '=', 0n)
    .where('hour_start', '>=', period.start)
    .where('hour_start', '<', period.end)
    .groupBy('server_id')
    .execute();
  for (const u of unposted) add(u.server_id, u.hours, 0n, u.last);
  if (!servers.size) return { folded, lines: [] };

  const labels = await db
    .selectFrom('servers')
    .select(['id', 'label'])
    .where('id', 'in', [...servers.keys()])
    .execute();
  const labelOf = new Map(labels.map((l) => [l.id, l.label]));
  const lines = [...servers.entries()]
    .map(([serverId, s]) => {
      const label = labelOf.get(serverId) ?? serverId;
      return {
        type: 'server_usage' as const,
        description: `Server ${label}: ${s.hours} ${s.hours === 1 ? 'hour' : 'hours'}`,
        date: s.date,
        server_id: serverId,
        label,
        hours: s.hours,
        amount: s.amount,
      };
    })
    .sort((a, b) => a.label.localeCompare(b.label) || a.server_id.localeCompare(b.server_id));
  return { folded, lines };
}
