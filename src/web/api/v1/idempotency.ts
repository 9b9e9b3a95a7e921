import { z } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import type { Db } from '../../../db/index.ts';
import { claimIdempotencyKey, keepIdempotentAnswer, releaseIdempotencyKey } from '../../../domain/idempotency/keys.ts';
import type { Clock } from '../../../lib/time.ts';
import { errorEnvelope } from '../../errors.ts';
import { requireToken, secured } from './bearer-auth.ts';

/**
 * `Idempotency-Key` for the API's money POSTs (Stripe's model); the keys are kept by the
 * domain (src/domain/idempotency/keys.ts), this is what HTTP makes of them:
 *
 *   first request with a key     → claims it, runs, keeps status + JSON body
 *   same key, same request       → the kept answer again, `Idempotent-Replayed: true`, no effect
 *   same key, another request    → 422 `idempotency_key_reused` (body, path or organization differ)
 *   same key while the first runs → 409 `idempotency_key_in_flight` (retry later, same key)
 *
 * Only final answers are kept: 2xx and the refusals that cannot change on retry (400, 404,
 * 422). A 401/403 (credentials or role may change), 409, 429 or 5xx releases the key, so a
 * retry with it runs for real. Runs after `requireToken` and before the body validator (it
 * reads the raw body once).
 *
 * `secretFields` names top-level JSON fields that must never be kept (a root password typed
 * in the request, or generated in the answer): they are left out of the request's hash and
 * out of the kept answer, so a replay answers without them.
 *
 * @example createRoute({ ..., middleware: [requireToken, idempotency({ db, clock })] })
 */
export function idempotency(opts: {
  db: Db;
  clock: Clock;
  staleMs?: number;
  retainMs?: number;
  secretFields?: readonly string[];
}): MiddlewareHandler {
  const secrets = opts.secretFields ?? [];
  return async function idempotencyMiddleware(c, next) {
    const key = c.req.header('idempotency-key');
    const actor = c.get('actor');
    if (key === undefined || !actor) return next();
    if (!/^[\x21-\x7e]{1,255}$/.test(key)) {
      return c.json(
        errorEnvelope(
          'invalid_idempotency_key',
          'Idempotency-Key must be 1 to 255 visible ASCII characters (a UUID is a good choice).',
        ),
        400,
      );
    }
    const request = {
      key,
      endpoint: `${c.req.method} ${c.req.path}`,
      body: withoutFields(await c.req.text(), secrets),
      staleMs: opts.staleMs,
      retainMs: opts.retainMs,
    };
    const claim = await claimIdempotencyKey(opts, actor, request);
    if (claim.outcome === 'reused') {
      return c.json(
        errorEnvelope(
          'idempotency_key_reused',
          'This Idempotency-Key was used for a different request. Use a new key for a new request.',
        ),
        422,
      );
    }
    if (claim.outcome === 'in_flight') {
      c.header('Retry-After', '1');
      return c.json(
        errorEnvelope(
          'idempotency_key_in_flight',
          'A request with this Idempotency-Key is still being processed. Retry with the same key shortly.',
        ),
        409,
      );
    }
    if (claim.outcome === 'replay') {
      c.header('Idempotent-Replayed', 'true');
      return c.json(claim.body as object, claim.status as 200);
    }

    let kept = false;
    try {
      await next();
      if (KEPT.test(String(c.res.status))) {
        const answer = await responseJson(c);
        const body = secrets.length && isObject(answer) ? omit(answer, secrets) : answer;
        if (body !== undefined) {
          await keepIdempotentAnswer(opts, actor, { key, status: c.res.status, body });
          kept = true;
        }
      }
    } finally {
      if (!kept) await releaseIdempotencyKey(opts, actor, key);
    }
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const omit = (o: Record<string, unknown>, keys: readonly string[]) =>
  Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k)));

/** The raw body as hashed: a JSON object without its secret fields (other bodies as they are). */
function withoutFields(raw: string, keys: readonly string[]): string {
  if (!keys.length) return raw;
  try {
    const parsed: unknown = JSON.parse(raw);
    return isObject(parsed) ? JSON.stringify(omit(parsed, keys)) : raw;
  } catch {
    return raw;
  }
}

/** Statuses whose answer is final for this request: replayed instead of run again. */
const KEPT = /^(2\d\d|400|404|422)$/;

async function responseJson(c: Context): Promise<unknown> {
  if (!(c.res.headers.get('content-type') ?? '').includes('application/json')) return undefined;
  try {
    return await c.res.clone().json();
  } catch {
    return undefined;
  }
}

/** The `Idempotency-Key` request header of a keyed route, as its readers should understand it. */
export function idempotencyKeyHeader(description: string) {
  return z.object({ 'idempotency-key': z.string().optional().openapi({ description }) });
}

/** The `Idempotent-Replayed` response header of a keyed route's success answer. */
export const replayedHeader = {
  'Idempotent-Replayed': {
    description: '`true` when this is the stored answer to an earlier request with the same Idempotency-Key.',
    schema: { type: 'string' as const },
  },
};

/**
 * `createRoute` options of a money POST: bearer security, the caller (`requireToken`, then any
 * further `guards` such as requireStaff), then Idempotency-Key, before the body is validated.
 */
export function idempotentRoute(
  deps: { db: Db; clock: Clock },
  opts: { guards?: MiddlewareHandler[]; secretFields?: readonly string[] } = {},
) {
  const keyed = idempotency({ db: deps.db, clock: deps.clock, secretFields: opts.secretFields });
  return {
    ...secured,
    middleware: [requireToken, ...(opts.guards ?? []), keyed] as [MiddlewareHandler, ...MiddlewareHandler[]],
  };
}
