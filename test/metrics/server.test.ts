import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveMetrics } from '../../src/metrics/server.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { parseExposition } from './exposition.ts';

const TOKEN = 'metrics-token-for-tests-0123456789abcdef';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => {
  await ctx?.close();
});

describe('the internal metrics listener (METRICS_PORT)', () => {
  it('serves /metrics on loopback without a token when none is configured, and nothing else', async () => {
    // A worker-only process: no realtime hub, so no SSE subscribers to report.
    const server = await serveMetrics(
      { db: ctx.db, log: ctx.deps.log, config: { METRICS_TOKEN: undefined } },
      { port: 0, host: '127.0.0.1' },
    );
    try {
      const res = await fetch(`http://127.0.0.1:${server.port}/metrics`);
      expect(res.status).toBe(200);
      const families = parseExposition(await res.text());
      expect(families.get('skypanel_queue_jobs')?.type).toBe('gauge');
      expect(families.has('skypanel_sse_subscribers')).toBe(false);
      expect((await fetch(`http://127.0.0.1:${server.port}/login`)).status).toBe(404);
      // The public app still hides it: no token configured there.
      expect((await ctx.app.request('/metrics')).status).toBe(404);
    } finally {
      await server.close();
    }
  });

  it('asks for the token there too when one is configured', async () => {
    const server = await serveMetrics(
      { db: ctx.db, log: ctx.deps.log, hub: ctx.hub, config: { METRICS_TOKEN: TOKEN } },
      { port: 0, host: '127.0.0.1' },
    );
    try {
      const url = `http://127.0.0.1:${server.port}/metrics`;
      expect((await fetch(url)).status).toBe(401);
      const res = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(res.status).toBe(200);
      expect(parseExposition(await res.text()).get('skypanel_sse_subscribers')?.type).toBe('gauge');
    } finally {
      await server.close();
    }
  });
});
