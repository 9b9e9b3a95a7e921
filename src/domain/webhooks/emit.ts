import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { inTransaction, type DbOrTx, type Tx } from '../../db/index.ts';
import { enqueueWithin } from '../../queue/index.ts';
import { patternsFor } from './events.ts';

/**
 * Emitting an event (issue 18 item 3): called with the transaction of the change that caused
 * it (the outbox), so an event exists, and is delivered, only if the change commits. It
 * writes the event and one delivery per active endpoint of the organization subscribed to
 * `type` (exactly or by a `prefix.*` wildcard), and enqueues each delivery's first attempt in
 * the same transaction. An organization without such an endpoint gets nothing written: one
 * indexed read, so every domain change may call this freely.
 *
 * `key` names the event within the organization: emitting the same key again (a retried job,
 * a replayed provider webhook, a second run) writes nothing.
 */
export interface WebhookEmission {
  organizationId: string;
  type: string;
  key: string;
  /** Small facts a receiver needs: ids, names, amounts as decimal strings. Never a secret. */
  data: Record<string, unknown>;
  /** When it happened (the injectable clock's now); the database's now() when omitted. */
  at?: Date;
  /** Only this endpoint, whatever it subscribes to (the test ping). */
  endpointId?: string;
  /** false: no job is enqueued (the caller sends the attempt itself: the test ping). */
  enqueue?: boolean;
}

/** Writes the event and its deliveries; returns the ids of the deliveries made (none when nobody listens or it was emitted before). */
export async function emitWebhookEvent(db: DbOrTx, e: WebhookEmission): Promise<string[]> {
  const base = db.selectFrom('webhook_endpoints').select('id').where('organization_id', '=', e.organizationId);
  const endpoints = e.endpointId
    ? base.where('id', '=', e.endpointId)
    : base.where('status', '=', 'active').where(sql<boolean>`events && ${patternsFor(e.type)}::text[]`);
  const targets = await endpoints.execute();
  if (!targets.length) return [];
  // Given no transaction (a caller that changed one row on its own), the event, its deliveries
  // and their jobs are still written together.
  return inTransaction(db, (trx) => write(trx, e, targets));
}

async function write(db: Tx, e: WebhookEmission, targets: { id: string }[]): Promise<string[]> {
  const at = e.at ?? (await sql<{ now: Date }>`select now() as now`.execute(db)).rows[0]!.now;
  const id = randomUUID();
  // Data is JSON: a bigint (an id or amount read from the database) goes as its decimal string.
  const data = JSON.parse(JSON.stringify(e.data, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
  const body = JSON.stringify({ id, type: e.type, created_at: at.toISOString(), data });
  const event = await db
    .insertInto('webhook_events')
    .values({
      id,
      organization_id: e.organizationId,
      type: e.type,
      dedupe_key: e.key,
      data: JSON.stringify(data),
      body,
      created_at: at,
    })
    .onConflict((oc) => oc.columns(['organization_id', 'dedupe_key']).doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!event) return [];
  const deliveries = await db
    .insertInto('webhook_outbox')
    .values(
      targets.map((t) => ({
        organization_id: e.organizationId,
        event_id: event.id,
        endpoint_id: t.id,
        next_attempt_at: at,
        created_at: at,
      })),
    )
    .returning('id')
    .execute();
  if (e.enqueue !== false)
    for (const d of deliveries) await enqueueWithin(db, 'webhooks.deliver', { deliveryId: d.id });
  return deliveries.map((d) => d.id);
}
