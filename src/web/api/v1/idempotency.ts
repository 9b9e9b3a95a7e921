import { z } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { createHash } from 'node:crypto';
import type { Db } from '../../../db/index.ts';
import type { Clock } from '../../../lib/time.ts';
import { errorEnvelope } from '../../errors.ts';

/**
 * `Idempotency-Key` for the API's money POSTs (Stripe's model), stored in `idempotency_keys`
 * per (user, key):
 *
 *   first request with a key     → claims it (`in_flight`), runs, stores status + JSON body (`done`)
 *   same key, same request       → the stored answer again, `Idempotent-Replayed: true`, no effect
 *   same key, another request    → 422 `idempotency_key_reused` (body, path or organization differ)
 *   same key while the first runs → 409 `idempotency_key_in_flight` (retry later, same key)
 *
 * Only final answers are kept: 2xx and the refusals that cannot change on retry (400, 404,
 * 422). A 401/403 (credentials or role may change), 409, 429 or 5xx releases the key, so a
 * retry with it runs for real. A claim left `in_flight` by a crashed process is taken over
 * after `staleMs`; answers are kept for `retainMs` (24 h), after which the key is new again.
 * Runs after `requireToken` and before the body validator (it reads the raw body once).
 *
 * @example createRoute({ ..., middleware: [requireToken, idempotency({ db, clock })] })
 */
export function idempotency(opts: { db: Db; clock: Clock; staleMs?: number; retainMs?: number }): MiddlewareHandler {
  const staleMs = opts.staleMs ?? 120_000;
  const retainMs = opts.retainMs ?? 86_400_000;

  return async function idempotencyMiddleware(c, next) {
    const key = c.req.header('idempotency-key');
    const actor = c.var.actor;
    if (key === undefined || !actor) return next();
    if (!/^[\x21-\x7e]{1,255}$/.test(key)) {
      return c.json(errorEnvelope('invalid_idempotency_key', 'Idempotency-Key must be 1 to 255 visible ASCII characters (a UUID is a good choice).'), 400);
    }
    const endpoint = `${c.req.method} ${c.req.path}`;
    const hash = requestHash(endpoint, actor.organizationId, await c.req.text());
    const now = opts.clock.now();

    const claimed = await opts.db
      .insertInto('idempotency_keys')
      .values({ key, user_id: actor.userId, endpoint, request_hash: hash, status: 'in_flight', created_at: now })
      .onConflict((oc) =>
        oc
          .columns(['user_id', 'key'])
          .doUpdateSet({ endpoint, request_hash: hash, status: 'in_flight', response_status: null, response_body: null, created_at: now })
          .where((eb) =>
            eb.or([
              eb('idempotency_keys.created_at', '<', new Date(now.getTime() - retainMs)),
              eb.and([eb('idempotency_keys.status', '=', 'in_flight'), eb('idempotency_keys.created_at', '<', new Date(now.getTime() - staleMs))]),
            ]),
          ),
      )
      .returning('key')
      .executeTakeFirst();

    if (!claimed) {
      const row = await opts.db.selectFrom('idempotency_keys').selectAll().where('user_id', '=', actor.userId).where('key', '=', key).executeTakeFirst();
      if (row && row.request_hash !== hash) {
        return c.json(errorEnvelope('idempotency_key_reused', 'This Idempotency-Key was used for a different request. Use a new key for a new request.'), 422);
      }
      if (!row || row.status === 'in_flight') {
        c.header('Retry-After', '1');
        return c.json(errorEnvelope('idempotency_key_in_flight', 'A request with this Idempotency-Key is still being processed. Retry with the same key shortly.'), 409);
      }
      c.header('Idempotent-Replayed', 'true');
      return c.json(row.response_body as object, row.response_status as 200);
    }

    let kept = false;
    try {
      await next();
      if (KEPT.test(String(c.res.status))) {
        const body = await responseJson(c);
        if (body !== undefined) {
          await opts.db
            .updateTable('idempotency_keys')
            .set({ status: 'done', response_status: c.res.status, response_body: JSON.stringify(body) })
            .where('user_id', '=', actor.userId)
            .where('key', '=', key)
            .execute();
          kept = true;
        }
      }
    } finally {
      if (!kept) await opts.db.deleteFrom('idempotency_keys').where('user_id', '=', actor.userId).where('key', '=', key).where('status', '=', 'in_flight').execute();
    }
  };
}

/** Statuses whose answer is final for this request: replayed instead of run again. */
const KEPT = /^(2\d\d|400|404|422)$/;

/** What makes two requests "the same": endpoint, acting organization and body (JSON compared by value). */
function requestHash(endpoint: string, organizationId: string | null, body: string): string {
  let canonical = body;
  try {
    canonical = stableJson(JSON.parse(body));
  } catch {
    // Not JSON: compared byte for byte (the validator will refuse it anyway).
  }
  return createHash('sha256').update(`${endpoint}\n${organizationId ?? ''}\n${canonical}`).digest('hex');
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

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
export const replayedHeader = { 'Idempotent-Replayed': { description: '`true` when this is the stored answer to an earlier request with the same Idempotency-Key.', schema: { type: 'string' as const } } };
