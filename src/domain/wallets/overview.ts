import { sql, type Expression } from 'kysely';
import type { DbOrTx } from '../../db/index.ts';
import type { DataCache } from '../../lib/data-cache.ts';
import type { LedgerKind } from '../../db/types.ts';
import type { Actor } from '../access/actor.ts';
import { hourlyRate } from '../metering/rates.ts';
import { topUpsInProgressJson, topUpsInProgressOf, type TopUpInProgress } from '../payments/top-ups.ts';
import type { ChargedServer } from '../servers/usage.ts';
import { monthlyOf } from '../servers/view.ts';
import {
  lastTopUpRow,
  monthStartOf,
  spendDays,
  spendRows,
  spendSeries,
  summaryOf,
  type WalletSummary,
} from './spend.ts';
import { billedServerRows, runwayDays } from './summary.ts';
import { billingOrganizationOf, type Wallet, type WalletLine } from './wallet.ts';

/**
 * Everything the /billing page shows about an organization's wallet, read in ONE statement
 * (each database round trip costs the app more than the reading itself): the balance, the
 * spend figures of spend.ts (this UTC month, all time, the last top-up, and per viewer's day),
 * the billed servers with their monthly estimate, hourly burn and runway (as billingSummary
 * and organizationServerSummary count them), and the newest ledger lines with the servers
 * behind each hourly charge (as servers/usage.ts `serversCharged` reads them: change the two
 * together), and the top-ups in progress (payments/top-ups.ts). The wallet's spend lines are
 * read once for all three spend figures.
 */
export interface WalletOverview {
  wallet: Wallet;
  summary: WalletSummary;
  /** Spend per viewer's day, oldest first, days without spend 0. */
  series: Array<{ day: string; amount: bigint }>;
  servers: {
    /** Servers billed every hour (running or not), and those running. */
    count: number;
    active: number;
    monthlyEstimate: bigint;
    hourlyBurn: bigint;
    runwayDays: number | null;
  };
  /** The newest lines, newest first, and whether there are older ones. */
  recent: WalletLine[];
  more: boolean;
  /** Per `vps_charge` line among `recent`: the servers it charged, by label. */
  charged: Map<string, ChargedServer[]>;
  /** Top-ups held for review or pending at PayPal (payments/top-ups.ts). */
  topUpsInProgress: TopUpInProgress[];
}

interface Row {
  id: string;
  balance: bigint;
  currency: string;
  month: bigint;
  total: bigint;
  top_up_id: string | null;
  top_up_amount: bigint | null;
  top_up_at: Date | null;
  // json columns: money as decimal strings of micro-units, never JSON numbers (floats).
  days: Array<{ day: string; amount: string }>;
  servers: Array<{
    running: number;
    n: number;
    base_monthly: string | null;
    markup_monthly: string | null;
    backups_monthly: string | null;
    backups_enabled: boolean;
  }>;
  recent: Array<{
    seq: string;
    entry_id: string;
    id: string;
    kind: LedgerKind;
    description: string;
    amount: string;
    balance_after: string | null;
    created_at: string;
    servers: Array<{ serverId: string; label: string; hours: number; amount: string }> | null;
  }>;
  top_ups_in_progress: unknown;
}

/**
 * The overview of the actor's organization's wallet (403 without `billing_view`, 404 without an
 * organization). With the data cache: kept until the organization's data changes — a posting
 * moves its wallet, a server or member changes, a top-up or its screening changes (migrations
 * 0021 and 0044 name the organization) — or the day (in the viewer's zone) or month moves on.
 */
export async function walletOverview(
  db: DbOrTx,
  actor: Actor,
  opts: { now: Date; timeZone: string; recent: number; days?: number; cache?: DataCache },
): Promise<WalletOverview> {
  const organizationId = billingOrganizationOf(actor);
  const days = spendDays(opts.now, opts.timeZone, opts.days);
  if (!opts.cache) return readOverview(db, organizationId, days, opts);
  const key = `wallet-overview:${organizationId}:${opts.timeZone}:${opts.recent}:${days.from.toISOString()}:${days.until.toISOString()}:${monthStartOf(opts.now).toISOString()}`;
  return opts.cache.read(key, [organizationId], () => readOverview(db, organizationId, days, opts));
}

