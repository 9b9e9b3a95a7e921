import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { createDb } from '../../src/db/index.ts';
import { deliverEmail } from '../../src/mail/delivery.ts';
import { queueEmail } from '../../src/mail/queue.ts';
import { MailError, type MailTransport } from '../../src/providers/mail/types.ts';
import { recordRun } from '../../src/queue/runs.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createPerson, signedIn } from '../helpers/people.ts';
import { parseExposition, samples, value } from './exposition.ts';

const TOKEN = 'metrics-token-for-tests-0123456789abcdef';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext({ METRICS_TOKEN: TOKEN });
});
afterAll(async () => {
  await ctx?.close();
});

type Families = Awaited<ReturnType<typeof scrape>>['families'];
/**
 * How much a series grew between two scrapes. Test files may share a process, and so its
 * counters: tests compare with a scrape taken first, never with absolute numbers.
 */
const grewBy = (before: Families, after: Families, name: string, labels: Record<string, string>) =>
  (value(after, name, labels) ?? 0) - (value(before, name, labels) ?? 0);

const scrapeWith = (authorization?: string, app = ctx.app) =>
  app.request('/metrics', { headers: authorization ? { authorization } : {} });

/** What Prometheus reads, parsed (strictly: a malformed line fails the test). */
async function scrape(app = ctx.app) {
  const res = await scrapeWith(`Bearer ${TOKEN}`, app);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  return { text, families: parseExposition(text) };
}

