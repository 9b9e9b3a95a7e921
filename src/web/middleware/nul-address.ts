import type { MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';

/**
 * A page address with a NUL character in its path or query (`/vps?q=%00`) is a 400 page:
 * no link or person makes one, and PostgreSQL text cannot hold it, so a search or lookup with
 * it failed in the database as a 500 (found by test/fuzz). The JSON API answers these itself
 * (src/web/api/v1/no-nul.ts: 404 for a path, 422 naming the parameter).
 */
export function refuseNulAddress(): MiddlewareHandler {
  return async function refuseNulAddressMiddleware(c, next) {
    const url = c.req.url;
    if (url.includes('%00') && !c.req.path.startsWith('/api/') && /%00/.test(url.slice(url.indexOf('/', 8))))
      throw new HTTPException(400, { message: 'That address is not valid.' });
    await next();
  };
}
