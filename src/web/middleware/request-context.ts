import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';
import { randomUUID } from 'node:crypto';
import type { Logger } from '../../lib/log.ts';

/**
 * Paths whose next segment is a secret: emailed links (src/web/pages/public/account.ts, the
 * invitation pages in src/web/pages/portal/organizations/invitations.ts) and the API's
 * invitation answers (src/web/api/v1/invitations/routes.ts). A new route with a token in its path is
 * added here too.
 */
export const SECRET_PATHS = [/^(\/reset-password|\/verify-email|\/invitations|\/api\/v1\/invitations)\/[^/]+/];

/** The path as it may be logged: each secret segment replaced by `:token`. */
export function loggablePath(path: string, secretPaths: readonly RegExp[] = SECRET_PATHS): string {
  return secretPaths.reduce((p, re) => p.replace(re, '$1/:token'), path);
}

/**
 * Gives every request an id (echoed as `X-Request-Id`), a child logger carrying it, and the
 * client IP: the socket address, or — only when `trustedProxies` > 0 — the address that
 * many hops from the right of `X-Forwarded-For`. Logs one line per request, with the path
 * only (no query string) and the secret segments of `secretPaths` (default `SECRET_PATHS`,
 * each a pattern whose first group is kept) replaced by `:token`.
 *
 * @example app.use(requestContext({ log, trustedProxies: 1 }))
 */
export function requestContext(opts: {
  log: Logger;
  trustedProxies?: number;
  secretPaths?: readonly RegExp[];
}): MiddlewareHandler {
  const trusted = opts.trustedProxies ?? 0;
  const secretPaths = opts.secretPaths ?? SECRET_PATHS;
  return async function requestContextMiddleware(c, next) {
    const incoming = c.req.header('x-request-id');
    const requestId = incoming && /^[\w-]{8,64}$/.test(incoming) ? incoming : randomUUID();
    const clientIp = clientAddress(c, trusted);
    // The request's logger carries its id; made on first use (a child logger redacts its
    // bindings when made: a cost on every request, most of which log nothing but their line).
    let child: Logger | undefined;
    const made = () => (child ??= opts.log.child({ request_id: requestId }));
    const log = new Proxy(opts.log, {
      get(_target, prop) {
        const l = made();
        const v = Reflect.get(l, prop, l) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(l) : v;
      },
    });
    c.set('requestId', requestId);
    c.set('clientIp', clientIp);
    c.set('log', log);
    const started = performance.now();
    await next();
    // On the response's own headers: c.header() after the response exists copies the whole
    // Response first (it showed in profiles of every page). Headers of a fetched response are
    // immutable: those still go through the copy.
    try {
      c.res.headers.set('X-Request-Id', requestId);
    } catch {
      c.header('X-Request-Id', requestId);
    }
    const ms = Math.round((performance.now() - started) * 10) / 10;
    const status = c.res.status;
    // The path only: query strings can carry tokens and are not logged, nor are tokens in the path.
    const line = { method: c.req.method, path: loggablePath(c.req.path, secretPaths), status, ms, ip: clientIp };
    const level = status >= 500 ? 'error' : 'info';
    if (child) child[level](line, 'request');
    else if (opts.log.isLevelEnabled(level)) opts.log[level]({ request_id: requestId, ...line }, 'request');
  };
}

function clientAddress(c: Context, trusted: number): string {
  let socketIp = '127.0.0.1';
  try {
    socketIp = getConnInfo(c).remote.address ?? socketIp;
  } catch {
    // app.request() in tests has no socket.
  }
  if (trusted > 0) {
    const hops = (c.req.header('x-forwarded-for') ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const candidate = hops[hops.length - trusted];
    if (candidate) return candidate;
  }
  return socketIp.replace(/^::ffff:/, '');
}
