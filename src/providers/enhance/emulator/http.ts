import type { Context, Hono } from 'hono';
import { waitUnlessAborted } from '../../../lib/time.ts';
import { nowIso, type EmuFault, type EmuOrg, type EnhanceEmulatorState } from './state.ts';

/**
 * The pipeline every emulated endpoint goes through (spec §2, §6): bearer token (401), armed
 * faults (status/body or a delay), the JSON body, the handler, then the answer in Enhance's
 * conventions (JSON, bare scalars, or no body for 204s) and a record of the request.
 * Refusals leave as `{code, detail?, message?}` (the `HttpError` schema; values unconfirmed).
 */

export interface ErrorBody {
  code: string;
  detail?: string;
  message?: string;
}

export class EmuError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody,
  ) {
    super(body.message ?? body.code);
  }
}

export const fail = (status: number, code: string, detail?: string, message?: string) =>
  new EmuError(status, { code, ...(detail ? { detail } : {}), ...(message ? { message } : {}) });
export const notFound = (what = 'resource') => fail(404, 'not_found', undefined, `The ${what} was not found`);
export const invalid = (field: string, message?: string) =>
  fail(400, 'invalid_input', field, message ?? `Invalid value for ${field}`);
export const onlyMaster = () => fail(403, 'only_mo_allowed', undefined, 'Only the master organisation may do this');

export interface Reply {
  status?: number;
  /** Omitted: no body. */
  body?: unknown;
  headers?: Record<string, string>;
}

export interface Call {
  c: Context;
  param(name: string): string;
  query(name: string): string | undefined;
  /** The parsed JSON body (any JSON value; undefined when there was none). */
  json: unknown;
  /** The body as an object ({} when it is not one). */
  body: Record<string, unknown>;
  /** The org the token acts for. */
  actor: string;
  isMaster: boolean;
  /** Where this emulator is reached, e.g. `http://127.0.0.1:4000/_emulators/enhance` (no /api). */
  origin: string;
  /** The org, if it exists (not hard-deleted) and the token may act on it: else 404 / 403. */
  org(id: string): EmuOrg;
  /** 403 unless the token is the master org's. */
  requireMaster(): void;
}

export type Handler = (call: Call) => Reply | Promise<Reply>;
type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** The request's path below `/api`, and what comes before it (a mount prefix). */
function split(path: string): { prefix: string; below: string } {
  const at = path.indexOf('/api/');
  return at < 0 ? { prefix: '', below: path } : { prefix: path.slice(0, at), below: path.slice(at + 4) };
}

export function route(
  app: Hono,
  state: EnhanceEmulatorState,
  method: Method,
  path: string,
  handler: Handler,
  access: 'token' | 'public' = 'token',
): void {
  app[method](path, async (c) => {
    const { prefix, below } = split(c.req.path);
    const verb = c.req.method;
    const raw = verb === 'GET' ? '' : await c.req.text();
    let reply: Reply;
    try {
      const actor = access === 'public' ? state.options.masterOrgId : authenticate(state, c);
      const delay = takeFault(state, verb, below, (f) => f.delayMs !== undefined);
      if (delay && !(await wait(delay.delayMs!, state, c))) return new Response(null, { status: 499 });
      const fault = takeFault(state, verb, below, (f) => f.status !== undefined);
      if (fault) throw new EmuError(fault.status!, (fault.body as ErrorBody) ?? { code: codeFor(fault.status!) });
      const json = parseJson(raw);
      const isMaster = actor === state.options.masterOrgId;
      const call: Call = {
        c,
        param: (name) => c.req.param(name) ?? '',
        query: (name) => c.req.query(name),
        json,
        body: json && typeof json === 'object' && !Array.isArray(json) ? (json as Record<string, unknown>) : {},
        actor,
        isMaster,
        origin: state.options.publicOrigin ?? new URL(c.req.url).origin + prefix,
        org: (id) => accessibleOrg(state, actor, id),
        requireMaster: () => {
          if (!isMaster) throw onlyMaster();
        },
      };
      reply = await handler(call);
    } catch (err) {
      if (!(err instanceof EmuError)) throw err;
      reply = { status: err.status, body: err.body };
    }
    const status = reply.status ?? 200;
    record(state, c, verb, below, raw, status);
    if (reply.body === undefined || status === 204) return new Response(null, { status, headers: reply.headers });
    return new Response(JSON.stringify(reply.body), {
      status,
      headers: { 'content-type': 'application/json', ...reply.headers },
    });
  });
}

