import type { MiddlewareHandler } from 'hono';
import type { DbOrTx } from '../../db/index.ts';
import { ipRuleFor, readSecurityRules } from '../../domain/security/rules.ts';
import type { DataCache } from '../../lib/data-cache.ts';
import { AppError } from '../../lib/errors.ts';
import type { Clock } from '../../lib/time.ts';

declare module 'hono' {
  interface ContextVariableMap {
    /** The IP rule matching the client address (middleware/ip-rules.ts): 'allow', or null for none. */
    ipRule: 'allow' | 'block' | null;
  }
}

/** Paths a blocked address still reaches: the load balancer's probes. */
const OPEN_PATHS = new Set(['/health', '/ready']);

/**
 * IP block rules (src/domain/security/rules.ts): a request from a blocked address gets 403 on
 * every route but /health and /ready — the error page for HTML, the JSON envelope
 * (`ip_blocked`) under /api — through the app's error handler. The client address is the one
 * request-context computed (TRUSTED_PROXY_COUNT). Rules come from the process's data cache
 * (forgotten through NOTIFY when they change); expired rules never apply. An `allow` rule is
 * only noted (`ipRule`): the rate limiter skips counting such an address, authentication is
 * unchanged. Mounted once at the top of the app and once in the API (which may be built on
 * its own); the second is a no-op when the first has run.
 *
 * @example app.use(ipRules(deps))
 */
export function ipRules(deps: { db: DbOrTx; clock: Clock; cache?: DataCache | null }): MiddlewareHandler {
  return async function ipRulesMiddleware(c, next) {
    if (c.get('ipRule') !== undefined || OPEN_PATHS.has(c.req.path)) return next();
    const rule = ipRuleFor(await readSecurityRules(deps), c.get('clientIp') ?? '', deps.clock.now());
    c.set('ipRule', rule);
    if (rule === 'block') throw new AppError('ip_blocked', 403, 'Access from your network is blocked.');
    return next();
  };
}
