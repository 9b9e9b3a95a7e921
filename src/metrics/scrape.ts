import { Counter, Gauge, Registry } from 'prom-client';
import { poolStats, type Db } from '../db/index.ts';
import { billingReadiness } from '../domain/operations/billing-readiness.ts';
import type { DataCache } from '../lib/data-cache.ts';
import type { Logger } from '../lib/log.ts';
import { queues } from '../queue/index.ts';
import { bounded, emailCounts, queueDepth } from './reads.ts';

/** How long one scrape-time database read may take before it is reported as failed. */
export const SCRAPE_READ_TIMEOUT_MS = 2000;

export interface ScrapeDeps {
  db: Db;
  log: Logger;
  /** The realtime hub (src/web/realtime/hub.ts): its SSE subscribers in this process. None (a worker-only process): not reported. */
  hub?: { readonly subscriberCount: number };
  /** The data cache (src/lib/data-cache.ts): its entries and reads in this process. */
  cache?: Pick<DataCache, 'stats'>;
  /** Rendered pages kept for reuse (src/web/rendered-pages.ts): how many, their bytes, and views that found one. */
  renderedPages?: { readonly stats: { size: number; bytes: number; hits: number; misses: number } };
}

/**
 * What is read when Prometheus scrapes, for one app: the pool and the SSE subscribers from
 * memory (collect callbacks), queue depth, emails and billing from the database (`refresh`,
 * before each scrape). A read that fails or times out leaves its series out (billing: NaN) and
 * sets `skypanel_scrape_error{read}` to 1; /metrics still answers.
 */
