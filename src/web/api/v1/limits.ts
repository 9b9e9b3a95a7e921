import type { Context } from 'hono';
import type { AppDeps } from '../../context.ts';
import { errorEnvelope } from '../../errors.ts';
import { rateLimit } from '../../middleware/rate-limit.ts';

/**
 * The shared rate limiter answering in the JSON envelope (`Retry-After` and `RateLimit-*`
 * are added by `rateLimit`). Without `bucket`: the tier limit, per user when a bearer token
 * is live (admins get the admin tier) else per IP — so it must run after `bearerAuth`.
 * With `bucket`: the strict per-IP limit for one sensitive action; the names are shared with
 * the HTML forms ('login', 'register') so the two doors share one budget.
 *
 * @example api.use(apiRateLimit(deps))
 * @example createRoute({ ..., middleware: [apiRateLimit(deps, 'login')] })
 */
export function apiRateLimit(deps: AppDeps, bucket?: string) {
  const base = { db: deps.db, config: deps.config, clock: deps.clock, limiter: deps.rateLimiter, onLimited: limited };
  // A bucket ignores the caller: a per-user override must not loosen a brute-force limit.
  return bucket ? rateLimit({ ...base, bucket }) : rateLimit({ ...base, who: (c) => c.get('apiActor')?.user ?? null });
}

function limited(c: Context, retryAfter: number, blocked: boolean) {
  if (blocked) return c.json(errorEnvelope('ip_blocked', 'Access from your network is blocked.'), 403);
  return c.json(errorEnvelope('rate_limited', `Too many requests. Try again in ${retryAfter} seconds.`), 429);
}
