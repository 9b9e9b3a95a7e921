import { createHash } from 'node:crypto';
import type { Actor } from '../access/actor.ts';
import type { Deps } from '../deps.ts';

/**
 * Idempotency keys of the JSON API's money POSTs (Stripe's model), one row per (user, key)
 * in `idempotency_keys`. A key moves:
 *
 *   (none)     → in_flight   the first request with it claims it (`claimIdempotencyKey`)
 *   in_flight  → done        its answer was final and is kept for replay (`keepIdempotentAnswer`)
 *   in_flight  → (none)      its answer may change on retry, so the key is freed (`releaseIdempotencyKey`)
 *
 * A claim left in_flight by a crashed process is taken over after `staleMs`; a done key is
 * new again after `retainMs` (the maintenance purge in accounts/sessions.ts deletes rows older
 * than the same 24 hours: change both together). Which answers are final is HTTP's business
 * (src/web/api/v1/idempotency.ts); what counts as "the same request" is decided here.
 */

export const IDEMPOTENCY_STALE_MS = 120_000;
export const IDEMPOTENCY_RETAIN_MS = 86_400_000;

export interface IdempotentRequest {
  /** The client's Idempotency-Key (1–255 visible ASCII characters, checked by the caller). */
  key: string;
  /** What was asked, e.g. `POST /api/v1/wallet/top-ups`. */
  endpoint: string;
  /** The raw request body. */
  body: string;
  staleMs?: number;
  retainMs?: number;
}

/** What a request with a key meets: it runs (`claimed`), or the key was used before. */
export type IdempotencyClaim =
  | { outcome: 'claimed' }
  /** The key was used for another request (endpoint, acting organization or body differ). */
  | { outcome: 'reused' }
  /** The first request with this key is still running. */
  | { outcome: 'in_flight' }
  /** The same request was answered before: answer it again, without acting. */
  | { outcome: 'replay'; status: number; body: unknown };

/** Claims `request.key` for this request, or says why it cannot run: reused, still in flight, or answered before. */
export async function claimIdempotencyKey(
  deps: Pick<Deps, 'db' | 'clock'>,
  actor: Actor,
  request: IdempotentRequest,
): Promise<IdempotencyClaim> {
  const { key, endpoint } = request;
  const staleMs = request.staleMs ?? IDEMPOTENCY_STALE_MS;
  const retainMs = request.retainMs ?? IDEMPOTENCY_RETAIN_MS;
  const hash = requestHash(endpoint, actor.organizationId, request.body);
  const now = deps.clock.now();

  const claimed = await deps.db
    .insertInto('idempotency_keys')
    .values({ key, user_id: actor.userId, endpoint, request_hash: hash, status: 'in_flight', created_at: now })
    .onConflict((oc) =>
      oc
        .columns(['user_id', 'key'])
        .doUpdateSet({
          endpoint,
          request_hash: hash,
          status: 'in_flight',
          response_status: null,
          response_body: null,
          created_at: now,
        })
        .where((eb) =>
          eb.or([
            eb('idempotency_keys.created_at', '<', new Date(now.getTime() - retainMs)),
            eb.and([
              eb('idempotency_keys.status', '=', 'in_flight'),
              eb('idempotency_keys.created_at', '<', new Date(now.getTime() - staleMs)),
            ]),
          ]),
        ),
    )
    .returning('key')
    .executeTakeFirst();
  if (claimed) return { outcome: 'claimed' };

  const row = await deps.db
    .selectFrom('idempotency_keys')
    .selectAll()
    .where('user_id', '=', actor.userId)
    .where('key', '=', key)
    .executeTakeFirst();
  if (row && row.request_hash !== hash) return { outcome: 'reused' };
  if (!row || row.status === 'in_flight') return { outcome: 'in_flight' };
  return { outcome: 'replay', status: row.response_status!, body: row.response_body };
}

/** Keeps the final answer of a claimed key, to be replayed to the same request. */
export async function keepIdempotentAnswer(
  deps: Pick<Deps, 'db'>,
  actor: Actor,
  answer: { key: string; status: number; body: unknown },
): Promise<void> {
  await deps.db
    .updateTable('idempotency_keys')
    .set({ status: 'done', response_status: answer.status, response_body: JSON.stringify(answer.body) })
    .where('user_id', '=', actor.userId)
    .where('key', '=', answer.key)
    .execute();
}

/** Frees a claimed key whose answer was not kept, so a retry with it runs for real. */
export async function releaseIdempotencyKey(deps: Pick<Deps, 'db'>, actor: Actor, key: string): Promise<void> {
  await deps.db
    .deleteFrom('idempotency_keys')
    .where('user_id', '=', actor.userId)
    .where('key', '=', key)
    .where('status', '=', 'in_flight')
    .execute();
}

/** What makes two requests "the same": endpoint, acting organization and body (JSON compared by value). */
function requestHash(endpoint: string, organizationId: string | null, body: string): string {
  let canonical = body;
  try {
    canonical = stableJson(JSON.parse(body));
  } catch {
    // Not JSON: compared byte for byte (the validator will refuse it anyway).
  }
  return createHash('sha256')
    .update(`${endpoint}\n${organizationId ?? ''}\n${canonical}`)
    .digest('hex');
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}
