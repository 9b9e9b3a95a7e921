import { BlockList, isIP } from 'node:net';
import { sql } from 'kysely';
import type { DbOrTx } from '../../db/index.ts';
import type { DataCache } from '../../lib/data-cache.ts';

/**
 * The IP allow/block rules and per-user rate-limit overrides as each process applies them
 * (issue 16 item 8). Both tables are small and read on every request, so they are kept in the
 * process's data cache under the `security` scope: their triggers NOTIFY at commit (migration
 * 0037), every process forgets the snapshot, and the next request reads it again. Expiry is
 * checked at each request with the clock, so an expired rule never applies even while the
 * snapshot holding it is kept. Without a listening hub the cache reads through (one small query).
 *
 * - A `block` rule refuses every request from a matching address (src/web/middleware/ip-rules.ts),
 *   except /health and /ready. An `allow` rule exempts the address from rate limits, never from
 *   authentication. The most specific matching network wins; on a tie, `block`.
 * - An override applies to the signed-in user's (or token owner's) tier limit: an explicit limit
 *   per window, a multiplier of the tier's limit, or exempt. Strict per-action limits (sign-in,
 *   registration, reset) are per address and never loosened by an override.
 */

export const SECURITY_SCOPE = 'security';
const CACHE_KEY = 'security:rules';

export interface IpRuleEntry {
  network: string;
  action: 'allow' | 'block';
  expiresAt: Date | null;
  prefix: number;
  list: BlockList;
}

export interface OverrideEntry {
  maxRequests: number | null;
  multiplier: number | null;
  exempt: boolean;
  expiresAt: Date | null;
}

export interface SecurityRules {
  ip: IpRuleEntry[];
  overrides: Map<string, OverrideEntry>;
}

/** Every rule and override, expired ones included (the caller checks expiry with its clock). */
export async function loadSecurityRules(db: DbOrTx): Promise<SecurityRules> {
  const [rules, overrides] = await Promise.all([
    db.selectFrom('ip_rules').select(['network', 'action', 'expires_at']).execute(),
    db
      .selectFrom('rate_limit_overrides')
      .select([
        'user_id',
        'max_requests',
        sql<number | null>`multiplier::float8`.as('multiplier'),
        'exempt',
        'expires_at',
      ])
      .execute(),
  ]);
  return {
    ip: rules
      .map((r) => ipRuleEntry(r.network, r.action, r.expires_at))
      .filter((r): r is IpRuleEntry => r !== null)
      .sort((a, b) => b.prefix - a.prefix || (a.action === 'block' ? -1 : 1) - (b.action === 'block' ? -1 : 1)),
    overrides: new Map(
      overrides.map((o) => [
        o.user_id,
        { maxRequests: o.max_requests, multiplier: o.multiplier, exempt: o.exempt, expiresAt: o.expires_at },
      ]),
    ),
  };
}

/** While the data cache is not listening (no NOTIFY): a snapshot kept this long per database. */
export const FALLBACK_TTL_MS = 5_000;
const fallback = new WeakMap<DbOrTx, { at: number; rules: Promise<SecurityRules> }>();

/**
 * The rules from the process's data cache (loaded when not kept). When the cache is not
 * listening (its LISTEN connection is down, or a process without one), a snapshot is kept for
 * FALLBACK_TTL_MS instead of reading on every request: changes then apply within seconds.
 */
export function readSecurityRules(deps: { db: DbOrTx; cache?: DataCache | null }): Promise<SecurityRules> {
  if (deps.cache?.active) return deps.cache.read(CACHE_KEY, [SECURITY_SCOPE], () => loadSecurityRules(deps.db));
  const kept = fallback.get(deps.db);
  if (kept && Date.now() - kept.at < FALLBACK_TTL_MS) return kept.rules;
  const rules = loadSecurityRules(deps.db);
  fallback.set(deps.db, { at: Date.now(), rules });
  // A failed read is not kept.
  rules.catch(() => fallback.delete(deps.db));
  return rules;
}

/** Forgets what this process keeps (its own writes: seen at once, before the NOTIFY comes back). */
export function forgetSecurityRules(deps: { db: DbOrTx; cache?: DataCache | null }): void {
  deps.cache?.forget([SECURITY_SCOPE]);
  fallback.delete(deps.db);
}

const live = (expiresAt: Date | null, now: Date) => expiresAt === null || expiresAt > now;

/** The action of the most specific live rule matching `ip` (null: none, or `ip` is not an address). */
export function ipRuleFor(rules: SecurityRules, ip: string, now: Date): 'allow' | 'block' | null {
  const family = isIP(ip);
  if (!family) return null;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  for (const rule of rules.ip) if (live(rule.expiresAt, now) && rule.list.check(ip, type)) return rule.action;
  return null;
}

/** The user's limit per window given their tier's, and whether they are exempt (a live override only). */
export function limitFor(
  rules: SecurityRules,
  userId: string | null,
  tierLimit: number,
  now: Date,
): { limit: number; exempt: boolean } {
  const o = userId ? rules.overrides.get(userId) : undefined;
  if (!o || !live(o.expiresAt, now)) return { limit: tierLimit, exempt: false };
  if (o.exempt) return { limit: tierLimit, exempt: true };
  if (o.maxRequests !== null) return { limit: o.maxRequests, exempt: false };
  if (o.multiplier !== null) return { limit: Math.max(1, Math.round(tierLimit * o.multiplier)), exempt: false };
  return { limit: tierLimit, exempt: false };
}

/** A network as written ("203.0.113.7", "203.0.113.0/24", "2001:db8::/32"), or null when it is not one. */
export function parseNetwork(value: string): { address: string; prefix: number; family: 4 | 6 } | null {
  const v = value.trim();
  const m = /^([0-9a-fA-F:.]+)(?:\/(\d{1,3}))?$/.exec(v);
  if (!m) return null;
  const family = isIP(m[1]!);
  if (family !== 4 && family !== 6) return null;
  const max = family === 4 ? 32 : 128;
  const prefix = m[2] === undefined ? max : Number(m[2]);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) return null;
  return { address: m[1]!, prefix, family };
}

/** Whether `ip` is inside `network` (both as written; false when either is not valid). */
export function networkContains(network: string, ip: string): boolean {
  const n = parseNetwork(network);
  const family = isIP(ip);
  if (!n || !family) return false;
  const list = new BlockList();
  list.addSubnet(n.address, n.prefix, n.family === 4 ? 'ipv4' : 'ipv6');
  return list.check(ip, family === 4 ? 'ipv4' : 'ipv6');
}

function ipRuleEntry(network: string, action: 'allow' | 'block', expiresAt: Date | null): IpRuleEntry | null {
  const n = parseNetwork(network);
  if (!n) return null;
  const list = new BlockList();
  list.addSubnet(n.address, n.prefix, n.family === 4 ? 'ipv4' : 'ipv6');
  return { network, action, expiresAt, prefix: n.prefix, list };
}