/** `route` for paths below one prefix: `const r = routesAt(app, state, '/api'); r('get', '/orgs/:org', handler)`. */
export function routesAt(app: Hono, state: EnhanceEmulatorState, prefix: string) {
  return (method: Method, path: string, handler: Handler) => route(app, state, method, `${prefix}${path}`, handler);
}

function authenticate(state: EnhanceEmulatorState, c: Context): string {
  const auth = c.req.header('authorization');
  if (!auth) throw fail(401, 'no_session_token', undefined, 'No session token');
  const bearer = /^Bearer\s+(.+)$/i.exec(auth)?.[1]?.trim();
  const org = bearer ? state.tokens.get(bearer) : undefined;
  if (!org) throw fail(401, 'unauthorized', undefined, 'Invalid access token');
  return org;
}

/** Orgs the token's org may act on: itself and its descendants. */
function accessibleOrg(state: EnhanceEmulatorState, actor: string, id: string): EmuOrg {
  const org = state.orgs.get(id);
  if (!org) throw notFound('organisation');
  for (let at: EmuOrg | undefined = org; at; at = at.parentId ? state.orgs.get(at.parentId) : undefined)
    if (at.id === actor) return org;
  throw fail(403, 'unauthorized', undefined, 'Insufficient privileges');
}

function codeFor(status: number): string {
  if (status === 400) return 'invalid_input';
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 409) return 'conflict';
  return 'internal_server_error';
}

function parseJson(raw: string): unknown {
  if (!raw.trim()) return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw fail(400, 'invalid_input', 'body', 'The body is not valid JSON');
  }
}

function takeFault(
  state: EnhanceEmulatorState,
  method: string,
  path: string,
  wanted: (f: EmuFault) => boolean,
): EmuFault | null {
  const armed = state.faults.find(
    (f) =>
      wanted(f) &&
      (f.method === null || f.method === method) &&
      (f.path === null || (typeof f.path === 'string' ? f.path === path : f.path.test(path))),
  );
  if (!armed) return null;
  armed.remaining -= 1;
  if (armed.remaining <= 0) state.faults.splice(state.faults.indexOf(armed), 1);
  return armed;
}

/** Waits (real time); false when the client hung up or the emulator is closing. */
function wait(ms: number, state: EnhanceEmulatorState, c: Context): Promise<boolean> {
  return waitUnlessAborted(ms, [state.closing.signal, c.req.raw.signal]);
}

const SECRET_KEYS = /pass|secret|token|key$/i;

function redact(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(redact);
  if (!v || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, SECRET_KEYS.test(k) ? '[redacted]' : redact(x)]));
}

function record(state: EnhanceEmulatorState, c: Context, method: string, path: string, raw: string, status: number) {
  let body: unknown = null;
  try {
    body = raw.trim() ? redact(JSON.parse(raw)) : null;
  } catch {
    body = '[not JSON]';
  }
  state.requests.push({ at: nowIso(), method, path, query: c.req.query(), status, body });
}

/** One page of a listing: `{items, total}` from `offset` and `limit` (capped at the emulator's page size). */
export function page<T>(state: EnhanceEmulatorState, call: Call, items: T[]): { items: T[]; total: number } {
  const offset = Math.max(0, Number(call.query('offset') ?? 0) || 0);
  const asked = Number(call.query('limit') ?? state.options.maxPageSize) || state.options.maxPageSize;
  const limit = Math.min(Math.max(1, asked), state.options.maxPageSize);
  return { items: items.slice(offset, offset + limit), total: items.length };
}
