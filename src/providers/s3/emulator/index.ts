import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import { parseAuthorization, sha256Hex, signature, UNSIGNED_PAYLOAD } from '../sigv4.ts';

/**
 * A local S3: path-style PUT, GET, HEAD and DELETE of objects (`/<bucket>/<key>`), every request
 * authenticated as S3 does it, by an AWS Signature V4 Authorization header checked against the
 * emulator's keys (a wrong secret is `SignatureDoesNotMatch`, an unknown key
 * `InvalidAccessKeyId`, a body that is not the signed `x-amz-content-sha256`
 * `XAmzContentSHA256Mismatch`, a date more than 15 minutes off `RequestTimeTooSkewed`), errors
 * as S3's XML `<Error><Code>…</Code><Message>…</Message></Error>`. Objects live in memory.
 * Tests start it on 127.0.0.1 and point the real client (src/providers/s3/client.ts) at it; the
 * app never serves it.
 */

export interface S3EmulatorOptions {
  /** Buckets that exist (default ['skypanel']). */
  buckets?: string[];
  /** Access key id → secret (default one pair, `EMULATORKEY` / `emulator-secret`). */
  keys?: Record<string, string>;
  /** The emulator's clock, for the 15-minute skew check. */
  now?: () => Date;
}

export interface StoredObject {
  bytes: Buffer;
  contentType: string;
  etag: string;
}

export interface S3EmulatorApp {
  app: Hono;
  /** Objects by `<bucket>/<key>`. */
  readonly objects: Map<string, StoredObject>;
  /** Every request received, oldest first, with how it was answered. */
  readonly requests: { method: string; path: string; status: number; code?: string }[];
}

export interface S3Emulator extends Omit<S3EmulatorApp, 'app'> {
  url: string;
  accessKeyId: string;
  secretAccessKey: string;
  close(): Promise<void>;
}

export const EMULATOR_ACCESS_KEY_ID = 'EMULATORKEY';
export const EMULATOR_SECRET = 'emulator-secret';
const SKEW_MS = 15 * 60_000;