export function scrapeMetrics(deps: ScrapeDeps): { registry: Registry; refresh(): Promise<void> } {
  const registry = new Registry();
  const registers = [registry];
  const pool = () => poolStats(deps.db);

  new Gauge({
    name: 'skypanel_db_pool_connections',
    help: "Connections in this process's database pool, by state: in_use (lent to a query or transaction) and idle.",
    labelNames: ['state'] as const,
    registers,
    collect() {
      const p = pool();
      if (!p) return;
      this.set({ state: 'in_use' }, p.total - p.idle);
      this.set({ state: 'idle' }, p.idle);
    },
  });
  new Gauge({
    name: 'skypanel_db_pool_waiting',
    help: 'Queries waiting for a free connection of the database pool.',
    registers,
    collect() {
      this.set(pool()?.waiting ?? 0);
    },
  });
  new Gauge({
    name: 'skypanel_db_pool_max_connections',
    help: 'Size limit of the database pool (DATABASE_POOL_MAX).',
    registers,
    collect() {
      this.set(pool()?.max ?? 0);
    },
  });
  const hub = deps.hub;
  if (hub)
    new Gauge({
      name: 'skypanel_sse_subscribers',
      help: 'Server-sent event streams (GET /events) open in this process.',
      registers,
      collect() {
        this.set(hub.subscriberCount);
      },
    });

  const cache = deps.cache;
  if (cache) {
    new Gauge({
      name: 'skypanel_data_cache_entries',
      help: "Entries in this process's data cache (balances, arrears, organizations, catalogue reads).",
      registers,
      collect() {
        this.set(cache.stats.size);
      },
    });
    new Counter({
      name: 'skypanel_data_cache_reads_total',
      help: "Reads of this process's data cache, by result: hit (answered from memory) or miss (read from PostgreSQL).",
      labelNames: ['result'] as const,
      registers,
      collect() {
        // The cache counts; this reports its totals.
        const { hits, misses } = cache.stats;
        this.reset();
        this.inc({ result: 'hit' }, hits);
        this.inc({ result: 'miss' }, misses);
      },
    });
  }

  const pages = deps.renderedPages;
  if (pages) {
    new Gauge({
      name: 'skypanel_rendered_pages_bytes',
      help: 'Bytes of the rendered pages this process keeps for reuse while their inputs are the same.',
      registers,
      collect() {
        this.set(pages.stats.bytes);
      },
    });
    new Counter({
      name: 'skypanel_rendered_page_views_total',
      help: "Page views by result: reused (a kept rendering, this request's nonce and CSRF token filled in) or rendered.",
      labelNames: ['result'] as const,
      registers,
      collect() {
        const { hits, misses } = pages.stats;
        this.reset();
        this.inc({ result: 'reused' }, hits);
        this.inc({ result: 'rendered' }, misses);
      },
    });
  }

  const queueJobs = new Gauge({
    name: 'skypanel_queue_jobs',
    help: 'Jobs per pg-boss queue not finished yet, by state: queued (waiting, retries included) or active.',
    labelNames: ['queue', 'state'] as const,
    registers,
  });
  const emails = new Gauge({
    name: 'skypanel_emails',
    help: 'Emails in the outbox table by status: queued (not delivered yet) or failed (for good).',
    labelNames: ['status'] as const,
    registers,
  });
  const lastBilled = new Gauge({
    name: 'skypanel_billing_last_billed_hour_timestamp_seconds',
    help: 'Start of the last clock hour hourly billing finished (Unix time); NaN when nothing was ever billed.',
    registers,
  });
  const lag = new Gauge({
    name: 'skypanel_billing_lag_seconds',
    help: 'How long the hour after the last billed one has gone unbilled (as /ready reports it).',
    registers,
  });
  const late = new Gauge({
    name: 'skypanel_billing_late',
    help: '1 when billing is more than two hours behind while something is owed (/ready fails), else 0.',
    registers,
  });
  const scrapeError = new Gauge({
    name: 'skypanel_scrape_error',
    help: 'Whether the last scrape-time read failed or timed out (1) or worked (0), by read: queues, emails, billing.',
    labelNames: ['read'] as const,
    registers,
  });

  const reads: Record<string, { run: () => Promise<void>; clear: () => void }> = {
    queues: {
      run: async () => {
        const rows = await bounded(deps.db, SCRAPE_READ_TIMEOUT_MS, queueDepth);
        queueJobs.reset();
        // Every queue has both series, at 0 when empty, so an alert sees "none" rather than "unknown".
        for (const queue of Object.keys(queues))
          for (const state of ['queued', 'active']) queueJobs.set({ queue, state }, 0);
        for (const r of rows) queueJobs.set({ queue: r.queue, state: r.state }, r.jobs);
      },
      clear: () => queueJobs.reset(),
    },
    emails: {
      run: async () => {
        const n = await bounded(deps.db, SCRAPE_READ_TIMEOUT_MS, emailCounts);
        emails.set({ status: 'queued' }, n.queued);
        emails.set({ status: 'failed' }, n.failed);
      },
      clear: () => emails.reset(),
    },
    billing: {
      run: async () => {
        const b = await bounded(deps.db, SCRAPE_READ_TIMEOUT_MS, billingReadiness);
        lastBilled.set(b.lastBilledHour ? b.lastBilledHour.getTime() / 1000 : NaN);
        lag.set(b.lagSeconds);
        late.set(b.late ? 1 : 0);
      },
      clear: () => [lastBilled, lag, late].forEach((g) => g.set(NaN)),
    },
  };

  // One read after the other: a scrape holds at most one pooled connection.
  const readAll = async () => {
    for (const [name, read] of Object.entries(reads)) {
      try {
        await read.run();
        scrapeError.set({ read: name }, 0);
      } catch (err) {
        read.clear();
        scrapeError.set({ read: name }, 1);
        deps.log.warn({ err: (err as Error).message, read: name }, 'a /metrics read failed');
      }
    }
  };
  // Scrapes that arrive while one reads share its reads: however many scrapers, one connection.
  let running: Promise<void> | null = null;
  return {
    registry,
    refresh: () => (running ??= readAll().finally(() => (running = null))),
  };
}
