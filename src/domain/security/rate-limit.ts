import { isIP } from 'node:net';
import { sql } from 'kysely';
import type { DbOrTx } from '../../db/index.ts';

export interface RateLimitDecision {
  /** false when over the limit or the IP is blocked. */
  allowed: boolean;
  blocked: boolean;
  limit: number;
  remaining: number;
  resetSeconds: number;
}

/**
 * Counts one request against `key` in a fixed window and decides, in one round trip: an IP
 * `block` rule refuses, an `allow` rule skips counting, a per-user override replaces the
 * tier's limit (or multiplies it, or exempts the user); expired rules and overrides never apply. Counters live in PostgreSQL so every instance shares them.
 */
export async function consumeRateLimit(
  db: DbOrTx,
  input: { key: string; ip: string; userId: string | null; limit: number; windowMinutes: number; now: Date },
): Promise<RateLimitDecision> {
  const windowMs = input.windowMinutes * 60_000;
  const windowStart = new Date(Math.floor(input.now.getTime() / windowMs) * windowMs);
  const resetSeconds = Math.max(1, Math.ceil((windowStart.getTime() + windowMs - input.now.getTime()) / 1000));
  const ip = isIP(input.ip) ? input.ip : '0.0.0.0';
  // Expired rules and overrides never apply (migration 0037).
  const { rows } = await sql<{
    action: 'allow' | 'block' | null;
    max_requests: number | null;
    multiplier: number | null;
    exempt: boolean | null;
    count: number | null;
  }>`
    with rule as (
      select action from ip_rules
      where network >>= ${ip}::inet and (expires_at is null or expires_at > ${input.now})
      order by masklen(network) desc, (action = 'block') desc limit 1
    ), override as (
      select max_requests, multiplier::float8 as multiplier, exempt from rate_limit_overrides
      where user_id = ${input.userId}::uuid and (expires_at is null or expires_at > ${input.now})
    ), hit as (
      insert into rate_limit_counters (key, window_start, count)
      select ${input.key}, ${windowStart}, 1 where not exists (select 1 from rule)
      on conflict (key, window_start) do update set count = rate_limit_counters.count + 1
      returning count
    )
    select (select action from rule) as action,
           (select max_requests from override) as max_requests,
           (select multiplier from override) as multiplier,
           (select exempt from override) as exempt,
           (select count from hit) as count`.execute(db);
  const row = rows[0]!;
  const limit =
    row.max_requests ?? (row.multiplier !== null ? Math.max(1, Math.round(input.limit * row.multiplier)) : input.limit);
  if (row.action === 'block') return { allowed: false, blocked: true, limit, remaining: 0, resetSeconds };
  if (row.action === 'allow') return { allowed: true, blocked: false, limit, remaining: limit, resetSeconds };
  const count = row.count ?? 0;
  return {
    allowed: row.exempt === true || count <= limit,
    blocked: false,
    limit,
    remaining: Math.max(0, limit - count),
    resetSeconds,
  };
}
