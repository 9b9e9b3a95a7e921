import { sql } from 'kysely';
import type { DbOrTx } from '../../db/index.ts';
import { ForbiddenError, NotFoundError } from '../../lib/errors.ts';
import { can, type Actor } from '../access/actor.ts';
import { requirePlatformAdmin } from '../access/guard.ts';
import { listCredits, listPacks, type CreditView, type PackView } from './manage.ts';
import {
  DEFAULT_PRICE_PER_GB,
  hoursInMonth,
  includedSql,
  monthKey,
  monthStartOf,
  priceBytes,
  usedSql,
} from './units.ts';

/**
 * What customers and staff read of transfer: this month's usage per region pool and per
 * server from the stored readings, included transfer (the same proration the engine bills
 * by), a projection for the whole month, credits, packs and the history of charges.
 */

export interface PoolUsage {
  providerId: string;
  region: string;
  regionLabel: string;
  usedBytes: bigint;
  includedBytes: bigint;
  overageBytes: bigint;
  /** Used so far scaled to the whole month (by the hours elapsed since the month began). */
  projectedBytes: bigint;
  projectedOverageBytes: bigint;
  /** The projected overage at the region's price, before credits. */
  projectedCost: bigint;
  pricePerGb: bigint;
  /** Charged this month so far (wallet), and GB paid from credits. */
  chargedAmount: bigint;
  chargedBytes: bigint;
  creditBytes: bigint;
  closed: boolean;
}

export interface ServerUsage {
  id: string;
  label: string;
  region: string;
  status: string;
  usedBytes: bigint;
  lastReadAt: Date | null;
}

export interface HistoryLine {
  kind: 'hour' | 'close';
  at: Date;
  region: string;
  bytes: bigint;
  creditBytes: bigint;
  amount: bigint;
  currency: string;
}

export interface TransferOverview {
  month: string;
  pools: PoolUsage[];
  servers: ServerUsage[];
  credits: CreditView[];
  creditRemainingBytes: bigint;
  packs: PackView[];
  history: HistoryLine[];
  totals: { usedBytes: bigint; includedBytes: bigint; projectedCost: bigint; chargedAmount: bigint };
}

/** The usage of every region pool of `organizationId` in the month of `now`. */
export async function poolUsage(db: DbOrTx, organizationId: string, now: Date): Promise<PoolUsage[]> {
  const ms = monthStartOf(now);
  const month = monthKey(now);
  const rows = await sql<{
    provider_id: string;
    region: string;
    label: string | null;
    used: string | null;
    included: string | null;
    price: bigint | null;
    charged: string;
    charged_bytes: string;
    credit_bytes: string;
    closed: boolean;
  }>`
    with used as (${usedSql(month, { organizationId })}),
         inc as (${includedSql(ms, { organizationId })}),
         pools as (select provider_id, region from used union select provider_id, region from inc),
         acc as (select provider_id, region, sum(amount)::bigint as charged, sum(billed_bytes)::bigint as billed,
                        sum(credit_bytes)::bigint as credit
                   from transfer_accruals where organization_id = ${organizationId}::uuid and month = ${month}::date
                  group by 1, 2),
         cl as (select provider_id, region, amount, greatest(delta_bytes, 0) as billed, credit_bytes as credit
                  from transfer_month_closes where organization_id = ${organizationId}::uuid and month = ${month}::date)
    select p.provider_id, p.region, r.label, u.used, i.included, t.price_per_gb as price,
           (coalesce(a.charged, 0) + coalesce(c.amount, 0))::text as charged,
           (coalesce(a.billed, 0) + coalesce(c.billed, 0))::text as charged_bytes,
           (coalesce(a.credit, 0) + coalesce(c.credit, 0))::text as credit_bytes,
           c.provider_id is not null as closed
      from pools p
      left join used u on u.provider_id = p.provider_id and u.region = p.region and u.organization_id = ${organizationId}::uuid
      left join inc i on i.provider_id = p.provider_id and i.region = p.region and i.organization_id = ${organizationId}::uuid
      left join server_regions r on r.provider_id = p.provider_id and r.region_id = p.region
      left join transfer_region_prices t on t.provider_id = p.provider_id and t.region_id = p.region
      left join acc a on a.provider_id = p.provider_id and a.region = p.region
      left join cl c on c.provider_id = p.provider_id and c.region = p.region
     order by coalesce(r.label, p.region)`.execute(db);
  const elapsedHours = Math.max(1, Math.ceil((now.getTime() - ms.getTime()) / 3_600_000));
  const monthHours = hoursInMonth(now);
  return rows.rows.map((r) => {
    const used = BigInt(r.used ?? '0');
    const included = BigInt(r.included ?? '0');
    const price = r.price ?? DEFAULT_PRICE_PER_GB;
    const projected = elapsedHours >= monthHours ? used : (used * BigInt(monthHours)) / BigInt(elapsedHours);
    const projectedOverage = projected > included ? projected - included : 0n;
    return {
      providerId: r.provider_id,
      region: r.region,
      regionLabel: r.label ?? r.region,
      usedBytes: used,
      includedBytes: included,
      overageBytes: used > included ? used - included : 0n,
      projectedBytes: projected,
      projectedOverageBytes: projectedOverage,
      projectedCost: priceBytes(projectedOverage, price),
      pricePerGb: price,
      chargedAmount: BigInt(r.charged),
      chargedBytes: BigInt(r.charged_bytes),
      creditBytes: BigInt(r.credit_bytes),
      closed: r.closed,
    };
  });
}

