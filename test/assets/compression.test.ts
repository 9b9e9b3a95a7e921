import { serve, type ServerType } from '@hono/node-server';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptedEncodings } from '../../src/web/middleware/compress.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createPerson, PASSWORD, signedIn } from '../helpers/people.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => {
  await ctx?.close();
});

const get = (path: string, acceptEncoding?: string, method = 'GET') =>
  ctx.app.request(path, {
    method,
    headers: { 'x-forwarded-for': '192.0.2.77', ...(acceptEncoding ? { 'accept-encoding': acceptEncoding } : {}) },
  });

const bytes = async (res: Response) => Buffer.from(await res.arrayBuffer());
const vary = (res: Response) => (res.headers.get('vary') ?? '').split(',').map((v) => v.trim().toLowerCase());

describe('Accept-Encoding negotiation', () => {
  it('prefers brotli when the client likes both equally, and honours q-values otherwise', () => {
    expect(acceptedEncodings('gzip, deflate, br')).toEqual(['br', 'gzip']);
    expect(acceptedEncodings('br;q=0.5, gzip;q=0.8')).toEqual(['gzip', 'br']);
    expect(acceptedEncodings('gzip')).toEqual(['gzip']);
    expect(acceptedEncodings('x-gzip')).toEqual(['gzip']);
    expect(acceptedEncodings('*')).toEqual(['br', 'gzip']);
    expect(acceptedEncodings('gzip;q=0, *;q=0.3')).toEqual(['br']);
  });

  it('accepts nothing when every coding is refused, unnamed, or ranked below identity', () => {
    expect(acceptedEncodings(undefined)).toEqual([]);
    expect(acceptedEncodings('')).toEqual([]);
    expect(acceptedEncodings('identity')).toEqual([]);
    expect(acceptedEncodings('deflate, zstd')).toEqual([]);
    expect(acceptedEncodings('br;q=0, gzip;q=0')).toEqual([]);
    expect(acceptedEncodings('*;q=0')).toEqual([]);
    expect(acceptedEncodings('gzip;q=0.2, identity;q=0.9')).toEqual([]);
  });
});

describe('compressed responses', () => {
  it('send a page in brotli to a browser that accepts it, keeping the security headers and cookies', async () => {
    const res = await get('/login', 'gzip, deflate, br');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-encoding')).toBe('br');
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(vary(res)).toEqual(expect.arrayContaining(['accept-encoding', 'hx-request']));
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(res.headers.getSetCookie().length).toBeGreaterThan(0);
    const body = await bytes(res);
    expect(Number(res.headers.get('content-length'))).toBe(body.length);
    const html = brotliDecompressSync(body).toString();
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('</html>');
    expect(body.length).toBeLessThan(html.length / 2);
  });

  it('send gzip when the client prefers it or accepts nothing else', async () => {
    for (const accept of ['gzip', 'br;q=0.5, gzip;q=0.8', 'br;q=0, *']) {
      const res = await get('/login', accept);
      expect(res.headers.get('content-encoding'), accept).toBe('gzip');
      expect(gunzipSync(await bytes(res)).toString(), accept).toContain('</html>');
    }
  });

  it('send the page as it is when the client accepts no coding we make, still saying it varies', async () => {
    for (const accept of [undefined, 'identity', 'deflate', 'br;q=0, gzip;q=0']) {
      const res = await get('/login', accept);
      expect(res.headers.get('content-encoding'), accept).toBeNull();
      expect(vary(res), accept).toContain('accept-encoding');
      expect(await res.text(), accept).toMatch(/^<!doctype html>/);
    }
  });

  it('compress JSON from the API, a large document too', async () => {
    const res = await get('/api/v1/openapi.json', 'br');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(res.headers.get('content-encoding')).toBe('br');
    const raw = brotliDecompressSync(await bytes(res));
    expect(raw.length, 'large enough to be compressed off the event loop').toBeGreaterThan(64 * 1024);
    const doc = JSON.parse(raw.toString()) as { openapi: string };
    expect(doc.openapi).toBe('3.1.0');
  });

  it('leave bodies under 1 KB alone', async () => {
    const res = await get('/health', 'br, gzip');
    expect(res.headers.get('content-encoding')).toBeNull();
    expect(vary(res)).toContain('accept-encoding');
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('answer HEAD without a coding or a body', async () => {
    const res = await get('/login', 'br, gzip', 'HEAD');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-encoding')).toBeNull();
    expect((await bytes(res)).length).toBe(0);
  });

  it('leave the event stream uncompressed, so each event reaches the browser as it is sent', async () => {
    const person = await createPerson(ctx, 'Stella Stream', { verified: true });
    const browser = await signedIn(ctx, person.email, PASSWORD, '192.0.2.78');
    const cookie = [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const server: ServerType = serve({ fetch: ctx.app.fetch, port: 0, hostname: '127.0.0.1' });
    try {
      await new Promise((r) => server.once('listening', r));
      const { port } = server.address() as { port: number };
      const res = await fetch(`http://127.0.0.1:${port}/events`, {
        headers: { cookie, 'accept-encoding': 'br, gzip' },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/event-stream');
      expect(res.headers.get('content-encoding')).toBeNull();
      // The stream stays open; its first event arrives on its own.
      const reader = res.body!.getReader();
      const first = await reader.read();
      expect(new TextDecoder().decode(first.value)).toContain('event: ready');
      await reader.cancel();
    } finally {
      server.close();
    }
  });
});
