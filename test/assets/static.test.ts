import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT_DIR } from '../../src/web/assets.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => {
  await ctx?.close();
});

const IMMUTABLE = 'public, max-age=31536000, immutable';
const get = (url: string, acceptEncoding?: string, method = 'GET') =>
  ctx.app.request(url, {
    method,
    headers: { 'x-forwarded-for': '192.0.2.88', ...(acceptEncoding ? { 'accept-encoding': acceptEncoding } : {}) },
  });
const bytes = async (res: Response) => Buffer.from(await res.arrayBuffer());
const onDisk = (url: string) => readFile(path.join(ROOT_DIR, url));
const decode = { br: brotliDecompressSync, gzip: gunzipSync } as const;

describe('built and vendor files', () => {
  it('include htmx, its SSE extension and Alpine, each with precompressed copies beside it', async () => {
    const urls = Object.values(ctx.deps.assets);
    for (const name of ['htmx.js', 'htmx-sse.js', 'alpine.js', 'app.css'])
      expect(ctx.deps.assets[name], name).toMatch(/^\/static\/(vendor|build)\//);
    for (const url of urls) {
      const original = await onDisk(url);
      expect(brotliDecompressSync(await onDisk(`${url}.br`)).equals(original), `${url}.br`).toBe(true);
      expect(gunzipSync(await onDisk(`${url}.gz`)).equals(original), `${url}.gz`).toBe(true);
    }
  });

  it('are served precompressed to a browser that accepts it: the original type, the encoded length, a year of caching, the same bytes once decoded', async () => {
    for (const url of Object.values(ctx.deps.assets)) {
      const original = await onDisk(url);
      const plain = await get(url);
      const type = plain.headers.get('content-type');
      expect(type, url).toMatch(/^(text\/javascript|text\/css)/);
      for (const encoding of ['br', 'gzip'] as const) {
        const res = await get(url, encoding === 'br' ? 'gzip, deflate, br' : 'gzip');
        expect(res.status, url).toBe(200);
        expect(res.headers.get('content-encoding'), url).toBe(encoding);
        expect(res.headers.get('content-type'), url).toBe(type);
        expect(res.headers.get('cache-control'), url).toBe(IMMUTABLE);
        expect(res.headers.get('vary'), url).toContain('Accept-Encoding');
        const body = await bytes(res);
        expect(Number(res.headers.get('content-length')), url).toBe(body.length);
        expect(body.length, url).toBeLessThan(original.length);
        expect(decode[encoding](body).equals(original), `${url} (${encoding})`).toBe(true);
      }
    }
  });

  it('are served as they are to a client that accepts no coding, or refuses one with q=0', async () => {
    const url = ctx.deps.assets['htmx.js']!;
    const original = await onDisk(url);
    for (const accept of [undefined, 'identity', 'br;q=0, gzip;q=0']) {
      const res = await get(url, accept);
      expect(res.headers.get('content-encoding'), accept).toBeNull();
      expect(res.headers.get('cache-control'), accept).toBe(IMMUTABLE);
      expect(res.headers.get('vary'), accept).toContain('Accept-Encoding');
      expect(Number(res.headers.get('content-length')), accept).toBe(original.length);
      expect((await bytes(res)).equals(original), accept).toBe(true);
    }
    expect((await get(url, 'br;q=0, gzip')).headers.get('content-encoding')).toBe('gzip');
  });

  it('answer HEAD with the headers of the file a GET would get, and no body', async () => {
    const url = ctx.deps.assets['htmx.js']!;
    const res = await get(url, 'br', 'HEAD');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-encoding')).toBe('br');
    expect(Number(res.headers.get('content-length'))).toBe((await onDisk(`${url}.br`)).length);
    expect((await bytes(res)).length).toBe(0);
  });

  it('are not found when missing, and nothing outside the static folders is reachable', async () => {
    expect((await get('/static/build/js/nothing.12345678.js', 'br')).status).toBe(404);
    expect((await get('/static/vendor/..%2f..%2fpackage.json')).status).toBe(404);
    expect((await get('/static/vendor/%2e%2e/%2e%2e/package.json')).status).toBe(404);
  });
});
