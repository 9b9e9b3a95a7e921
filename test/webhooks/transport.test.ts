import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { checkTarget, postJson, type Lookup, type ResolvedAddress } from '../../src/lib/outbound-http.ts';

// The SSRF-safe transport webhooks are sent through, against real servers on 127.0.0.1 (plain
// HTTP and HTTPS with a self-signed certificate) and a `lookup` stand-in for DNS answers.

const LOOPBACK_OFF = { allowLoopback: false };
const LOOPBACK_ON = { allowLoopback: true };

const v4 = (address: string): ResolvedAddress => ({ address, family: 4 });
const v6 = (address: string): ResolvedAddress => ({ address, family: 6 });
/** A DNS stand-in answering `answers` in turn (the last one repeats), counting its calls. */
function dns(...answers: ResolvedAddress[][]): Lookup & { calls: number } {
  const fn = Object.assign(
    async (_host: string) => {
      const a = answers[Math.min(fn.calls, answers.length - 1)]!;
      fn.calls++;
      return a;
    },
    { calls: 0 },
  );
  return fn;
}
const PUBLIC = [v4('93.184.216.34')];

interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}
type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

let dir: string;
let ca: string;
let handler: Handler;
let received: Received[];
let httpServer: http.Server;
let httpsServer: https.Server;
let httpPort: number;
let httpsPort: number;

const listen = (s: net.Server) =>
  new Promise<number>((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as net.AddressInfo).port)));
const close = (s: net.Server) => new Promise<void>((resolve) => s.close(() => resolve()));

function record(req: http.IncomingMessage, res: http.ServerResponse) {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    received.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString() });
    handler(req, res);
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'outbound-http-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-days',
      '2',
      '-subj',
      '/CN=hooks.example.test',
      '-addext',
      'subjectAltName=DNS:hooks.example.test,DNS:rebind.example.test,IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  ca = readFileSync(join(dir, 'cert.pem'), 'utf8');
  httpServer = http.createServer(record);
  httpsServer = https.createServer({ key: readFileSync(join(dir, 'key.pem')), cert: ca }, record);
  httpPort = await listen(httpServer);
  httpsPort = await listen(httpsServer);
});

afterAll(async () => {
  httpServer.closeAllConnections();
  httpsServer.closeAllConnections();
  await Promise.all([close(httpServer), close(httpsServer)]);
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  received = [];
  handler = (_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('thanks');
});

describe('checkTarget: the form of the address', () => {
  it('accepts an https address whose name resolves to public addresses', async () => {
    const r = await checkTarget('https://hooks.example.com/skypanel?x=1', LOOPBACK_OFF, {
      lookup: dns([v4('93.184.216.34'), v6('2606:2800:220:1:248:1893:25c8:1946')]),
    });
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.url.href).toBe('https://hooks.example.com/skypanel?x=1');
  });

  it.each([
    ['not a url', 'invalid'],
    ['', 'invalid'],
    ['https://', 'invalid'],
    [`https://example.com/${'a'.repeat(3000)}`, 'invalid'],
    ['ftp://example.com/hook', 'scheme'],
    ['file:///etc/passwd', 'scheme'],
    ['gopher://example.com:70/', 'scheme'],
    ['http://example.com/hook', 'scheme'],
    ['https://user:secret@example.com/hook', 'credentials'],
    ['https://token@example.com/hook', 'credentials'],
    ['https://example.com:22/', 'port'],
    ['https://example.com:25/', 'port'],
    ['https://example.com:6/', 'port'],
  ])('refuses %j as %s', async (url, problem) => {
    const r = await checkTarget(url, LOOPBACK_OFF, { lookup: dns(PUBLIC) });
    expect(r).toMatchObject({ ok: false, problem });
    if (!r.ok) expect(r.message.length).toBeGreaterThan(10);
  });

  it('accepts the standard port and high ports', async () => {
    for (const url of ['https://example.com:443/', 'https://example.com:8443/', 'https://example.com:65535/'])
      expect((await checkTarget(url, LOOPBACK_OFF, { lookup: dns(PUBLIC) })).ok).toBe(true);
  });

  it('refuses a name that does not resolve, or resolves to nothing', async () => {
    const failing: Lookup = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND nowhere.invalid'), { code: 'ENOTFOUND' });
    };
    expect(await checkTarget('https://nowhere.invalid/', LOOPBACK_OFF, { lookup: failing })).toMatchObject({
      ok: false,
      problem: 'unresolvable',
    });
    expect(await checkTarget('https://empty.example/', LOOPBACK_OFF, { lookup: dns([]) })).toMatchObject({
      ok: false,
      problem: 'unresolvable',
    });
  });
});

