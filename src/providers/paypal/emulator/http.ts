import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import { paypalError } from './errors.ts';
import {
  AFTER_FAULTS,
  REQUEST_FAULTS,
  isNamed,
  isoTime,
  takeFault,
  type PayPalEmulatorState,
  type PayPalFault,
  type PayPalOperation,
  type Reply,
} from './state.ts';

/**
 * The request pipeline every emulated API route goes through: bearer auth, `PayPal-Request-Id`
 * replay (§3, checklist 6), injected faults (checklist 7), then the handler; and the OAuth
 * token endpoint (§2).
 */

export interface Route {
  op: PayPalOperation;
  /** Bearer token required (everything but the token endpoint). */
  bearer: boolean;
  /** POST with a JSON body. */
  json: boolean;
  /** PayPal-Request-Id replays the first successful answer. */
  idempotent: boolean;
}

export const route = (op: PayPalOperation, json: boolean, idempotent = false): Route => ({
  op,
  bearer: op !== 'token',
  json,
  idempotent,
});

/**
 * Auth, `PayPal-Request-Id` replay, injected faults, then the handler. A `null` reply means
 * "drop the connection" (timeouts and connection_lost).
 */
export async function api(
  state: PayPalEmulatorState,
  c: Context,
  r: Route,
  handler: (raw: string, body: unknown) => Reply,
): Promise<Response> {
  const requestId = c.req.header('paypal-request-id') ?? null;
  const reply = await process(state, c, r, requestId, handler);
  record(state, c, r.op, requestId, reply ? reply.status : 0);
  if (!reply) return drop(c);
  return new Response(JSON.stringify(reply.body), {
    status: reply.status,
    headers: {
      'content-type': 'application/json',
      'paypal-debug-id': randomBytes(7).toString('hex').slice(0, 13),
      ...reply.headers,
    },
  });
}

async function process(
  state: PayPalEmulatorState,
  c: Context,
  r: Route,
  requestId: string | null,
  handler: (raw: string, body: unknown) => Reply,
): Promise<Reply | null> {
  if (r.bearer && !hasValidToken(state, c)) return paypalError(401, undefined, { name: 'AUTHENTICATION_FAILURE' });
  if (requestId !== null && (requestId.length < 1 || requestId.length > 108)) {
    return paypalError(400, 'INVALID_STRING_LENGTH', { field: 'PayPal-Request-Id', location: 'header' });
  }
  const key = r.idempotent && requestId ? `${c.req.method} ${c.req.path} ${requestId}` : null;
  if (key) {
    const stored = state.idempotent.get(key);
    if (stored) return replay(stored);
    const running = state.inFlight.get(key);
    // Refunds say so (409); orders wait for the first request and replay its answer.
    if (running && r.op === 'refund')
      return paypalError(409, 'PREVIOUS_REQUEST_IN_PROGRESS', { name: 'RESOURCE_CONFLICT' });
    while (state.inFlight.has(key)) await state.inFlight.get(key);
    const after = state.idempotent.get(key);
    if (after) return replay(after);
  }
  let finished = () => {};
  if (key) state.inFlight.set(key, new Promise<void>((resolve) => (finished = resolve)));
  try {
    const slow = takeFault(state, r.op, (f) => typeof f === 'object' && 'slow' in f);
    if (slow && typeof slow === 'object' && 'slow' in slow) await wait(slow.slow, state, c);
    const fault = takeFault(
      state,
      r.op,
      (f) => (typeof f === 'object' && 'error' in f) || isNamed(...REQUEST_FAULTS)(f),
    );
    if (fault) return await faultReply(state, c, fault);

    const raw = await c.req.text();
    let body: unknown = {};
    if (r.json) {
      if (!/^application\/json\b/i.test(c.req.header('content-type') ?? ''))
        return paypalError(415, 'UNSUPPORTED_MEDIA_TYPE', { name: 'UNSUPPORTED_MEDIA_TYPE' });
      if (raw.trim()) {
        try {
          body = JSON.parse(raw);
        } catch {
          return paypalError(400, 'MALFORMED_REQUEST_JSON');
        }
      }
    }
    const reply = handler(raw, body);
    if (key && reply.status < 300) state.idempotent.set(key, reply);
    // Applied, but the answer never arrives: the caller must find out by retrying or reading.
    if (takeFault(state, r.op, isNamed(...AFTER_FAULTS))) return null;
    return reply;
  } finally {
    if (key) {
      state.inFlight.delete(key);
      finished();
    }
  }
}

