import type { Context, MiddlewareHandler } from 'hono';
import type { Config } from '../../config.ts';
import type { Db } from '../../db/index.ts';
import { consumeRateLimit } from '../../domain/security/rate-limit.ts';
import type { SharedRateLimiter } from '../../domain/security/shared-limiter.ts';
import type { Clock } from '../../lib/time.ts';

type Who = { id: string; isAdmin: boolean } | null;

/**
 * Request rate limits in three tiers — anonymous (per IP), signed in (per user), admin —
 * with `RateLimit-*` headers and 429 + `Retry-After`. With `bucket` it is a strict limit for
 * one sensitive action (sign-in, registration, reset, 2FA) counted per IP: `limit` requests
 * per window, RATE_LIMIT_AUTH_ACTIONS unless given.
 *
 * IP rules and per-user overrides (src/domain/security/rules.ts, staff's /admin/security) apply
 * here through the limiter: an `allow` address is never counted, a `block` one gets 403 (the
 * ip-rules middleware has usually refused it already), and a signed-in user's or token owner's
 * live override replaces, multiplies or lifts their tier's limit. A bucket is per address:
 * overrides never loosen it.
 *
 * @example app.use(rateLimit({ db, config, clock, limiter, who: (c) => c.get('auth')?.user ?? null }))
 * @example app.post('/login', rateLimit({ db, config, clock, limiter, bucket: 'login' }), handler)
 */
export function rateLimit(opts: {
  db: Db;
  config: Config;
  clock: Clock;
  /** Counts tier limits; strict buckets always count exactly in the database. */
  limiter: SharedRateLimiter;
  who?: (c: Context) => Who;
  bucket?: string;
  /** With `bucket`: its limit per window (default RATE_LIMIT_AUTH_ACTIONS). */
  limit?: number;
  onLimited?: (c: Context, retryAfter: number, blocked: boolean) => Response | Promise<Response>;
}): MiddlewareHandler {
  const { config } = opts;
  return async function rateLimitMiddleware(c, next) {
    const user = opts.who?.(c) ?? null;
    const ip = c.get('clientIp');
    const [key, limit] = opts.bucket
      ? [`action:${opts.bucket}:${ip}`, opts.limit ?? config.RATE_LIMIT_AUTH_ACTIONS]
      : user
        ? [`user:${user.id}`, user.isAdmin ? config.RATE_LIMIT_ADMIN : config.RATE_LIMIT_AUTHENTICATED]
        : [`ip:${ip}`, config.RATE_LIMIT_ANONYMOUS];
    const input = {
      key,
      ip,
      userId: user?.id ?? null,
      limit,
      windowMinutes: config.RATE_LIMIT_WINDOW_MINUTES,
      now: opts.clock.now(),
    };
    const d = opts.bucket ? await consumeRateLimit(opts.db, input) : await opts.limiter.consume(input);
    if (!d.allowed) {
      const res = opts.onLimited
        ? await opts.onLimited(c, d.resetSeconds, d.blocked)
        : c.text(
            d.blocked ? 'Access from your network is blocked.' : 'Too many requests. Please slow down.',
            d.blocked ? 403 : 429,
          );
      if (!d.blocked) res.headers.set('Retry-After', String(d.resetSeconds));
      setHeaders(res.headers, d.limit, d.remaining, d.resetSeconds);
      return res;
    }
    await next();
    // A stricter per-action limit that refused the request has already set its own headers.
    if (!opts.bucket && !c.res.headers.has('RateLimit-Limit'))
      setHeaders(c.res.headers, d.limit, d.remaining, d.resetSeconds);
  };
}

function setHeaders(h: Headers, limit: number, remaining: number, reset: number) {
  h.set('RateLimit-Limit', String(limit));
  h.set('RateLimit-Remaining', String(remaining));
  h.set('RateLimit-Reset', String(reset));
}
