import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { createLogger } from '../../src/lib/log.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => ctx.close());

/** The app of this file's context, logging at info level into `lines` (one JSON object each). */
function loggedApp() {
  const lines: Array<Record<string, unknown>> = [];
  const log = createLogger('info', {
    write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>),
  });
  return { app: createApp({ ...ctx.deps, log }), lines };
}

const secret = () => randomBytes(24).toString('base64url');

describe('request log lines', () => {
  it('never carry the token of an emailed link or an invitation answer: the segment is logged as :token', async () => {
    const { app, lines } = loggedApp();
    const tokens = Array.from({ length: 8 }, secret);
    const calls: Array<[method: string, path: string, logged: string]> = [
      ['GET', `/reset-password/${tokens[0]}`, '/reset-password/:token'],
      ['POST', `/reset-password/${tokens[1]}`, '/reset-password/:token'],
      ['GET', `/verify-email/${tokens[2]}`, '/verify-email/:token'],
      ['GET', `/invitations/${tokens[3]}`, '/invitations/:token'],
      ['POST', `/invitations/${tokens[4]}/acceptance`, '/invitations/:token/acceptance'],
      ['POST', `/invitations/${tokens[5]}/declination`, '/invitations/:token/declination'],
      ['POST', `/api/v1/invitations/${tokens[6]}/accept`, '/api/v1/invitations/:token/accept'],
      ['POST', `/api/v1/invitations/${tokens[7]}/decline`, '/api/v1/invitations/:token/decline'],
    ];
    for (const [method, path] of calls)
      await app.request(path, { method, headers: { 'sec-fetch-site': 'same-origin' } });

    const requests = lines.filter((l) => l.msg === 'request');
    expect(requests.map((l) => [l.method, l.path])).toEqual(calls.map(([method, , logged]) => [method, logged]));
    const all = JSON.stringify(lines);
    for (const token of tokens) expect(all).not.toContain(token);
  });

  it('keep every other path as it was requested, without its query string', async () => {
    const { app, lines } = loggedApp();
    await app.request('/login?next=%2Fsettings');
    await app.request('/organization/invitations/7d0c9a3e-4a55-4c43-9a3e-5b6f0d1c2e3f', { method: 'DELETE' });
    await app.request('/api/v1/organizations/7d0c9a3e-4a55-4c43-9a3e-5b6f0d1c2e3f/invitations');
    expect(lines.filter((l) => l.msg === 'request').map((l) => l.path)).toEqual([
      '/login',
      '/organization/invitations/7d0c9a3e-4a55-4c43-9a3e-5b6f0d1c2e3f',
      '/api/v1/organizations/7d0c9a3e-4a55-4c43-9a3e-5b6f0d1c2e3f/invitations',
    ]);
  });
});

describe('the request id', () => {
  it('is on the request line and on every line a handler logs, the same as X-Request-Id', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const log = createLogger('info', {
      write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>),
    });
    const { Hono } = await import('hono');
    const { requestContext } = await import('../../src/web/middleware/request-context.ts');
    const app = new Hono();
    app.use(requestContext({ log }));
    app.get('/quiet', (c) => c.text('ok'));
    app.get('/chatty', (c) => {
      c.get('log').warn({ step: 1 }, 'first');
      c.get('log').info('second');
      return c.text('ok');
    });

    const quiet = await app.request('/quiet');
    const chatty = await app.request('/chatty', { headers: { 'x-request-id': 'given-id-12345' } });

    const quietId = quiet.headers.get('x-request-id');
    expect(quietId).toMatch(/^[\w-]{8,}$/);
    expect(chatty.headers.get('x-request-id')).toBe('given-id-12345');
    expect(lines.map((l) => [l.msg, l.request_id])).toEqual([
      ['request', quietId],
      ['first', 'given-id-12345'],
      ['second', 'given-id-12345'],
      ['request', 'given-id-12345'],
    ]);
    expect(lines[1]).toMatchObject({ step: 1, level: 40 });
  });
});
