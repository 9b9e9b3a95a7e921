import { serve } from '@hono/node-server';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config.ts';
import { metricsRoutes } from './route.ts';
import type { ScrapeDeps } from './scrape.ts';

export interface MetricsServer {
  /** The port it listens on (METRICS_PORT, or the one the system chose for port 0). */
  port: number;
  close(): Promise<void>;
}

/**
 * The internal listener (METRICS_PORT on METRICS_HOST, loopback by default) serving GET /metrics
 * and nothing else, with no token asked unless METRICS_TOKEN is set. It serves worker-only
 * processes too (WEB_ENABLED=false: no SSE subscribers to report), whose job metrics are their own.
 */
export async function serveMetrics(
  deps: ScrapeDeps & { config: Pick<Config, 'METRICS_TOKEN'> },
  listen: { port: number; host: string },
): Promise<MetricsServer> {
  const app = metricsRoutes(deps, { public: false });
  const server = serve({ fetch: app.fetch, port: listen.port, hostname: listen.host }) as Server;
  await new Promise<void>((resolve, reject) => {
    if (server.listening) return resolve();
    server.once('listening', resolve);
    server.once('error', (err) =>
      reject(new Error(`cannot listen for metrics on ${listen.host}:${listen.port}: ${err.message}`)),
    );
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
