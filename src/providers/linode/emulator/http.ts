import type { Context } from 'hono';
import { waitUnlessAborted } from '../../../lib/time.ts';
import { faultReply, isAnswer, takeFault, type LinodeFault, type LinodeOperation } from './faults.ts';
import { sync } from './machine.ts';
import { nowMs, type LinodeEmulatorState, type RecordedRequest } from './state.ts';

/**
 * The pipeline every emulated endpoint goes through (spec §1, §4, §5): bearer check, rate
 * limit with `X-RateLimit-*` headers, armed faults, the state machine brought up to now,
 * the JSON body, then the handler; errors leave as Linode's `{errors:[{field?, reason}]}`.
 */

export const SPEC_VERSION = '4.189.0';

export interface Reply {
  status?: number;
  body: unknown;
}

/** A refusal in Linode's envelope; handlers throw it. */
export class EmuError extends Error {
  constructor(
    readonly status: number,
    readonly errors: Array<{ field?: string; reason: string }>,
    readonly headers: Record<string, string> = {},
  ) {
    super(errors.map((e) => e.reason).join('; '));
  }
}

export const fail = (status: number, reason: string, field?: string) =>
  new EmuError(status, [{ ...(field ? { field } : {}), reason }]);
export const notFound = () => fail(404, 'Not found');
export const busy = () => fail(400, 'Linode busy.');

export interface Call {
  c: Context;
  /** A path parameter ('' when absent). */
  param(name: string): string;
  body: Record<string, unknown>;
  /** Consumes an armed `provisioning_fails` fault for this request, if any. */
  provisioningFails(): boolean;
}

export type Handler = (call: Call) => Reply | Promise<Reply>;

/** `public`: works without a token (catalogue endpoints), but a wrong token is still 401. */
export function api(
  state: LinodeEmulatorState,
  op: LinodeOperation,
  handler: Handler,
  access: 'token' | 'public' = 'token',
) {
  return async (c: Context): Promise<Response> => {
    const path = c.req.path.replace(/^\/v4(?=\/)/, '');
    const method = c.req.method;
    const req = { op, method, path };
    const raw = method === 'POST' || method === 'PUT' ? await c.req.text() : '';
    let headers: Record<string, string> = {};
    let reply: { status: number; body: unknown };
    try {
      const auth = c.req.header('authorization');
      const bearer = /^Bearer\s+(.+)$/i.exec(auth ?? '')?.[1]?.trim();
      if ((auth !== undefined || access === 'token') && bearer !== state.options.token)
        throw fail(401, 'Invalid Token');
      headers = rateLimit(state, bearer ?? 'anonymous');
      const delay = takeFault(state, req, (f) => f.type === 'delay');
      if (delay?.type === 'delay' && !(await wait(delay.ms, state, c))) return new Response(null, { status: 499 });
      const fault = takeFault(state, req, isAnswer);
      if (fault) {
        const f = faultReply(fault);
        throw new EmuError(f.status, f.errors, f.headers);
      }
      const late = takeFault(state, req, (f) => f.type === 'succeeds_late');
      sync(state);
      const body = parseBody(raw);
      const param = (name: string) => c.req.param(name) ?? '';
      const result = await handler({
        c,
        param,
        body,
        provisioningFails: () => takeFault(state, req, (f: LinodeFault) => f.type === 'provisioning_fails') !== null,
      });
      reply = { status: result.status ?? 200, body: result.body };
      if (late?.type === 'succeeds_late') {
        // The operation happened: it is recorded now, and only the answer is late.
        record(state, c, op, path, method, raw, reply.status);
        await wait(late.ms, state, c);
        return respond(reply, headers);
      }
    } catch (err) {
      if (!(err instanceof EmuError)) throw err;
      reply = { status: err.status, body: { errors: err.errors } };
      headers = { ...headers, ...err.headers };
    }
    record(state, c, op, path, method, raw, reply.status);
    return respond(reply, headers);
  };
}

function respond(reply: { status: number; body: unknown }, headers: Record<string, string>): Response {
  return new Response(JSON.stringify(reply.body), {
    status: reply.status,
    headers: { ...commonHeaders(), ...headers },
  });
}

function commonHeaders(): Record<string, string> {
  return {
    'content-type': 'application/json',
    'x-spec-version': SPEC_VERSION,
    'x-oauth-scopes': '*',
    'x-customer-uuid': 'E1A2B3C4-D5E6-4F70-8A9B-0C1D2E3F4A5B',
    'access-control-allow-origin': '*',
    'access-control-allow-headers': 'Authorization, Origin, X-Requested-With, Content-Type, Accept, X-Filter',
    'access-control-expose-headers':
      'X-OAuth-Scopes, X-Accepted-OAuth-Scopes, X-Status, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, Retry-After',
  };
}

function parseBody(raw: string): Record<string, unknown> {
  if (!raw.trim()) return {};
  try {
    const v: unknown = JSON.parse(raw);
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // falls through
  }
  // Guess: Linode's wording for a malformed body is not documented.
  throw fail(400, 'Invalid JSON');
}

/** A fixed window per token on the emulator's clock, so a test steps past it instead of sleeping. */
function rateLimit(state: LinodeEmulatorState, key: string): Record<string, string> {
  const { limit, windowSeconds } = state.options.rateLimit;
  const now = nowMs(state);
  const size = windowSeconds * 1000;
  const windowStart = now - (now % size);
  let w = state.rate.get(key);
  if (!w || w.windowStart !== windowStart) state.rate.set(key, (w = { windowStart, count: 0 }));
  w.count += 1;
  const reset = Math.ceil((windowStart + size) / 1000);
  const headers = {
    'x-ratelimit-limit': String(limit),
    'x-ratelimit-remaining': String(Math.max(0, limit - w.count)),
    'x-ratelimit-reset': String(reset),
  };
  if (w.count > limit) {
    const retryAfter = Math.max(1, Math.ceil((windowStart + size - now) / 1000));
    throw new EmuError(429, [{ reason: 'Too Many Requests' }], { ...headers, 'retry-after': String(retryAfter) });
  }
  return headers;
}

/** Waits (real time); false when the client hung up or the emulator is closing. */
function wait(ms: number, state: LinodeEmulatorState, c: Context): Promise<boolean> {
  return waitUnlessAborted(ms, [state.closing.signal, c.req.raw.signal]);
}

const SECRET_KEYS = /pass|secret|token/i;

function redact(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(redact);
  if (!v || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, SECRET_KEYS.test(k) ? '[redacted]' : redact(x)]));
}

function record(
  state: LinodeEmulatorState,
  c: Context,
  op: string,
  path: string,
  method: string,
  raw: string,
  status: number,
): void {
  let body: unknown = null;
  let filter: unknown = null;
  try {
    body = raw.trim() ? redact(JSON.parse(raw)) : null;
  } catch {
    body = '[not JSON]';
  }
  try {
    const f = c.req.header('x-filter');
    filter = f ? JSON.parse(f) : null;
  } catch {
    filter = null;
  }
  const entry: RecordedRequest = {
    at: state.clock.now().toISOString(),
    method,
    path,
    query: c.req.query(),
    op,
    status,
    filter,
    body,
  };
  state.requests.push(entry);
}
