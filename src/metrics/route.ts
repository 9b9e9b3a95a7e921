import { createHash, timingSafeEqual } from 'node:crypto';
import { Hono } from 'hono';
import { Registry } from 'prom-client';
import type { Config } from '../config.ts';
import { enableDefaultMetrics, processRegistry } from './registry.ts';
import { scrapeMetrics, type ScrapeDeps } from './scrape.ts';

export interface MetricsOptions {
  /**
   * Whether the caller must present METRICS_TOKEN. The public app: yes, and without a token
   * configured /metrics is not served there (404). The internal port (METRICS_PORT, loopback by
   * default) is protected by where it listens: the token is asked only when one is configured.
   */
  public: boolean;
}

/**
 * `GET /metrics`: Prometheus text format. No session, no CSRF, no rate limit (mount it outside
 * the HTML app): a scraper authenticates with `Authorization: Bearer <METRICS_TOKEN>` alone.
 */
export function metricsRoutes(deps: ScrapeDeps & { config: Pick<Config, 'METRICS_TOKEN'> }, opts: MetricsOptions) {
  enableDefaultMetrics();
  const scrape = scrapeMetrics(deps);
  const token = deps.config.METRICS_TOKEN;
  const app = new Hono();
  app.get('/metrics', async (c) => {
    if (!token && opts.public) return c.notFound();
    if (token && !bearerMatches(c.req.header('authorization'), token))
      return c.text('A bearer token (METRICS_TOKEN) is required.\n', 401, {
        'WWW-Authenticate': 'Bearer realm="metrics"',
        'Cache-Control': 'no-store',
      });
    await scrape.refresh();
    // Merged per scrape: metrics registered later (the console's gauge) are included.
    const registry = Registry.merge([processRegistry, scrape.registry]);
    return c.body(await registry.metrics(), 200, {
      'Content-Type': registry.contentType,
      'Cache-Control': 'no-store',
    });
  });
  return app;
}

/** Whether `header` is `Bearer <token>`, compared in constant time (digests of equal length). */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!m) return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(m[1]!), digest(token));
}