function s3Error(c: Context, status: 400 | 403 | 404 | 405, code: string, message: string, resource: string) {
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><Resource>${resource}</Resource><RequestId>${randomUUID()}</RequestId></Error>`;
  return c.body(xml, status, { 'Content-Type': 'application/xml' });
}

export function createS3EmulatorApp(opts: S3EmulatorOptions = {}): S3EmulatorApp {
  const buckets = new Set(opts.buckets ?? ['skypanel']);
  const keys = opts.keys ?? { [EMULATOR_ACCESS_KEY_ID]: EMULATOR_SECRET };
  const now = opts.now ?? (() => new Date());
  const objects = new Map<string, StoredObject>();
  const requests: S3EmulatorApp['requests'] = [];
  const app = new Hono();

  /** Null when the request is signed right, else the refusal. */
  async function refusal(c: Context, body: Buffer): Promise<Response | null> {
    const url = new URL(c.req.url);
    const deny = (code: string, message: string) => s3Error(c, 403, code, message, url.pathname);
    const header = c.req.header('authorization');
    if (!header) return deny('AccessDenied', 'Access Denied');
    const auth = parseAuthorization(header);
    if (!auth || auth.service !== 's3')
      return deny('AuthorizationHeaderMalformed', 'The authorization header is malformed.');
    const secret = keys[auth.accessKeyId];
    if (secret === undefined)
      return deny('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');
    const date = c.req.header('x-amz-date') ?? '';
    const at = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(date);
    if (!at || date.slice(0, 8) !== auth.day)
      return deny('AccessDenied', 'x-amz-date is missing or does not match the credential scope.');
    const when = Date.UTC(+at[1]!, +at[2]! - 1, +at[3]!, +at[4]!, +at[5]!, +at[6]!);
    if (Math.abs(when - now().getTime()) > SKEW_MS)
      return deny('RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.');
    const payloadHash = c.req.header('x-amz-content-sha256');
    if (!payloadHash)
      return s3Error(
        c,
        400,
        'InvalidRequest',
        'Missing required header for this request: x-amz-content-sha256',
        url.pathname,
      );
    if (payloadHash !== UNSIGNED_PAYLOAD && payloadHash !== sha256Hex(body))
      return s3Error(
        c,
        400,
        'XAmzContentSHA256Mismatch',
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
        url.pathname,
      );
    const signedHeaders = auth.signedHeaders;
    if (!signedHeaders.includes('host') || !signedHeaders.includes('x-amz-date'))
      return deny('AccessDenied', 'The host and x-amz-date headers must be signed.');
    const headers: Record<string, string> = {};
    for (const name of signedHeaders) headers[name] = c.req.header(name) ?? '';
    const expected = signature({ method: c.req.method, url, headers, payloadHash }, date, {
      accessKeyId: auth.accessKeyId,
      secretAccessKey: secret,
      region: auth.region,
    });
    const ok = timingSafeEqual(Buffer.from(expected), Buffer.from(auth.signature));
    return ok
      ? null
      : deny(
          'SignatureDoesNotMatch',
          'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
        );
  }

  app.use(async (c, next) => {
    await next();
    const code =
      c.res.headers.get('content-type') === 'application/xml'
        ? /<Code>([^<]+)/.exec(await c.res.clone().text())?.[1]
        : undefined;
    requests.push({
      method: c.req.method,
      path: new URL(c.req.url).pathname,
      status: c.res.status,
      ...(code ? { code } : {}),
    });
    if (requests.length > 1000) requests.shift();
  });

  app.all('/:bucket/:key{.+}', async (c) => {
    const body = Buffer.from(await c.req.arrayBuffer());
    const denied = await refusal(c, body);
    if (denied) return denied;
    const bucket = c.req.param('bucket');
    const key = c.req.param('key');
    const path = new URL(c.req.url).pathname;
    if (!buckets.has(bucket)) return s3Error(c, 404, 'NoSuchBucket', 'The specified bucket does not exist', path);
    const id = `${bucket}/${key}`;
    switch (c.req.method) {
      case 'PUT': {
        const etag = `"${createHash('md5').update(body).digest('hex')}"`;
        objects.set(id, { bytes: body, contentType: c.req.header('content-type') ?? 'binary/octet-stream', etag });
        return c.body(null, 200, { ETag: etag });
      }
      case 'GET':
      case 'HEAD': {
        const obj = objects.get(id);
        if (!obj) return s3Error(c, 404, 'NoSuchKey', 'The specified key does not exist.', path);
        const headers = {
          'Content-Type': obj.contentType,
          ETag: obj.etag,
          'Content-Length': String(obj.bytes.length),
          'Last-Modified': new Date().toUTCString(),
        };
        if (c.req.method === 'HEAD') return c.body(null, 200, headers);
        return c.body(new Uint8Array(obj.bytes), 200, headers);
      }
      case 'DELETE':
        objects.delete(id);
        return c.body(null, 204);
      default:
        return s3Error(c, 405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.', path);
    }
  });

  return { app, objects, requests };
}

/** The emulator on its own port at 127.0.0.1 (port 0 = any free port). */
export async function startS3Emulator(opts: S3EmulatorOptions & { port?: number } = {}): Promise<S3Emulator> {
  const emu = createS3EmulatorApp(opts);
  const server = createAdaptorServer({ fetch: emu.app.fetch, hostname: '127.0.0.1' }) as http.Server;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const [accessKeyId, secretAccessKey] = Object.entries(opts.keys ?? { [EMULATOR_ACCESS_KEY_ID]: EMULATOR_SECRET })[0]!;
  return {
    url: `http://127.0.0.1:${port}`,
    accessKeyId,
    secretAccessKey,
    objects: emu.objects,
    requests: emu.requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
