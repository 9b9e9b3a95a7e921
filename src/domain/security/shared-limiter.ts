import { sql } from 'kysely';
import type { Db } from '../../db/index.ts';
import type { DataCache } from '../../lib/data-cache.ts';
import type { RateLimitDecision } from './rate-limit.ts';
import {
  forgetSecurityRules,
  ipRuleFor,
  limitFor,
  loadSecurityRules,
  readSecurityRules,
  type SecurityRules,
} from './rules.ts';

interface Entry {
  windowStart: number;
  /** The shared total across instances, as of our last write (our unused budget included). */
  shared: number;
  /** Requests this process may still admit without asking: reserved in the shared total, not yet used. */
  budget: number;
  /** What to add to the shared total at the next flush: requests refused here, less reservations given back. */
  pending: number;
  /** The reservation this process is making for the key, if one is under way. */
  reserving: Promise<void> | null;
}

/** A reservation takes this share of what the window has left (near the limit: one request at a time). */
const RESERVE_SHARE = 8;

/**
 * Tier rate limits without a database write per request, and without one process's count
 * standing in for all of them: a limit of N admits N requests in a window across every
 * instance, however a proxy spreads them. A process admits only what it has reserved in the
 * shared counter in PostgreSQL: when its reservation is used up it reserves another, an eighth
 * of what the window has left (so near the limit one request at a time, exactly), and the
 * counter grants at most what is left. Once the counter is at the limit, this process refuses
 * without asking again, and adds its refusals to the counter every `flushMs` (one statement for
 * all keys), when it also gives back what it reserved and did not use (so staff's monitor reads
 * admitted + refused, and an idle process holds no budget for long).
 * IP rules and per-user overrides (rules.ts) come from the data cache when `cache` is given
 * (forgotten through NOTIFY when they change, in every process), else are read from the
 * database every `rulesTtlMs`; expired ones never apply.
 * Strict limits on sensitive actions use the exact `consumeRateLimit` instead.
 */
