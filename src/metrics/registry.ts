import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The process's own Prometheus metrics (never prom-client's global registry): what code counts
 * as it runs (HTTP requests, job runs, emails). What is read at scrape time (pool, queues,
 * billing, subscribers) is registered per app by src/metrics/scrape.ts; GET /metrics serves
 * both (src/metrics/route.ts). Every label takes a bounded set of values: route patterns,
 * queue names, templates — never a raw URL, an id or an address.
 */
export const processRegistry = new Registry();

let defaults = false;
/** Node's process metrics (CPU, memory, event loop lag, GC, handles), once per process, when /metrics is mounted. */
export function enableDefaultMetrics(): void {
  if (defaults) return;
  defaults = true;
  collectDefaultMetrics({ register: processRegistry });
}

export const httpRequestDuration = new Histogram({
  name: 'skypanel_http_request_duration_seconds',
  help: 'Time to answer an HTTP request (until its headers; a stream is not timed to its end), by method, route pattern and status.',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [processRegistry],
});

export const jobRunDuration = new Histogram({
  name: 'skypanel_job_run_duration_seconds',
  help: 'Duration of scheduled job runs recorded in job_runs, by queue and outcome (succeeded, failed).',
  labelNames: ['queue', 'status'] as const,
  buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900],
  registers: [processRegistry],
});

export const jobRunFailures = new Counter({
  name: 'skypanel_job_run_failures_total',
  help: 'Scheduled job runs that failed (pg-boss retries them), by queue.',
  labelNames: ['queue'] as const,
  registers: [processRegistry],
});

export const emailsQueued = new Counter({
  name: 'skypanel_emails_queued_total',
  help: 'Emails queued for delivery by this process, by template (counted when queued, even if the transaction that queued one later rolled back).',
  labelNames: ['template'] as const,
  registers: [processRegistry],
});

export const emailDeliveryFailures = new Counter({
  name: 'skypanel_email_delivery_failures_total',
  help: 'Failed email delivery attempts, by kind: temporary (retried) or permanent (the email is marked failed).',
  labelNames: ['kind'] as const,
  registers: [processRegistry],
});

let consoleGauge: Gauge | null = null;
const consoleSessionsGauge = () =>
  (consoleGauge ??= new Gauge({
    name: 'skypanel_console_sessions',
    help: 'Browser console sessions open in this process.',
    registers: [processRegistry],
  }));

/**
 * The hook the browser console (issue 14) uses to report its open sessions. Nothing is exported
 * until the console calls it: a gauge stuck at 0 for a feature that does not exist yet would
 * look like "nobody uses the console". The console calls `enable()` when it is mounted (so the
 * series is there, at 0, from start-up), then `opened()` and `closed()` around each session.
 */
export const consoleSessions = {
  enable(): void {
    consoleSessionsGauge();
  },
  opened(): void {
    consoleSessionsGauge().inc();
  },
  closed(): void {
    consoleSessionsGauge().dec();
  },
};
