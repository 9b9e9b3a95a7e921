import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';
import { randomUUID } from 'node:crypto';
import type { Logger } from '../../lib/log.ts';

/**
 * Gives every request an id (echoed as `X-Request-Id`), a child logger carrying it, and the
 * client IP: the socket address, or — only when `trustedProxies` > 0 — the address that
 * many hops from the right of `X-Forwarded-For`. Logs one line per request.
 *
 * @example app.use(requestContext({ log, trustedProxies: 1 }))
 */
export function requestContext(opts: { log: Logger; trustedProxies?: number }): MiddlewareHandler {
  const trusted = opts.trustedProxies ?? 0;
  return async function requestContextMiddleware(c, next) {
    const incoming = c.req.header('x-request-id');
    const requestId = incoming && /^[\w-]{8,64}$/.test(incoming) ? incoming : randomUUID();
    const clientIp = clientAddress(c, trusted);
    const log = opts.log.child({ request_id: requestId });
    c.set('requestId', requestId);
    c.set('clientIp', clientIp);
    c.set('log', log);
    const started = performance.now();
    await next();
    c.header('X-Request-Id', requestId);
    const ms = Math.round((performance.now() - started) * 10) / 10;
    const status = c.res.status;
    // The path only: query strings can carry tokens and are not logged.
    log[status >= 500 ? 'error' : 'info']({ method: c.req.method, path: c.req.path, status, ms, ip: clientIp }, 'request');
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
    const hops = (c.req.header('x-forwarded-for') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    const candidate = hops[hops.length - trusted];
    if (candidate) return candidate;
  }
  return socketIp.replace(/^::ffff:/, '');
}