export class SharedRateLimiter {
  private readonly entries = new Map<string, Entry>();
  private rules: SecurityRules = { ip: [], overrides: new Map() };
  private rulesLoadedAt = 0;
  private loading: Promise<void> | null = null;
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly db: Db,
    private readonly opts: {
      flushMs?: number;
      rulesTtlMs?: number;
      onError?: (err: Error) => void;
      /** The process's data cache: rules are read through it (the `security` scope). */
      cache?: DataCache;
    } = {},
  ) {
    this.timer = setInterval(() => void this.flush().catch((err: Error) => opts.onError?.(err)), opts.flushMs ?? 1000);
    this.timer.unref();
  }

  async consume(input: {
    key: string;
    ip: string;
    userId: string | null;
    limit: number;
    windowMinutes: number;
    now: Date;
  }): Promise<RateLimitDecision> {
    await this.ensureRules();
    const windowMs = input.windowMinutes * 60_000;
    const windowStart = Math.floor(input.now.getTime() / windowMs) * windowMs;
    const resetSeconds = Math.max(1, Math.ceil((windowStart + windowMs - input.now.getTime()) / 1000));
    const { limit, exempt } = limitFor(this.rules, input.userId, input.limit, input.now);
    const action = ipRuleFor(this.rules, input.ip, input.now);
    if (action === 'block') return { allowed: false, blocked: true, limit, remaining: 0, resetSeconds };
    if (action === 'allow') return { allowed: true, blocked: false, limit, remaining: limit, resetSeconds };

    let entry = this.entries.get(input.key);
    if (!entry || entry.windowStart !== windowStart) {
      entry = { windowStart, shared: 0, budget: 0, pending: 0, reserving: null };
      this.entries.set(input.key, entry);
    }
    const e = entry;
    const used = () => e.shared + e.pending - e.budget;
    const answer = (allowed: boolean): RateLimitDecision => ({
      allowed,
      blocked: false,
      limit,
      remaining: allowed ? Math.max(0, limit - used()) : 0,
      resetSeconds,
    });
    // An exempt user is counted (the monitor shows their volume) but never refused.
    if (exempt) {
      e.pending += 1;
      return answer(true);
    }
    for (;;) {
      if (e.budget > 0) {
        e.budget -= 1;
        return answer(true);
      }
      // The window is spent as far as anyone here knows: refused without a round trip, counted at the next flush.
      if (used() >= limit) {
        e.pending += 1;
        return answer(false);
      }
      // One reservation per key at a time in this process: requests arriving meanwhile share what it brings.
      if (e.reserving) {
        await e.reserving;
        continue;
      }
      const ask = Math.max(1, Math.floor((limit - used()) / RESERVE_SHARE));
      let granted = 0;
      e.reserving = (async () => {
        const total = await this.add(input.key, new Date(windowStart), ask);
        granted = Math.min(ask, Math.max(0, limit - (total - ask)));
        e.shared = total;
        // What the counter could not grant goes back at the next flush.
        e.pending -= ask - granted;
        e.budget += granted;
      })().finally(() => {
        e.reserving = null;
      });
      await e.reserving;
      if (granted === 0) {
        // The counter is spent: refused, and counted.
        e.pending += 1;
        return answer(false);
      }
    }
  }

  private async add(key: string, windowStart: Date, n: number): Promise<number> {
    const { rows } = await sql<{ count: number }>`
      insert into rate_limit_counters (key, window_start, count) values (${key}, ${windowStart}, ${n})
      on conflict (key, window_start) do update set count = rate_limit_counters.count + excluded.count
      returning count`.execute(this.db);
    return rows[0]!.count;
  }

  /** Adds refusals to the shared counters and gives back unused reservations, in one statement. */
  async flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    const batch = [...this.entries]
      .filter(([, e]) => e.pending !== 0 || e.budget > 0)
      .map(([key, e]) => {
        // What was reserved and not used goes back now: no request may use it after this.
        const returned = e.budget;
        e.budget = 0;
        e.pending -= returned;
        return { key, e, n: e.pending };
      });
    const cutoff = Date.now() - 24 * 3_600_000;
    for (const [key, e] of this.entries)
      if (e.pending === 0 && e.budget === 0 && e.windowStart < cutoff) this.entries.delete(key);
    if (!batch.length) return;
    this.flushing = (async () => {
      const { rows } = await sql<{ key: string; window_start: Date; count: number }>`
        insert into rate_limit_counters (key, window_start, count)
        select * from unnest(${batch.map((b) => b.key)}::text[], ${batch.map((b) => new Date(b.e.windowStart))}::timestamptz[], ${batch.map((b) => b.n)}::int[])
        on conflict (key, window_start) do update set count = rate_limit_counters.count + excluded.count
        returning key, window_start, count`.execute(this.db);
      const totals = new Map(rows.map((r) => [`${r.key}@${r.window_start.getTime()}`, r.count]));
      for (const b of batch) {
        b.e.pending -= b.n;
        b.e.shared = totals.get(`${b.key}@${b.e.windowStart}`) ?? b.e.shared + b.n;
      }
    })().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  /** Reloads IP rules and per-user overrides now (admins' changes otherwise apply within the TTL). */
  async refreshRules(): Promise<void> {
    forgetSecurityRules({ db: this.db, cache: this.opts.cache });
    this.rules = await loadSecurityRules(this.db);
    this.rulesLoadedAt = Date.now();
  }

  private async ensureRules(): Promise<void> {
    if (this.opts.cache) {
      this.rules = await readSecurityRules({ db: this.db, cache: this.opts.cache });
      return;
    }
    if (Date.now() - this.rulesLoadedAt < (this.opts.rulesTtlMs ?? 10_000) && this.rulesLoadedAt) return;
    this.loading ??= this.refreshRules().finally(() => {
      this.loading = null;
    });
    // The first load is awaited; later refreshes happen behind the current snapshot.
    if (!this.rulesLoadedAt) await this.loading;
  }

  /** Writes what is pending and stops the timer (shutdown). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush().catch(() => undefined);
  }
}