/** Each server's transfer this month (its greatest reading), deleted servers included. */
export async function serverUsage(db: DbOrTx, organizationId: string, now: Date): Promise<ServerUsage[]> {
  const month = monthKey(now);
  const rows = await db
    .selectFrom('transfer_server_months as t')
    .innerJoin('servers as s', 's.id', 't.server_id')
    .select(['s.id', 's.label', 's.region', 's.status', 't.used_bytes', 't.last_hour'])
    .where('t.organization_id', '=', organizationId)
    .where(sql<boolean>`t.month = ${month}::date`)
    .orderBy('s.label')
    .orderBy('s.id')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    label: r.label,
    region: r.region,
    status: r.status,
    usedBytes: r.used_bytes,
    lastReadAt: r.last_hour,
  }));
}

/** One server's transfer this month (null: not read yet). */
export async function serverTransferThisMonth(db: DbOrTx, serverId: string, now: Date): Promise<bigint | null> {
  const row = await db
    .selectFrom('transfer_server_months')
    .select(sql<string>`used_bytes::text`.as('used'))
    .where('server_id', '=', serverId)
    .where(sql<boolean>`month = ${monthKey(now)}::date`)
    .executeTakeFirst();
  return row?.used ? BigInt(row.used) : null;
}

export async function transferHistory(db: DbOrTx, organizationId: string, limit = 50): Promise<HistoryLine[]> {
  const rows = await sql<{
    kind: 'hour' | 'close';
    at: Date;
    region: string;
    bytes: string;
    credit: string;
    amount: bigint;
    currency: string;
  }>`
    select * from (
      select 'hour' as kind, hour_start as at, region, billed_bytes::text as bytes, credit_bytes::text as credit, amount, currency
        from transfer_accruals where organization_id = ${organizationId}::uuid
      union all
      select 'close', month::timestamp at time zone 'UTC', region, delta_bytes::text, credit_bytes::text, amount, currency
        from transfer_month_closes where organization_id = ${organizationId}::uuid and delta_bytes <> 0
    ) h order by at desc, kind limit ${limit}`.execute(db);
  return rows.rows.map((r) => ({
    kind: r.kind,
    at: r.at,
    region: r.region,
    bytes: BigInt(r.bytes),
    creditBytes: BigInt(r.credit),
    amount: r.amount,
    currency: r.currency.trim(),
  }));
}

/** The customer's /billing/transfer and GET /billing/transfer (needs `egress_view`). */
export async function transferOverview(db: DbOrTx, actor: Actor, now: Date): Promise<TransferOverview> {
  const organizationId = actor.organizationId;
  if (!organizationId) throw new NotFoundError('You do not belong to an organization yet.');
  if (!can(actor, 'egress_view'))
    throw new ForbiddenError("Seeing the organization's transfer needs the egress_view permission.");
  const [pools, servers, credits, packs, history] = await Promise.all([
    poolUsage(db, organizationId, now),
    serverUsage(db, organizationId, now),
    listCredits(db, organizationId),
    listPacks(db, { activeOnly: true }),
    transferHistory(db, organizationId),
  ]);
  return {
    month: monthKey(now).slice(0, 7),
    pools,
    servers,
    credits,
    creditRemainingBytes: credits.reduce((n, c) => n + c.remainingBytes, 0n),
    packs,
    history,
    totals: {
      usedBytes: pools.reduce((n, p) => n + p.usedBytes, 0n),
      includedBytes: pools.reduce((n, p) => n + p.includedBytes, 0n),
      projectedCost: pools.reduce((n, p) => n + p.projectedCost, 0n),
      chargedAmount: pools.reduce((n, p) => n + p.chargedAmount, 0n),
    },
  };
}

export interface LiveUsageRow {
  organizationId: string;
  organizationName: string;
  region: string;
  usedBytes: bigint;
  includedBytes: bigint;
  overageBytes: bigint;
  chargedAmount: bigint;
}

/** Staff: every organization's pools this month (largest use first). */
export async function liveUsage(db: DbOrTx, actor: Actor, now: Date, limit = 200): Promise<LiveUsageRow[]> {
  requirePlatformAdmin(actor);
  const ms = monthStartOf(now);
  const month = monthKey(now);
  const rows = await sql<{
    organization_id: string;
    name: string;
    region: string;
    used: string;
    included: string | null;
    charged: string;
  }>`
    with used as (${usedSql(month)}),
         inc as (${includedSql(ms)}),
         acc as (select organization_id, provider_id, region, sum(amount)::bigint as charged
                   from transfer_accruals where month = ${month}::date group by 1, 2, 3)
    select u.organization_id, o.name, u.region, u.used, i.included, coalesce(a.charged, 0)::text as charged
      from used u
      join organizations o on o.id = u.organization_id
      left join inc i using (organization_id, provider_id, region)
      left join acc a using (organization_id, provider_id, region)
     order by u.used::bigint desc, o.name
     limit ${limit}`.execute(db);
  return rows.rows.map((r) => {
    const used = BigInt(r.used);
    const included = BigInt(r.included ?? '0');
    return {
      organizationId: r.organization_id,
      organizationName: r.name,
      region: r.region,
      usedBytes: used,
      includedBytes: included,
      overageBytes: used > included ? used - included : 0n,
      chargedAmount: BigInt(r.charged),
    };
  });
}
