import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { inTransaction, type DbOrTx } from '../../db/index.ts';
import { ConflictError, NotFoundError, ValidationError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/organization.ts';
import { activityBy, recordActivity } from '../activity/record.ts';
import { attemptDelivery, type DeliverDeps } from './deliver.ts';
import { emitWebhookEvent } from './emit.ts';
import { endpointRow } from './endpoints.ts';
import { PING } from './events.ts';

/**
 * An endpoint's delivery log (newest first), one delivery with its attempts and the exact
 * body sent, a redelivery by hand and the test ping (needs `settings_manage`, like the endpoints).
 */

export interface WebhookDeliveryView {
  id: string;
  eventId: string;
  type: string;
  status: 'pending' | 'retrying' | 'succeeded' | 'failed';
  attempts: number;
  nextAttemptAt: Date | null;
  lastStatusCode: number | null;
  lastError: string | null;
  lastDurationMs: number | null;
  createdAt: Date;
  deliveredAt: Date | null;
}

export interface WebhookAttemptView {
  at: Date;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  manual: boolean;
}

/** One delivery with its attempts (`attempts` is the list here; its length is the view's count) and the body sent. */
export type WebhookDeliveryDetail = Omit<WebhookDeliveryView, 'attempts'> & {
  attempts: WebhookAttemptView[];
  payload: string;
};

const NO_SUCH_DELIVERY = 'No such delivery.';
const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;

function selectDeliveries(db: DbOrTx, endpointId: string) {
  return db
    .selectFrom('webhook_outbox as d')
    .innerJoin('webhook_events as ev', 'ev.id', 'd.event_id')
    .select([
      'd.id',
      'd.event_id',
      'ev.type',
      'ev.body',
      'd.status',
      'd.attempts',
      'd.next_attempt_at',
      'd.last_status_code',
      'd.last_error',
      'd.last_duration_ms',
      'd.created_at',
      'd.delivered_at',
    ])
    .where('d.endpoint_id', '=', endpointId);
}

type Row = Awaited<ReturnType<ReturnType<typeof selectDeliveries>['executeTakeFirstOrThrow']>>;

const present = (r: Row): WebhookDeliveryView => ({
  id: r.id,
  eventId: r.event_id,
  type: r.type,
  status: r.status,
  attempts: r.attempts,
  nextAttemptAt: r.next_attempt_at,
  lastStatusCode: r.last_status_code,
  lastError: r.last_error,
  lastDurationMs: r.last_duration_ms,
  createdAt: r.created_at,
  deliveredAt: r.delivered_at,
});

/** One page of the endpoint's deliveries, newest first; `next` is the `before` of the following page. */
export async function listDeliveries(
  db: DbOrTx,
  actor: Actor,
  endpointId: string,
  page: { before?: string; limit?: number } = {},
): Promise<{ items: WebhookDeliveryView[]; next: string | null }> {
  const orgId = authorize(actor, 'settings_manage');
  const endpoint = await endpointRow(db, orgId, endpointId);
  const limit = Math.min(Math.max(Math.trunc(page.limit ?? DEFAULT_LIMIT), 1), MAX_LIMIT);
  if (page.before !== undefined && !isUuid(page.before))
    throw new ValidationError({ before: 'This is not a page of this list.' });
  let q = selectDeliveries(db, endpoint.id);
  if (page.before)
    q = q.where(
      sql<boolean>`(d.created_at, d.id) < (select created_at, id from webhook_outbox where endpoint_id = ${endpoint.id} and id = ${page.before})`,
    );
  const rows = await q
    .orderBy('d.created_at', 'desc')
    .orderBy('d.id', 'desc')
    .limit(limit + 1)
    .execute();
  const items = rows.slice(0, limit).map(present);
  return { items, next: rows.length > limit ? items[items.length - 1]!.id : null };
}

async function deliveryRow(db: DbOrTx, endpointId: string, deliveryId: string): Promise<Row> {
  const row = isUuid(deliveryId)
    ? await selectDeliveries(db, endpointId).where('d.id', '=', deliveryId).executeTakeFirst()
    : undefined;
  if (!row) throw new NotFoundError(NO_SUCH_DELIVERY);
  return row;
}

/** One delivery with every attempt (oldest first) and the body each attempt sent. */
export async function getDelivery(
  db: DbOrTx,
  actor: Actor,
  endpointId: string,
  deliveryId: string,
): Promise<WebhookDeliveryDetail> {
  const orgId = authorize(actor, 'settings_manage');
  const endpoint = await endpointRow(db, orgId, endpointId);
  const row = await deliveryRow(db, endpoint.id, deliveryId);
  const attempts = await db
    .selectFrom('webhook_attempts')
    .select(['attempted_at', 'status_code', 'error', 'duration_ms', 'manual'])
    .where('delivery_id', '=', row.id)
    .orderBy('attempted_at')
    .orderBy('id')
    .execute();
  return {
    ...present(row),
    attempts: attempts.map((a) => ({
      at: a.attempted_at,
      statusCode: a.status_code,
      error: a.error,
      durationMs: a.duration_ms,
      manual: a.manual,
    })),
    payload: row.body,
  };
}

/**
 * Sends the delivery again now, by hand (also a failed one, also to a disabled endpoint: to
 * check a fix before re-enabling). A success ends its retries; a failure changes nothing else.
 */
export async function redeliver(
  deps: DeliverDeps,
  actor: Actor,
  endpointId: string,
  deliveryId: string,
): Promise<WebhookDeliveryView> {
  const orgId = authorize(actor, 'settings_manage');
  const endpoint = await endpointRow(deps.db, orgId, endpointId);
  const row = await deliveryRow(deps.db, endpoint.id, deliveryId);
  await recordActivity(
    deps.db,
    activityBy(actor, 'webhook.redelivered', {
      target: { type: 'webhook_endpoint', id: endpoint.id },
      details: { delivery_id: row.id, type: row.type },
      occurredAt: deps.clock.now(),
    }),
  );
  const outcome = await attemptDelivery(deps, row.id, 'manual');
  if (outcome === null) throw new ConflictError('This delivery is being sent right now; look again in a moment.');
  return present(await deliveryRow(deps.db, endpoint.id, row.id));
}

/** Sends a `ping` event to this endpoint now (whatever it subscribes to, enabled or not): one attempt, no retries. */
export async function sendPing(deps: DeliverDeps, actor: Actor, endpointId: string): Promise<WebhookDeliveryView> {
  const orgId = authorize(actor, 'settings_manage');
  const endpoint = await endpointRow(deps.db, orgId, endpointId);
  const now = deps.clock.now();
  const [deliveryId] = await inTransaction(deps.db, (trx) =>
    emitWebhookEvent(trx, {
      organizationId: orgId,
      type: PING,
      key: `ping:${randomUUID()}`,
      data: { endpoint_id: endpoint.id, message: 'A test ping from the webhook settings.' },
      at: now,
      endpointId: endpoint.id,
      enqueue: false,
    }),
  );
  await attemptDelivery(deps, deliveryId!, 'manual');
  return present(await deliveryRow(deps.db, endpoint.id, deliveryId!));
}