describe('GET /metrics', () => {
  it('answers in the Prometheus text format with every family, and process metrics', async () => {
    const { families } = await scrape();
    const expected: Record<string, string> = {
      skypanel_http_request_duration_seconds: 'histogram',
      skypanel_db_pool_connections: 'gauge',
      skypanel_db_pool_waiting: 'gauge',
      skypanel_db_pool_max_connections: 'gauge',
      skypanel_queue_jobs: 'gauge',
      skypanel_job_run_duration_seconds: 'histogram',
      skypanel_job_run_failures_total: 'counter',
      skypanel_billing_last_billed_hour_timestamp_seconds: 'gauge',
      skypanel_billing_lag_seconds: 'gauge',
      skypanel_billing_late: 'gauge',
      skypanel_sse_subscribers: 'gauge',
      skypanel_data_cache_entries: 'gauge',
      skypanel_data_cache_reads_total: 'counter',
      skypanel_rendered_pages_bytes: 'gauge',
      skypanel_rendered_page_views_total: 'counter',
      skypanel_emails_queued_total: 'counter',
      skypanel_email_delivery_failures_total: 'counter',
      skypanel_emails: 'gauge',
      skypanel_scrape_error: 'gauge',
      process_cpu_seconds_total: 'counter',
      process_resident_memory_bytes: 'gauge',
      nodejs_eventloop_lag_seconds: 'gauge',
    };
    for (const [name, type] of Object.entries(expected)) expect(families.get(name)?.type, name).toBe(type);
    for (const read of ['queues', 'emails', 'billing'])
      expect(value(families, 'skypanel_scrape_error', { read })).toBe(0);
  });

  it('labels request durations by route pattern and status, never by the URL with its ids', async () => {
    const { families: before } = await scrape();
    const olivia = await createPerson(ctx, 'Olivia Metrics');
    const browser = await signedIn(ctx, olivia.email);
    const ids = [randomUUID(), randomUUID()];
    for (const id of ids) expect((await browser.get(`/vps/${id}`)).status).toBe(404);
    const token = `tok${randomUUID().replace(/-/g, '')}`;
    await ctx.app.request(`/reset-password/${token}`);
    const nowhere = `/no-such-page-${randomUUID()}`;
    expect((await ctx.app.request(nowhere)).status).toBe(404);

    const { text, families } = await scrape();
    const count = (labels: Record<string, string>) =>
      grewBy(before, families, 'skypanel_http_request_duration_seconds_count', labels);
    expect(count({ method: 'GET', route: '/vps/:id', status: '404' })).toBe(2);
    expect(count({ method: 'GET', route: '/login', status: '200' })).toBeGreaterThanOrEqual(1);
    expect(count({ method: 'POST', route: '/login', status: '303' })).toBe(1);
    // The reset link counted once, under its pattern (whatever its status; other files may have used it before).
    const resets = (f: Families) =>
      samples(f, 'skypanel_http_request_duration_seconds_count', { route: '/reset-password/:token' }).reduce(
        (sum, s) => sum + s.value,
        0,
      );
    expect(resets(families) - resets(before)).toBe(1);
    expect(count({ method: 'GET', route: 'unmatched', status: '404' })).toBeGreaterThanOrEqual(1);
    // Buckets are cumulative and end in +Inf, which equals the count.
    const inf = { method: 'GET', route: '/vps/:id', status: '404', le: '+Inf' };
    const bucketName = 'skypanel_http_request_duration_seconds_bucket';
    expect(grewBy(before, families, bucketName, inf)).toBe(2);
    expect(value(families, bucketName, inf)).toBe(
      value(families, 'skypanel_http_request_duration_seconds_count', {
        method: 'GET',
        route: '/vps/:id',
        status: '404',
      }),
    );
    for (const raw of [...ids, token, nowhere]) expect(text).not.toContain(raw);
    const routes = new Set(
      samples(families, 'skypanel_http_request_duration_seconds_count').map((s) => s.labels.route),
    );
    for (const route of routes)
      expect(route === 'unmatched' || route!.startsWith('/') || route === '*', route).toBe(true);
  });

  it('counts jobs per queue: queued once enqueued, active once a worker took it', async () => {
    const depth = async () => {
      const { families } = await scrape();
      return {
        queued: value(families, 'skypanel_queue_jobs', { queue: 'catalogue.refresh', state: 'queued' }),
        active: value(families, 'skypanel_queue_jobs', { queue: 'catalogue.refresh', state: 'active' }),
        emptyQueue: value(families, 'skypanel_queue_jobs', { queue: 'billing.issue-statements', state: 'queued' }),
      };
    };
    const before = await depth();
    expect(before.emptyQueue).toBe(0);
    await ctx.deps.queue.enqueue(ctx.db, 'catalogue.refresh', {});
    await ctx.deps.queue.enqueue(ctx.db, 'catalogue.refresh', {});
    const queued = await depth();
    expect(queued.queued).toBe(before.queued! + 2);
    const [job] = await ctx.boss.fetch('catalogue.refresh');
    const taken = await depth();
    expect(taken).toMatchObject({ queued: before.queued! + 1, active: before.active! + 1 });
    await ctx.boss.complete('catalogue.refresh', job!.id);
  });

  it("reports the database pool: connections in use and idle, waiting queries, the pool's size", async () => {
    const inUse = await ctx.db.connection().execute(async () => {
      const { families } = await scrape();
      return value(families, 'skypanel_db_pool_connections', { state: 'in_use' });
    });
    expect(inUse).toBeGreaterThanOrEqual(1);
    const { families } = await scrape();
    const max = value(families, 'skypanel_db_pool_max_connections');
    expect(max).toBe(10);
    const idle = value(families, 'skypanel_db_pool_connections', { state: 'idle' })!;
    expect(idle).toBeGreaterThanOrEqual(1);
    expect(idle + value(families, 'skypanel_db_pool_connections', { state: 'in_use' })!).toBeLessThanOrEqual(max!);
    expect(value(families, 'skypanel_db_pool_waiting')).toBe(0);
  });

  it('reports the last billed hour and the billing lag, as /ready does', async () => {
    const hour = (await sql<{ h: Date }>`select date_trunc('hour', now()) - interval '3 hours' as h`.execute(ctx.db))
      .rows[0]!.h;
    await ctx.db
      .insertInto('billing_runs')
      .values({ hour_start: hour, status: 'succeeded', trigger: 'schedule', currency: 'USD' })
      .execute();
    const { families } = await scrape();
    expect(value(families, 'skypanel_billing_last_billed_hour_timestamp_seconds')).toBe(hour.getTime() / 1000);
    const lag = value(families, 'skypanel_billing_lag_seconds')!;
    const ready = (await (await ctx.app.request('/ready')).json()) as { billing_lag_seconds: number };
    expect(lag).toBeGreaterThanOrEqual(2 * 3600);
    expect(lag).toBeLessThanOrEqual(ready.billing_lag_seconds);
    expect(value(families, 'skypanel_billing_late')).toBe(0);
  });

  it('counts SSE subscribers of this process', async () => {
    const count = async () => value((await scrape()).families, 'skypanel_sse_subscribers');
    const before = await count();
    const unsubscribe = ctx.hub.subscribe({
      userId: randomUUID(),
      organizationIds: [],
      isAdmin: false,
      send: () => {},
    });
    expect(await count()).toBe(before! + 1);
    unsubscribe();
    expect(await count()).toBe(before);
  });

  it('counts emails queued and failed deliveries, and reads how many are queued or failed', async () => {
    const read = async () => {
      const { families } = await scrape();
      return {
        queuedTotal: value(families, 'skypanel_emails_queued_total', { template: 'two_factor_changed' }) ?? 0,
        permanent: value(families, 'skypanel_email_delivery_failures_total', { kind: 'permanent' }) ?? 0,
        temporary: value(families, 'skypanel_email_delivery_failures_total', { kind: 'temporary' }) ?? 0,
        queued: value(families, 'skypanel_emails', { status: 'queued' })!,
        failed: value(families, 'skypanel_emails', { status: 'failed' })!,
      };
    };
    const before = await read();
    const data = { name: 'Pat', enabled: true, when: 'now' };
    const first = await queueEmail(ctx.deps, ctx.db, 'pat@example.test', 'two_factor_changed', data);
    const second = await queueEmail(ctx.deps, ctx.db, 'pat@example.test', 'two_factor_changed', data);
    const queued = await read();
    expect(queued).toMatchObject({ queuedTotal: before.queuedTotal + 2, queued: before.queued + 2 });

    // A mail server that refuses: once for now (retried), once for good.
    const refusing = (retryable: boolean): MailTransport => ({
      name: 'smtp',
      async send() {
        throw new MailError('550 mailbox unavailable', retryable);
      },
    });
    const delivery = { db: ctx.db, config: ctx.config, log: ctx.deps.log };
    await expect(deliverEmail({ ...delivery, mail: refusing(true) }, first)).rejects.toThrow(MailError);
    expect(await deliverEmail({ ...delivery, mail: refusing(false) }, second)).toEqual({ status: 'failed' });
    const after = await read();
    expect(after).toMatchObject({
      temporary: before.temporary + 1,
      permanent: before.permanent + 1,
      queued: before.queued + 1,
      failed: before.failed + 1,
    });
  });

  it('times job runs by queue and outcome and counts failures', async () => {
    const deps = { db: ctx.db, clock: ctx.clock };
    const { families: before } = await scrape();
    await recordRun(deps, 'servers.reconcile', null, async () => ({ checked: 0 }));
    await expect(
      recordRun(deps, 'servers.reconcile', null, async () => {
        throw new Error('provider down');
      }),
    ).rejects.toThrow('provider down');
    const { families } = await scrape();
    const runs = (status: string) =>
      grewBy(before, families, 'skypanel_job_run_duration_seconds_count', { queue: 'servers.reconcile', status });
    expect(runs('succeeded')).toBe(1);
    expect(runs('failed')).toBe(1);
    expect(grewBy(before, families, 'skypanel_job_run_failures_total', { queue: 'servers.reconcile' })).toBe(1);
  });

  it('answers scrapes that arrive together, each with every figure (the reads are shared, never half-reset)', async () => {
    const all = await Promise.all(Array.from({ length: 5 }, () => scrape()));
    for (const { families } of all) {
      expect(value(families, 'skypanel_scrape_error', { read: 'queues' })).toBe(0);
      expect(samples(families, 'skypanel_queue_jobs').length).toBeGreaterThan(0);
    }
  });

  it('counts data cache reads and reused pages: a page seen again is answered from memory', async () => {
    const person = await createPerson(ctx, 'Cached Carla', { verified: true });
    const browser = await signedIn(ctx, person.email);
    const reads = async () => {
      const { families } = await scrape();
      const read = (name: string, labels?: Record<string, string>) => {
        const v = value(families, name, labels);
        expect(v, name).toBeTypeOf('number');
        return v as number;
      };
      return {
        hit: read('skypanel_data_cache_reads_total', { result: 'hit' }),
        miss: read('skypanel_data_cache_reads_total', { result: 'miss' }),
        entries: read('skypanel_data_cache_entries'),
        reused: read('skypanel_rendered_page_views_total', { result: 'reused' }),
        rendered: read('skypanel_rendered_page_views_total', { result: 'rendered' }),
      };
    };
    expect((await browser.get('/dashboard')).status).toBe(200);
    const before = await reads();
    expect(before.entries).toBeGreaterThan(0);
    expect((await browser.get('/dashboard')).status).toBe(200);
    const after = await reads();
    // The banner, the organizations and the server figures: each from memory the second time.
    expect(after.hit - before.hit).toBeGreaterThanOrEqual(3);
    expect(after.miss).toBe(before.miss);
    // Its inputs the same objects, the page itself is the kept rendering (src/web/rendered-pages.ts).
    expect(after.reused - before.reused).toBe(1);
    expect(after.rendered).toBe(before.rendered);
  });

  it('still answers when a database read fails, saying which (skypanel_scrape_error)', async () => {
    // A database that is not there: every read fails.
    const dead = createDb(ctx.url.replace(/\/[^/?]+(\?|$)/, '/no_such_database$1'), 1);
    const { families } = await scrape(createApp({ ...ctx.deps, db: dead })).finally(() => dead.destroy());
    for (const read of ['queues', 'emails', 'billing'])
      expect(value(families, 'skypanel_scrape_error', { read })).toBe(1);
    expect(samples(families, 'skypanel_queue_jobs')).toEqual([]);
    expect(value(families, 'skypanel_billing_lag_seconds')).toBeNaN();
    expect(value(families, 'skypanel_sse_subscribers')).toBeGreaterThanOrEqual(0);
  });
});

