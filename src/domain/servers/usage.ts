import { sql } from 'kysely';
import type { DbOrTx } from '../../db/index.ts';
import { invalidCursor, keysetPage, type PageRequest } from '../../db/paging.ts';
import type { Actor } from '../access/actor.ts';
import { serverFor } from './find.ts';

/**
 * A server's hourly charges as its organization reads them (GET /api/v1/vps/{id}/charges).
 * Needs `vps_view`, like the server page, which already shows the server's price and its cost
 * this month: the charges are the same figures hour by hour. The wallet itself (balance,
 * transactions) stays `billing_view`. Another organization's server is not found (404).
 */

export interface ServerChargeView {
  hourStart: Date;
  /** What was charged for the hour: the rate, less when the monthly cap cut it (zero after the cap). */
  amount: bigint;
  /** The hourly rate in force at the start of the hour. */
  rate: bigint;
  /** True when the monthly cap made the charge smaller than the rate. */
  capped: boolean;
  currency: string;
}

const CURSOR = /^\d{4}-\d{2}-\d{2}T\d{2}:00:00(\.000)?Z$/;

/** One page of the server's charges, newest hour first; the cursor is the last hour's ISO time. */
export async function listServerCharges(
  db: DbOrTx,
  actor: Actor,
  id: string,
  page: PageRequest,
): Promise<{ items: ServerChargeView[]; nextCursor: string | null }> {
  const server = await serverFor(db, actor, id, 'vps_view');
  if (page.cursor && (!CURSOR.test(page.cursor) || Number.isNaN(Date.parse(page.cursor)))) throw invalidCursor();
  let q = db
    .selectFrom('server_charges')
    .select(['hour_start', 'amount', 'rate', 'currency'])
    .where('server_id', '=', server.id);
  if (page.cursor) q = q.where('hour_start', '<', new Date(page.cursor));
  const rows = await q
    .orderBy('hour_start', 'desc')
    .limit(page.limit + 1)
    .execute();
  const items = rows.map((r) => ({
    hourStart: r.hour_start,
    amount: r.amount,
    rate: r.rate,
    capped: r.amount < r.rate,
    currency: r.currency,
  }));
  const { rows: kept, nextCursor } = keysetPage(items, page.limit, (c) => c.hourStart.toISOString());
  return { items: kept, nextCursor };
}

export interface ChargedServer {
  serverId: string;
  label: string;
  hours: number;
  amount: bigint;
}

/**
 * The servers behind the wallet's hourly `vps_charge` postings (one posting per organization
 * and hour): per posting id, each server with its hours and amount, for the transaction list's
 * expandable lines. Only postings of `organizationId` are read; the caller holds its wallet.
 */
export async function serversCharged(
  db: DbOrTx,
  organizationId: string,
  transactionIds: readonly string[],
): Promise<Map<string, ChargedServer[]>> {
  const out = new Map<string, ChargedServer[]>();
  if (!transactionIds.length) return out;
  const rows = await db
    .selectFrom('server_charges as c')
    .innerJoin('servers as s', 's.id', 'c.server_id')
    .select([
      'c.ledger_transaction_id as id',
      'c.server_id',
      's.label',
      sql<number>`count(*)::int`.as('hours'),
      sql<string>`sum(c.amount)`.as('amount'),
    ])
    .where('c.organization_id', '=', organizationId)
    .where('c.ledger_transaction_id', 'in', [...transactionIds])
    .groupBy(['c.ledger_transaction_id', 'c.server_id', 's.label'])
    .orderBy('s.label')
    .execute();
  for (const r of rows)
    out.set(r.id!, [
      ...(out.get(r.id!) ?? []),
      { serverId: r.server_id, label: r.label, hours: r.hours, amount: BigInt(r.amount) },
    ]);
  return out;
}
