import { createHash, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local Resend: speaks the same HTTP protocol as api.resend.com (`POST /emails`,
 * `GET /emails/{id}`, the `{statusCode,name,message}` error envelope, Bearer `re_` keys,
 * `Idempotency-Key`) so the real client is tested over real HTTP. See
 * `specs/email-resend-smtp.md`, part A.
 */

/** One-shot failures a test can queue; each is consumed by the next `POST /emails`. */
export type ResendFailure = '429' | '500' | 'non_json' | 'timeout' | '403_unverified_domain' | '422';

export interface ResendEmulatorMessage {
  id: string;
  from: string;
  to: string[];
  subject: string;
  html: string | null;
  text: string | null;
  cc: string[];
  bcc: string[];
  reply_to: string[];
  headers: Record<string, string>;
  idempotencyKey: string | null;
  created_at: string;
}

export interface ResendEmulator {
  url: string;
  /** Every accepted message, in order; replays of an idempotent request are not added again. */
  messages: ResendEmulatorMessage[];
  inject(failure: ResendFailure): void;
  close(): Promise<void>;
}

export interface ResendEmulatorOptions {
  port?: number;
  /** Resend's docs list both 400 and 422 for field errors; let tests pick. */
  validationStatus?: 400 | 422;
}

interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

const EMAIL = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;
const NAMED_EMAIL = /^[^<>]*<([^\s@<>]+@[^\s@<>]+\.[^\s@<>]+)>$/;
const MAX_BODY_BYTES = 40 * 1024 * 1024;

const fail = (status: number, name: string, message: string, headers?: Record<string, string>): Reply => ({
  status,
  body: { statusCode: status, name, message },
  headers,
});

const injected: Record<Exclude<ResendFailure, 'timeout' | 'non_json'>, () => Reply> = {
  '429': () =>
    fail(429, 'rate_limit_exceeded', 'Too many requests. You can only make 2 requests per second.', {
      'retry-after': '1',
      'ratelimit-limit': '2',
      'ratelimit-remaining': '0',
      'ratelimit-reset': '1',
    }),
  '500': () => fail(500, 'internal_server_error', 'An unexpected error occurred.'),
  '403_unverified_domain': () =>
    fail(
      403,
      'validation_error',
      'The skypanel.local domain is not verified. Please, add and verify your domain on https://resend.com/domains',
    ),
  '422': () =>
    fail(
      422,
      'validation_error',
      'Invalid `to` field. The email address needs to follow the `email@example.com` format.',
    ),
};

export async function startResendEmulator(opts: ResendEmulatorOptions = {}): Promise<ResendEmulator> {
  const messages: ResendEmulatorMessage[] = [];
  const failures: ResendFailure[] = [];
  // Idempotency-Key → the body it was first used with and the answer given; Resend keeps these 24 h.
  const idempotent = new Map<string, { bodyHash: string; reply: Reply }>();
  const validationStatus = opts.validationStatus ?? 422;

  function handle(req: http.IncomingMessage, raw: string, res: http.ServerResponse): Reply | null {
    const path = new URL(req.url ?? '/', 'http://emulator').pathname.replace(/\/+$/, '');
    const auth = req.headers.authorization;
    if (!auth) {
      return fail(
        401,
        'missing_api_key',
        'Missing API key in the authorization header. Include the following header in the request: Authorization: Bearer YOUR_API_KEY',
      );
    }
    if (!/^Bearer re_\S+$/.test(auth)) return fail(403, 'invalid_api_key', 'API key is invalid');

    const one = /^\/emails\/([^/]+)$/.exec(path);
    if (one && req.method === 'GET') {
      const m = messages.find((x) => x.id === one[1]);
      if (!m) return fail(404, 'not_found', 'Email not found');
      const { idempotencyKey: _key, headers: _headers, ...rest } = m;
      return { status: 200, body: { object: 'email', ...rest, last_event: 'delivered' } };
    }
    if (path !== '/emails') return fail(404, 'not_found', 'The requested endpoint does not exist.');
    if (req.method !== 'POST') return fail(405, 'method_not_allowed', 'Method Not Allowed');

    const failure = failures.shift();
    if (failure === 'timeout') return null;
    if (failure === 'non_json') {
      // What a gateway in front of the API answers when the origin is down.
      res.writeHead(502, { 'content-type': 'text/html' }).end('<html><body><h1>502 Bad Gateway</h1></body></html>');
      return null;
    }
    if (failure) return injected[failure]();

    const key = req.headers['idempotency-key'];
    const idemKey = typeof key === 'string' ? key : null;
    if (idemKey !== null && (idemKey.length < 1 || idemKey.length > 256)) {
      return fail(400, 'invalid_idempotency_key', 'The key must be between 1-256 chars.');
    }
    const bodyHash = createHash('sha256').update(raw).digest('hex');
    const previous = idemKey ? idempotent.get(idemKey) : undefined;
    if (previous) {
      return previous.bodyHash === bodyHash
        ? previous.reply
        : fail(
            409,
            'invalid_idempotent_request',
            'Same idempotency key used with a different request payload. Change your idempotency key or payload.',
          );
    }

    let payload: unknown;
    try {
      payload = JSON.parse(raw);
    } catch {
      return fail(validationStatus, 'validation_error', 'Invalid JSON body.');
    }
    const checked = validate(payload, validationStatus);
    if ('status' in checked) return checked;

    const message: ResendEmulatorMessage = {
      id: randomUUID(),
      ...checked,
      idempotencyKey: idemKey,
      created_at: new Date().toISOString(),
    };
    messages.push(message);
    const reply: Reply = { status: 200, body: { id: message.id } };
    if (idemKey) idempotent.set(idemKey, { bodyHash, reply });
    return reply;
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) req.destroy();
      else chunks.push(c);
    });
    req.on('end', () => {
      const reply = handle(req, Buffer.concat(chunks).toString('utf8'), res);
      if (!reply) return; // answered already, or held open to simulate a timeout
      res
        .writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers })
        .end(JSON.stringify(reply.body));
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    messages,
    inject: (failure) => void failures.push(failure),
    close: () =>
      new Promise<void>((resolve) => {
        // Held "timeout" requests never finish on their own; cut them so close() returns.
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

type Fields = Omit<ResendEmulatorMessage, 'id' | 'idempotencyKey' | 'created_at'>;

/** Mirrors the checks Resend makes on `POST /emails`, with its wording. */
function validate(payload: unknown, status: number): Fields | Reply {
  const invalid = (message: string) => fail(status, 'validation_error', message);
  if (!payload || typeof payload !== 'object' || Array.isArray(payload))
    return invalid('The request body must be a JSON object.');
  const p = payload as Record<string, unknown>;

  if (typeof p.from !== 'string' || !p.from.trim()) return invalid('Missing `from` field.');
  if (!isAddress(p.from)) {
    return invalid(
      'Invalid `from` field. The email address needs to follow the `email@example.com` or `Name <email@example.com>` format.',
    );
  }
  const to = list(p.to);
  if (!to || to.length === 0) return invalid('Missing `to` field.');
  if (to.length > 50) return invalid('Invalid `to` field. Too many recipients: the maximum is 50.');
  if (!to.every(isAddress))
    return invalid(
      'Invalid `to` field. The email address needs to follow the `email@example.com` or `Name <email@example.com>` format.',
    );
  if (typeof p.subject !== 'string') return invalid('Missing `subject` field.');
  const html = typeof p.html === 'string' && p.html !== '' ? p.html : null;
  const text = typeof p.text === 'string' && p.text !== '' ? p.text : null;
  if (!html && !text) return invalid('Missing `html` or `text` field.');

  const optional = (field: string) => {
    const v = p[field] === undefined || p[field] === null ? [] : list(p[field]);
    return v && v.every(isAddress) ? v : null;
  };
  const cc = optional('cc');
  const bcc = optional('bcc');
  const replyTo = optional('reply_to');
  if (!cc || !bcc || !replyTo) return invalid('Invalid `cc`, `bcc` or `reply_to` field.');
  const headers = p.headers ?? {};
  if (
    typeof headers !== 'object' ||
    Array.isArray(headers) ||
    !Object.values(headers).every((v) => typeof v === 'string')
  ) {
    return invalid('Invalid `headers` field. Header values must be strings.');
  }
  return {
    from: p.from,
    to,
    subject: p.subject,
    html,
    text,
    cc,
    bcc,
    reply_to: replyTo,
    headers: headers as Record<string, string>,
  };
}

function list(v: unknown): string[] | null {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  return null;
}

function isAddress(v: string): boolean {
  const s = v.trim();
  return EMAIL.test(s) || NAMED_EMAIL.test(s);
}
