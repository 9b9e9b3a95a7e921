import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBrowser } from '../helpers/browser.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { uniqueEmail } from '../helpers/people.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext({ RATE_LIMIT_AUTH_ACTIONS: '10000' }, { paypalEmulator: true });
});
afterAll(async () => ctx.close());

let ipSeq = 0;
const nextIp = () => `192.0.2.${++ipSeq}`;
const KB = 1024;

const userNamed = (email: string) =>
  ctx.db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst();

/** A registration form that would create `email`, padded with a field of `padding` bytes. */
async function registration(padding: number) {
  const browser = new TestBrowser(ctx.app, nextIp());
  await browser.get('/register');
  const email = uniqueEmail('Bea Bulky');
  const form = new URLSearchParams({
    _csrf: browser.csrf,
    name: 'Bea Bulky',
    email,
    password: 'correct horse battery',
    notes: 'x'.repeat(padding),
  });
  const headers = {
    'content-type': 'application/x-www-form-urlencoded',
    'sec-fetch-site': 'same-origin',
    'x-forwarded-for': nextIp(),
    cookie: [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
  };
  return { email, form: form.toString(), headers };
}

/** A body sent in 16 KiB chunks without a Content-Length, counting what the app pulled. */
function chunked(text: string) {
  const bytes = new TextEncoder().encode(text);
  const sent = { bytes: 0 };
  let offset = 0;
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (offset >= bytes.length) return controller.close();
        const chunk = bytes.subarray(offset, offset + 16 * KB);
        offset += chunk.length;
        sent.bytes += chunk.length;
        controller.enqueue(chunk);
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, sent };
}

function post(path: string, body: BodyInit, headers: Record<string, string>) {
  return ctx.app.request(
    new Request(`http://localhost${path}`, { method: 'POST', headers, body, duplex: 'half' } as RequestInit),
  );
}

describe('request bodies on the HTML side', () => {
  it('a form over 64 KB is refused with 413 and a page saying so, and nothing it says is done', async () => {
    const r = await registration(100 * KB);
    const res = await post('/register', r.form, r.headers);

    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toContain('text/html');
    const html = await res.text();
    expect(html).toContain('Request too large');
    expect(html).toContain('larger than the 64 KB accepted here');
    expect(await userNamed(r.email)).toBeUndefined();
  });

  it('a body sent without a Content-Length (chunked) is cut off once it passes 64 KB, not read to its end', async () => {
    const r = await registration(10 * 1024 * KB);
    const { stream, sent } = chunked(r.form);
    const res = await post('/register', stream, r.headers);

    expect(res.status).toBe(413);
    expect(await userNamed(r.email)).toBeUndefined();
    // 64 KB and the chunk that passed it, give or take what the stream buffers ahead.
    expect(sent.bytes).toBeLessThan(160 * KB);
  });

  it('an anonymous oversized sign-in is refused before the CSRF check reads it', async () => {
    const res = await post('/login', `email=a%40example.test&password=x&pad=${'x'.repeat(200 * KB)}`, {
      'content-type': 'application/x-www-form-urlencoded',
      'x-forwarded-for': nextIp(),
    });
    expect(res.status).toBe(413);
  });

  it('is refused on any path, a page that does not exist included', async () => {
    const res = await post('/no-such-page', 'x'.repeat(100 * KB), {
      'content-type': 'text/plain',
      'x-forwarded-for': nextIp(),
    });
    expect(res.status).toBe(413);
  });

  it('an ordinary form, and one just under the limit, still work', async () => {
    for (const padding of [0, 60 * KB]) {
      const r = await registration(padding);
      const res = await post('/register', r.form, r.headers);
      expect(res.status, `${padding} bytes of padding`).toBe(303);
      expect(await userNamed(r.email)).toBeDefined();
    }
  });

  it('an ordinary form sent chunked still works', async () => {
    const r = await registration(KB);
    const res = await post('/register', chunked(r.form).stream, r.headers);
    expect(res.status).toBe(303);
    expect(await userNamed(r.email)).toBeDefined();
  });
});

describe('request bodies elsewhere', () => {
  it('the JSON API refuses a body over 1 MiB, chunked or not, with the error envelope', async () => {
    const body = JSON.stringify({
      name: 'Big',
      email: uniqueEmail('Big'),
      password: 'correct horse battery',
      pad: 'x'.repeat(1100 * KB),
    });
    for (const sent of [body, chunked(body).stream]) {
      const res = await post('/api/v1/auth/register', sent, {
        'content-type': 'application/json',
        'x-forwarded-for': nextIp(),
      });
      expect(res.status).toBe(413);
      expect(await res.json()).toEqual({ error: { code: 'payload_too_large', message: expect.any(String) } });
    }
  });

  it('the in-app emulators refuse a body over 64 KB with JSON, chunked or not', async () => {
    const body = JSON.stringify({ email: 'x@example.test', pad: 'x'.repeat(100 * KB) });
    for (const path of ['/_emulators/fraudlabspro/v2/order/screen', '/_emulators/paypal/v1/oauth2/token']) {
      for (const sent of [body, chunked(body).stream]) {
        const res = await post(path, sent, { 'content-type': 'application/json', 'x-forwarded-for': nextIp() });
        expect(res.status, path).toBe(413);
        expect(await res.json()).toEqual({
          error: { code: 'payload_too_large', message: expect.stringContaining('64 KB') },
        });
      }
    }
  });
});