describe('who may read /metrics', () => {
  it('needs the bearer token: none or a wrong one is 401 with WWW-Authenticate, and no metric', async () => {
    for (const authorization of [
      undefined,
      `Bearer ${TOKEN}x`,
      `Bearer ${TOKEN.slice(0, -1)}`,
      `Basic ${TOKEN}`,
      TOKEN,
    ]) {
      const res = await scrapeWith(authorization);
      expect(res.status, authorization).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
      expect(await res.text()).not.toContain('skypanel_');
    }
    expect((await scrapeWith(`bearer ${TOKEN}`)).status).toBe(200);
  });

  it('is not served at all (404) when no token is configured', async () => {
    const config = loadConfig({ ...envOf(ctx), METRICS_TOKEN: undefined });
    const app = createApp({ ...ctx.deps, config });
    expect((await scrapeWith(undefined, app)).status).toBe(404);
    expect((await scrapeWith(`Bearer ${TOKEN}`, app)).status).toBe(404);
  });

  it('takes no session, no CSRF token and no rate limit: a signed-in browser without the token is refused', async () => {
    const sam = await createPerson(ctx, 'Sam Scraper', { isAdmin: true });
    const browser = await signedIn(ctx, sam.email);
    expect((await browser.get('/metrics')).status).toBe(401);
    // Far more scrapes than the anonymous tier allows in a window would be refused if it were limited.
    const limited = createApp({ ...ctx.deps, config: loadConfig({ ...envOf(ctx), RATE_LIMIT_ANONYMOUS: '1' }) });
    for (let i = 0; i < 5; i++) expect((await scrapeWith(`Bearer ${TOKEN}`, limited)).status).toBe(200);
  });
});

describe('the metrics configuration', () => {
  it('refuses a short METRICS_TOKEN and a METRICS_PORT equal to PORT', () => {
    expect(() => loadConfig({ NODE_ENV: 'test', METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN/);
    expect(() => loadConfig({ NODE_ENV: 'test', PORT: '3000', METRICS_PORT: '3000' })).toThrow(/METRICS_PORT/);
    expect(loadConfig({ NODE_ENV: 'test', METRICS_PORT: '9464' })).toMatchObject({
      METRICS_PORT: 9464,
      METRICS_HOST: '127.0.0.1',
    });
  });
});

function envOf(c: TestContext): Record<string, string | undefined> {
  return {
    NODE_ENV: 'test',
    DATABASE_URL: c.url,
    PUBLIC_URL: 'http://localhost:3000',
    TRUSTED_PROXY_COUNT: '1',
    METRICS_TOKEN: TOKEN,
  };
}
