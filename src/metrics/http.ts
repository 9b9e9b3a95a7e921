import type { MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import { httpRequestDuration } from './registry.ts';

/** The route label of a request no route answered (Hono's not-found, or a catch-all answering 404). */
export const UNMATCHED_ROUTE = 'unmatched';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * Times every request into `skypanel_http_request_duration_seconds`, labelled with the route
 * pattern Hono matched (`/servers/:id`, never the URL with its ids), so the number of series is
 * bounded by the routes the app registers. The pattern is the one of the handler that answered:
 * a page's own route, or the middleware that answered for it (an area's guard, `/admin/*`). A
 * 404 answered by a wildcard (not found, `/api/*`) is `unmatched`. Register it first.
 *
 * @example app.use(httpMetrics())
 */
export function httpMetrics(): MiddlewareHandler {
  // One child per (method, route, status): the label lookup happens once per combination.
  const children = new Map<string, ReturnType<typeof httpRequestDuration.labels>>();
  return async function httpMetrics(c, next) {
    const start = performance.now();
    let failed = false;
    try {
      await next();
    } catch (err) {
      // Only without an onError handler does an error get here: it becomes a 500.
      failed = true;
      throw err;
    } finally {
      const seconds = (performance.now() - start) / 1000;
      const method = METHODS.has(c.req.method) ? c.req.method : 'OTHER';
      const status = failed ? 500 : c.res.status;
      const route = routeLabel(c, status);
      const key = `${method} ${route} ${status}`;
      let child = children.get(key);
      if (!child) children.set(key, (child = httpRequestDuration.labels(method, route, String(status))));
      child.observe(seconds);
    }
  };
}

function routeLabel(c: Parameters<MiddlewareHandler>[0], status: number): string {
  const path = matchedRoutes(c)[c.req.routeIndex]?.path;
  if (!path || (status === 404 && path.includes('*'))) return UNMATCHED_ROUTE;
  return path;
}