describe('checkTarget: every address must be public', () => {
  const blockedV4 = [
    '0.0.0.0',
    '0.1.2.3', // this network
    '10.0.0.1',
    '10.255.255.255', // private
    '100.64.0.1',
    '100.127.255.254', // carrier-grade NAT
    '127.0.0.1',
    '127.8.9.10', // loopback
    '169.254.169.254',
    '169.254.0.1', // link-local and the metadata service
    '172.16.0.1',
    '172.31.255.254', // private
    '192.0.0.8', // IETF protocol assignments
    '192.0.2.1',
    '198.51.100.7',
    '203.0.113.9', // documentation
    '192.88.99.1', // 6to4 relay
    '192.168.0.1',
    '192.168.255.255', // private
    '198.18.0.1',
    '198.19.255.255', // benchmarking
    '224.0.0.1',
    '239.255.255.250', // multicast
    '240.0.0.1',
    '255.255.255.255', // reserved and broadcast
  ];
  const blockedV6 = [
    '::',
    '::1', // unspecified, loopback
    'fc00::1',
    'fd12:3456:789a::1', // unique local
    'fe80::1',
    'fec0::1', // link-local, old site-local
    'ff02::1',
    'ff05::2', // multicast
    '::ffff:127.0.0.1',
    '::ffff:169.254.169.254',
    '::ffff:10.0.0.1',
    '::ffff:192.168.1.1', // IPv4-mapped
    '::127.0.0.1', // IPv4-compatible (deprecated)
    '64:ff9b::a9fe:a9fe', // NAT64 of the metadata service
    '2002:a9fe:a9fe::1',
    '2002:0a00:0001::1', // 6to4 of link-local and private
    '2001::1',
    '2001:2::1', // Teredo, benchmarking
    '2001:db8::1',
    '3fff::1', // documentation
  ];

  it.each(blockedV4)('refuses the literal IPv4 address %s', async (ip) => {
    expect(await checkTarget(`https://${ip}/hook`, LOOPBACK_OFF)).toMatchObject({
      ok: false,
      problem: 'private_address',
    });
  });

  it.each(blockedV6)('refuses the literal IPv6 address %s', async (ip) => {
    expect(await checkTarget(`https://[${ip}]/hook`, LOOPBACK_OFF)).toMatchObject({
      ok: false,
      problem: 'private_address',
    });
  });

  it.each([...blockedV4.map(v4), ...blockedV6.map(v6)])('refuses a name resolving to $address', async (a) => {
    expect(await checkTarget('https://hooks.example.com/', LOOPBACK_OFF, { lookup: dns([a]) })).toMatchObject({
      ok: false,
      problem: 'private_address',
    });
  });

  it('refuses a name with one public and one private address', async () => {
    const lookup = dns([v4('93.184.216.34'), v4('10.0.0.5')]);
    expect(await checkTarget('https://hooks.example.com/', LOOPBACK_OFF, { lookup })).toMatchObject({
      problem: 'private_address',
    });
  });

  it('refuses other spellings of loopback and metadata addresses', async () => {
    for (const url of [
      'https://2130706433/', // 127.0.0.1 as a number
      'https://0x7f.1/',
      'https://017700000001/',
      'https://0251.0376.0251.0376/', // 169.254.169.254 in octal
      'https://[::ffff:7f00:1]/',
      'https://[0:0:0:0:0:ffff:a9fe:a9fe]/',
    ])
      expect(await checkTarget(url, LOOPBACK_OFF), url).toMatchObject({ ok: false, problem: 'private_address' });
  });

  it('accepts the public neighbours of the private ranges', async () => {
    for (const ip of [
      '8.8.8.8',
      '11.0.0.1',
      '100.63.255.255',
      '100.128.0.1',
      '172.15.255.255',
      '172.32.0.1',
      '192.169.0.1',
      '223.255.255.254',
    ])
      expect((await checkTarget(`https://${ip}/`, LOOPBACK_OFF)).ok, ip).toBe(true);
    for (const ip of ['2606:4700:4700::1111', '::ffff:8.8.8.8', '2a00:1450:4001::1'])
      expect((await checkTarget(`https://[${ip}]/`, LOOPBACK_OFF)).ok, ip).toBe(true);
  });
});