/** A replayed answer: same body, status 200 (PayPal answers replays of creates with 200). */
function replay(stored: Reply): Reply {
  return { status: stored.status === 201 ? 200 : stored.status, body: stored.body, headers: stored.headers };
}

async function faultReply(state: PayPalEmulatorState, c: Context, fault: PayPalFault): Promise<Reply | null> {
  if (typeof fault === 'object' && 'error' in fault) {
    const { status, name, issue, description } = fault.error;
    return paypalError(status, issue, { ...(name ? { name } : {}), ...(description ? { description } : {}) });
  }
  switch (fault) {
    case 'server_error':
      return paypalError(500);
    case 'rate_limited': {
      const reply = paypalError(429, undefined, { name: 'RATE_LIMIT_REACHED' });
      return { ...reply, headers: { ...reply.headers, 'retry-after': '1' } };
    }
    case 'invalid_token':
      return paypalError(401, undefined, { name: 'AUTHENTICATION_FAILURE' });
    case 'invalid_client':
      return { status: 401, body: { error: 'invalid_client', error_description: 'Client Authentication failed' } };
    case 'timeout':
      // Hold the request until the caller gives up (or the emulator closes), then drop it.
      await wait(120_000, state, c);
      return null;
    default:
      return paypalError(500);
  }
}

export function issueToken(state: PayPalEmulatorState, c: Context, raw: string): Reply {
  const m = /^Basic\s+(\S+)$/i.exec(c.req.header('authorization') ?? '');
  const decoded = m ? Buffer.from(m[1]!, 'base64').toString('utf8') : '';
  const sep = decoded.indexOf(':');
  if (
    sep < 0 ||
    decoded.slice(0, sep) !== state.options.clientId ||
    decoded.slice(sep + 1) !== state.options.clientSecret
  ) {
    return { status: 401, body: { error: 'invalid_client', error_description: 'Client Authentication failed' } };
  }
  const grant = new URLSearchParams(raw).get('grant_type');
  if (grant !== 'client_credentials') {
    return {
      status: 400,
      body: {
        error: 'unsupported_grant_type',
        error_description: grant ? `Grant Type ${grant} is not supported` : 'Grant Type is NULL',
      },
    };
  }
  const token = `A21AA${randomBytes(36).toString('base64url')}`;
  const ttl = state.options.tokenTtlSeconds;
  state.tokens.set(token, state.now() + ttl * 1000);
  return {
    status: 200,
    body: {
      scope:
        'https://uri.paypal.com/services/payments/payment https://uri.paypal.com/services/payments/refund https://uri.paypal.com/services/applications/webhooks',
      access_token: token,
      token_type: 'Bearer',
      app_id: 'APP-80W284485P519543T',
      expires_in: ttl,
      nonce: `${isoTime(state)}${randomBytes(16).toString('base64url')}`,
    },
  };
}

function hasValidToken(state: PayPalEmulatorState, c: Context): boolean {
  const m = /^Bearer\s+(\S+)$/.exec(c.req.header('authorization') ?? '');
  const expires = m ? state.tokens.get(m[1]!) : undefined;
  return expires !== undefined && expires > state.now();
}

export function wantsRepresentation(c: Context): boolean {
  return /return=representation/i.test(c.req.header('prefer') ?? '');
}

export function record(
  state: PayPalEmulatorState,
  c: Context,
  op: PayPalOperation | 'page',
  requestId: string | null,
  status: number,
): void {
  state.requests.push({ op, method: c.req.method, path: c.req.path, requestId, status });
  // A demo app runs for weeks: the log keeps the newest requests only (tests read a few dozen).
  if (state.requests.length > MAX_REQUEST_LOG) state.requests.splice(0, state.requests.length - MAX_REQUEST_LOG);
}

/** How many requests the emulator's log keeps. */
export const MAX_REQUEST_LOG = 2_000;

/** Sleeps, but stops early when the caller hangs up or the emulator closes. */
function wait(ms: number, state: PayPalEmulatorState, c: Context): Promise<void> {
  const signals = [state.closing.signal, c.req.raw.signal];
  return new Promise((resolve) => {
    if (signals.some((s) => s.aborted)) return resolve();
    const done = () => {
      clearTimeout(timer);
      for (const s of signals) s.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    for (const s of signals) s.addEventListener('abort', done, { once: true });
  });
}

/** Cuts the TCP connection without an answer (when served by @hono/node-server). */
function drop(c: Context): Response {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  incoming?.socket?.destroy();
  return new Response('connection dropped by the PayPal emulator', { status: 502 });
}
