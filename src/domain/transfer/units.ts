import { sql } from 'kysely';

/**
 * Units of transfer billing. A "GB" is 2^30 bytes (what the Linode emulator assumes for its
 * `billable`; Linode does not document it): the customer is never billed for bytes the
 * provider would not count. Bytes are exact integers (bigint) everywhere; money is integer
 * micro-units.
 */
export const BYTES_PER_GB = 1n << 30n;

/** The overage price per GB of a region without one set by staff: 0.01 per GB (10.00 per TB). */
export const DEFAULT_PRICE_PER_GB = 10_000n;

/** Money for `bytes` at `pricePerGb` micro-units per GB, rounded half up to a micro-unit. */
export function priceBytes(bytes: bigint, pricePerGb: bigint): bigint {
  if (bytes <= 0n) return 0n;
  return (bytes * pricePerGb * 2n + BYTES_PER_GB) / (2n * BYTES_PER_GB);
}

export const gbToBytes = (gb: number | bigint) => BigInt(gb) * BYTES_PER_GB;

/** "12.34 GB" (two decimals, rounded down). */
export function formatGb(bytes: bigint): string {
  const hundredths = (bytes * 100n) / BYTES_PER_GB;
  const whole = hundredths / 100n;
  const frac = (hundredths % 100n).toString().padStart(2, '0');
  return `${whole.toLocaleString('en-US')}.${frac} GB`;
}

/** Bytes as a decimal GB string for the API ("12.345678", six decimals, rounded down). */
export function gbDecimal(bytes: bigint): string {
  const micro = (bytes * 1_000_000n) / BYTES_PER_GB;
  return `${micro / 1_000_000n}.${(micro % 1_000_000n).toString().padStart(6, '0')}`;
}

/** The first instant of `d`'s UTC month. */
export const monthStartOf = (d: Date) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1));
export const nextMonthStart = (d: Date) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1));
/** `YYYY-MM-01` of `d`'s UTC month (the `month` date columns). */
export const monthKey = (d: Date) => monthStartOf(d).toISOString().slice(0, 10);
export const hoursInMonth = (d: Date) => (nextMonthStart(d).getTime() - monthStartOf(d).getTime()) / 3_600_000;

/**
 * Included transfer of every organization's region pools in the month of `monthStart`, as SQL
 * rows (organization_id, provider_id, region, included bytes). The rule (like Linode's
 * proration): a server adds, for each plan it had in the month (its billing periods: a resize
 * counts from the hour it took effect), the plan's transfer_gb × the hours it had it ÷ the
 * month's hours. A live server counts to the month's end, a deleted one to the end of the hour
 * it was deleted in; a failed create adds nothing. `before`: only servers created before it
 * (the hourly run counts servers that exist by the end of the hour it reads).
 */
export function includedSql(monthStart: Date, opts: { before?: Date; organizationId?: string } = {}) {
  const ms = monthStart.toISOString();
  const me = nextMonthStart(monthStart).toISOString();
  const hours = hoursInMonth(monthStart);
  const before = (opts.before ?? nextMonthStart(monthStart)).toISOString();
  return sql<{ organization_id: string; provider_id: string; region: string; included: string }>`
    with srv as (
      select s.id, s.organization_id, s.provider_id, s.region, s.plan_id,
             greatest(${ms}::timestamptz, date_trunc('hour', s.created_at)) as lo,
             least(${me}::timestamptz,
                   coalesce(date_trunc('hour', s.deleted_at) + interval '1 hour', ${me}::timestamptz)) as hi
        from servers s
       where s.status <> 'failed'
         and s.created_at < ${me}::timestamptz
         and s.created_at < ${before}::timestamptz
         and (s.deleted_at is null or s.deleted_at >= ${ms}::timestamptz)
         ${opts.organizationId ? sql`and s.organization_id = ${opts.organizationId}::uuid` : sql``}
    ), spans as (
      select srv.organization_id, srv.provider_id, srv.region, coalesce(bp.plan_id, srv.plan_id) as plan_id,
             greatest(srv.lo, coalesce(bp.effective_from, srv.lo)) as lo,
             least(srv.hi, coalesce(bp.next_from, srv.hi)) as hi
        from srv
        left join lateral (
          select b.plan_id, b.effective_from, lead(b.effective_from) over (order by b.effective_from) as next_from
            from server_billing_periods b where b.server_id = srv.id) bp on true
    )
    select sp.organization_id, sp.provider_id, sp.region,
           floor(sum(p.transfer_gb::numeric * greatest(extract(epoch from (sp.hi - sp.lo)), 0) / 3600)
                 * ${BYTES_PER_GB.toString()}::numeric / ${hours}::numeric)::bigint::text as included
      from spans sp
      join server_plans p on p.id = sp.plan_id
     group by sp.organization_id, sp.provider_id, sp.region`;
}

/**
 * Used bytes per region pool in a month: per server the greatest reading of the month
 * (`transfer_server_months`, kept from the readings by a trigger), summed.
 */
export function usedSql(month: string, opts: { organizationId?: string } = {}) {
  return sql<{ organization_id: string; provider_id: string; region: string; used: string }>`
    select organization_id, provider_id, region, sum(used_bytes)::bigint::text as used
      from transfer_server_months
     where month = ${month}::date
       ${opts.organizationId ? sql`and organization_id = ${opts.organizationId}::uuid` : sql``}
     group by 1, 2, 3`;
}