describe('checkTarget: loopback for development', () => {
  it('is refused while the admin setting is off, over http and https', async () => {
    expect(await checkTarget('https://127.0.0.1:8443/', LOOPBACK_OFF)).toMatchObject({ problem: 'private_address' });
    expect(await checkTarget('http://127.0.0.1:8080/', LOOPBACK_OFF)).toMatchObject({ problem: 'scheme' });
    const localhost = dns([v4('127.0.0.1'), v6('::1')]);
    expect(await checkTarget('https://localhost:8443/', LOOPBACK_OFF, { lookup: localhost })).toMatchObject({
      problem: 'private_address',
    });
  });

  it('allows http and https to 127.0.0.0/8 and ::1 when on, and nothing else private', async () => {
    const localhost = dns([v4('127.0.0.1'), v6('::1')]);
    expect((await checkTarget('http://localhost:3000/hook', LOOPBACK_ON, { lookup: localhost })).ok).toBe(true);
    expect((await checkTarget('https://127.0.0.2:8443/', LOOPBACK_ON)).ok).toBe(true);
    expect((await checkTarget('http://[::1]:8080/', LOOPBACK_ON)).ok).toBe(true);
    for (const ip of ['10.0.0.1', '169.254.169.254', '192.168.1.1', '0.0.0.0'])
      expect(await checkTarget(`https://${ip}/`, LOOPBACK_ON), ip).toMatchObject({ problem: 'private_address' });
    // http stays loopback-only: a public host must use https.
    expect(await checkTarget('http://example.com/', LOOPBACK_ON, { lookup: dns(PUBLIC) })).toMatchObject({
      problem: 'scheme',
    });
  });
});