async function readOverview(
  db: DbOrTx,
  organizationId: string,
  days: ReturnType<typeof spendDays>,
  opts: { now: Date; timeZone: string; recent: number },
): Promise<WalletOverview> {
  const { rows } = await sql<Row>`
    with w as (
      select id, organization_id, balance, currency from wallets where organization_id = ${organizationId}
    ), spend as materialized (${spendRows(sql`(select id from w)`)}
    ), recent as (
      select e.seq, e.id as entry_id, t.id, t.kind, t.description, e.amount, e.balance_after, t.created_at
        from ledger_entries e
        join ledger_transactions t on t.id = e.transaction_id
       where e.wallet_id = (select id from w)
       order by e.seq desc
       limit ${opts.recent + 1}
    )
    select w.id, w.balance, w.currency, f.month, f.total,
           top.id as top_up_id, top.amount as top_up_amount, top.created_at as top_up_at,
           (select coalesce(json_agg(json_build_object('day', d.day, 'amount', d.amount::text)), '[]')
              from (select to_char(created_at at time zone ${opts.timeZone}, 'YYYY-MM-DD') as day, sum(amount) as amount
                      from spend
                     where created_at >= ${days.from} and created_at < ${days.until}
                     group by 1) d) as days,
           (select coalesce(json_agg(g), '[]')
              from (select (count(*) filter (where b.status = 'running'))::int as running, count(*)::int as n,
                           b.base_monthly::text, b.markup_monthly::text, b.backups_monthly::text, b.backups_enabled
                      from ${billedServersOfW(db)} b
                     group by b.base_monthly, b.markup_monthly, b.backups_monthly, b.backups_enabled) g) as servers,
           (select coalesce(json_agg(json_build_object(
                     'seq', r.seq::text, 'entry_id', r.entry_id, 'id', r.id, 'kind', r.kind,
                     'description', r.description, 'amount', r.amount::text,
                     'balance_after', r.balance_after::text, 'created_at', r.created_at,
                     'servers', case when r.kind = 'vps_charge' then (
                       select json_agg(json_build_object('serverId', x.server_id, 'label', x.label, 'hours', x.hours,
                                                         'amount', x.amount::text) order by x.label)
                         from (select c.server_id, s.label, count(*)::int as hours, sum(c.amount) as amount
                                 from server_charges c
                                 join servers s on s.id = c.server_id
                                where c.organization_id = ${organizationId} and c.ledger_transaction_id = r.id
                                group by c.server_id, s.label) x) end)
                   order by r.seq desc), '[]')
              from recent r) as recent,
           ${topUpsInProgressJson(organizationId)} as top_ups_in_progress
      from w
     cross join lateral (
       select coalesce(sum(amount) filter (where created_at >= ${monthStartOf(opts.now)}), 0)::bigint as month,
              coalesce(sum(amount), 0)::bigint as total
         from spend) f
      left join lateral (${lastTopUpRow(sql`w.id`)}) top on true`.execute(db);
  const r = rows[0];
  // Every organization has its wallet (made with it): none is a broken database, not a 404.
  if (!r) throw new Error(`organization ${organizationId} has no wallet`);

  const wallet: Wallet = { id: r.id, organizationId, balance: r.balance, currency: r.currency };
  const servers = { count: 0, active: 0, monthlyEstimate: 0n, hourlyBurn: 0n };
  for (const g of r.servers) {
    const monthly = monthlyOf({
      base_monthly: bigOrNull(g.base_monthly),
      markup_monthly: bigOrNull(g.markup_monthly),
      backups_monthly: bigOrNull(g.backups_monthly),
      backups_enabled: g.backups_enabled,
    });
    servers.count += g.n;
    servers.active += g.running;
    servers.monthlyEstimate += monthly * BigInt(g.n);
    servers.hourlyBurn += hourlyRate(monthly) * BigInt(g.n);
  }
  const shown = r.recent.slice(0, opts.recent);
  const lines: WalletLine[] = shown.map((l) => ({
    transactionId: l.id,
    entryId: l.entry_id,
    cursor: l.seq,
    kind: l.kind,
    description: l.description,
    amount: BigInt(l.amount),
    balanceAfter: BigInt(l.balance_after ?? 0),
    createdAt: new Date(l.created_at),
  }));
  const charged = new Map<string, ChargedServer[]>();
  for (const l of shown)
    if (l.servers)
      charged.set(
        l.id,
        l.servers.map((s) => ({ ...s, amount: BigInt(s.amount) })),
      );
  return {
    wallet,
    summary: summaryOf(r),
    series: spendSeries(
      days.names,
      r.days.map((d) => ({ day: d.day, amount: BigInt(d.amount) })),
    ),
    servers: { ...servers, runwayDays: runwayDays(wallet.balance, servers.hourlyBurn) },
    recent: lines,
    more: r.recent.length > opts.recent,
    charged,
    topUpsInProgress: topUpsInProgressOf(r.top_ups_in_progress),
  };
}

/**
 * The billed servers of the statement's organization (`w`), as billingSummary counts them. The
 * same query every time: built once per Db (building it, every column of a server's view, showed
 * in profiles of the page).
 */
function billedServersOfW(db: DbOrTx): Expression<unknown> {
  let q = billedOfW.get(db);
  if (!q) billedOfW.set(db, (q = billedServerRows(db).where('s.organization_id', '=', sql<string>`w.organization_id`)));
  return q;
}
const billedOfW = new WeakMap<DbOrTx, Expression<unknown>>();

const bigOrNull = (v: string | null) => (v === null ? null : BigInt(v));