describe('postJson', () => {
  const body = JSON.stringify({ id: 'evt_1', type: 'ping', data: {} });

  it('POSTs the body and headers to an http receiver on loopback when allowed, and returns its answer', async () => {
    const r = await postJson(
      `http://127.0.0.1:${httpPort}/hooks?a=1`,
      body,
      { 'SkyPanel-Event-Id': 'evt_1' },
      {
        policy: LOOPBACK_ON,
      },
    );
    expect(r).toMatchObject({ statusCode: 200, body: 'thanks', error: null });
    expect(r.durationMs).toBeGreaterThanOrEqual(0);
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ method: 'POST', url: '/hooks?a=1', body });
    expect(received[0]!.headers['content-type']).toBe('application/json');
    expect(received[0]!.headers['skypanel-event-id']).toBe('evt_1');
    expect(received[0]!.headers['content-length']).toBe(String(Buffer.byteLength(body)));
  });

  it('refuses loopback while the setting is off, without connecting', async () => {
    for (const url of [`http://127.0.0.1:${httpPort}/`, `https://127.0.0.1:${httpsPort}/`]) {
      const r = await postJson(url, body, {}, { policy: LOOPBACK_OFF, ca });
      expect(r.statusCode).toBeNull();
      expect(r.error?.kind).toBe('refused');
    }
    expect(received).toHaveLength(0);
  });

  it('speaks https to a receiver with a certificate for its name (a self-signed one trusted through ca)', async () => {
    const lookup = dns([v4('127.0.0.1')]);
    const r = await postJson(
      `https://hooks.example.test:${httpsPort}/in`,
      body,
      {},
      { policy: LOOPBACK_ON, lookup, ca },
    );
    expect(r).toMatchObject({ statusCode: 200, body: 'thanks', error: null });
    expect(received[0]).toMatchObject({ url: '/in', body });
  });

  it('fails with a tls error when the certificate is not trusted, sending nothing', async () => {
    const r = await postJson(`https://127.0.0.1:${httpsPort}/`, body, {}, { policy: LOOPBACK_ON });
    expect(r.statusCode).toBeNull();
    expect(r.error?.kind).toBe('tls');
    expect(received).toHaveLength(0);
  });

  it('re-checks the address at connect time: a name that rebinds from public to private is refused', async () => {
    // The check sees a public address; the socket's own lookup then gets loopback (not allowed).
    const lookup = dns(PUBLIC, [v4('127.0.0.1')]);
    const r = await postJson(
      `https://rebind.example.test:${httpsPort}/`,
      body,
      {},
      { policy: LOOPBACK_OFF, lookup, ca },
    );
    expect(r).toMatchObject({ statusCode: null, error: { kind: 'refused' } });
    expect(lookup.calls).toBe(2);
    expect(received).toHaveLength(0);
  });

  it('refuses a rebinding to a private range even while loopback is allowed', async () => {
    const lookup = dns(PUBLIC, [v4('10.1.2.3')]);
    const r = await postJson(
      'https://rebind.example.test/',
      body,
      {},
      { policy: LOOPBACK_ON, lookup, timeoutMs: 2000 },
    );
    expect(r.error?.kind).toBe('refused');
    expect(lookup.calls).toBe(2);
  });

  it('does not follow redirects: a 3xx is the answer', async () => {
    let elsewhere = 0;
    const other = http.createServer((_req, res) => {
      elsewhere++;
      res.end('ok');
    });
    const otherPort = await listen(other);
    handler = (_req, res) => res.writeHead(302, { location: `http://127.0.0.1:${otherPort}/internal` }).end();
    const r = await postJson(`http://127.0.0.1:${httpPort}/`, body, {}, { policy: LOOPBACK_ON });
    await close(other);
    expect(r).toMatchObject({ statusCode: 302, error: null });
    expect(elsewhere).toBe(0);
  });

  it('passes other answers through as they are (a 500 is an answer, not an error)', async () => {
    handler = (_req, res) => res.writeHead(500).end('boom');
    expect(await postJson(`http://127.0.0.1:${httpPort}/`, body, {}, { policy: LOOPBACK_ON })).toMatchObject({
      statusCode: 500,
      body: 'boom',
      error: null,
    });
  });

  it('gives up on a receiver that never answers, within the timeout', async () => {
    handler = () => {}; // reads the request, never answers
    const r = await postJson(`http://127.0.0.1:${httpPort}/`, body, {}, { policy: LOOPBACK_ON, timeoutMs: 300 });
    expect(r).toMatchObject({ statusCode: null, error: { kind: 'timeout' } });
    expect(r.durationMs).toBeGreaterThanOrEqual(250);
    expect(r.durationMs).toBeLessThan(3000);
  });

  it('reads a huge answer only up to the limit, then drops the connection', async () => {
    let serverSawClose = false;
    let written = 0;
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = Buffer.alloc(64 * 1024, 'x');
      res.on('close', () => (serverSawClose = true));
      const pump = () => {
        while (written < 200 * 1024 * 1024 && !res.destroyed) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    };
    const r = await postJson(
      `http://127.0.0.1:${httpPort}/`,
      body,
      {},
      { policy: LOOPBACK_ON, maxResponseBytes: 1000 },
    );
    expect(r.statusCode).toBe(200);
    expect(r.body).toBe('x'.repeat(1000));
    const d = await postJson(`http://127.0.0.1:${httpPort}/`, body, {}, { policy: LOOPBACK_ON });
    expect(d.body.length).toBe(16 * 1024);
    await expect.poll(() => serverSawClose).toBe(true);
    expect(written).toBeLessThan(200 * 1024 * 1024);
  });

  it('reports a closed port as a connect error and junk as a protocol error', async () => {
    const probe = net.createServer();
    const closedPort = await listen(probe);
    await close(probe);
    expect((await postJson(`http://127.0.0.1:${closedPort}/`, body, {}, { policy: LOOPBACK_ON })).error?.kind).toBe(
      'connect',
    );
    const junk = net.createServer((s) => s.resume().end('NOT HTTP AT ALL\r\n\r\n'));
    const junkPort = await listen(junk);
    const r = await postJson(`http://127.0.0.1:${junkPort}/`, body, {}, { policy: LOOPBACK_ON });
    await close(junk);
    expect(r).toMatchObject({ statusCode: null, error: { kind: 'protocol' } });
  });

  it('reports a name that does not resolve as a dns error', async () => {
    const r = await postJson('https://nowhere.invalid/', body, {}, { policy: LOOPBACK_OFF, lookup: dns([]) });
    expect(r).toMatchObject({ statusCode: null, error: { kind: 'dns' } });
  });

  it('never throws: a malformed address, a refused one and a resolver that fails all come back as errors', async () => {
    expect(await postJson('not a url', body, {}, { policy: LOOPBACK_OFF })).toMatchObject({
      statusCode: null,
      error: { kind: 'refused' },
    });
    expect(await postJson('https://169.254.169.254/latest', body, {}, { policy: LOOPBACK_ON })).toMatchObject({
      error: { kind: 'refused' },
    });
    // The check resolves fine; the connection's own lookup then fails.
    let calls = 0;
    const flaky: Lookup = async () => {
      if (calls++ === 0) return PUBLIC;
      throw Object.assign(new Error('getaddrinfo EAI_AGAIN'), { code: 'EAI_AGAIN' });
    };
    expect(await postJson('https://flaky.example/', body, {}, { policy: LOOPBACK_OFF, lookup: flaky })).toMatchObject({
      statusCode: null,
      error: { kind: 'dns' },
    });
  });

  it('ignores proxy settings in the environment', async () => {
    let proxied = 0;
    const proxy = http.createServer((_req, res) => {
      proxied++;
      res.end('proxy');
    });
    const proxyPort = await listen(proxy);
    const saved = { h: process.env.HTTP_PROXY, s: process.env.HTTPS_PROXY };
    process.env.HTTP_PROXY = process.env.HTTPS_PROXY = `http://127.0.0.1:${proxyPort}`;
    try {
      const r = await postJson(`http://127.0.0.1:${httpPort}/`, body, {}, { policy: LOOPBACK_ON });
      expect(r.body).toBe('thanks');
    } finally {
      if (saved.h === undefined) delete process.env.HTTP_PROXY;
      else process.env.HTTP_PROXY = saved.h;
      if (saved.s === undefined) delete process.env.HTTPS_PROXY;
      else process.env.HTTPS_PROXY = saved.s;
      await close(proxy);
    }
    expect(proxied).toBe(0);
  });
});
