import { createHash } from 'node:crypto';
import type { DbOrTx } from '../../db/index.ts';

/**
 * The record of providers' webhook deliveries (`webhook_deliveries`), one row per delivery.
 * Anyone can POST to a webhook endpoint, so what is kept depends on whether the provider
 * vouched for the delivery: a verified one keeps its whole event; an unverified one keeps the
 * sha256 of its body and its first `UNVERIFIED_EXCERPT_CHARS` characters, never the whole body
 * (the migration `keep_webhook_digests` enforces the same with a CHECK).
 *
 * Retention (`purgeWebhookDeliveries`, run by the maintenance.purge-expired job): verified
 * deliveries for `RETENTION_DAYS.verified` days, far beyond PayPal's 3 days of redelivery (an
 * event redelivered after its row is gone would be acted on again, which every handler
 * tolerates: credits and refunds are idempotent by provider id); unverified ones for
 * `RETENTION_DAYS.unverified` days, long enough to look into an attack.
 */
export const UNVERIFIED_EXCERPT_CHARS = 4096;
export const RETENTION_DAYS = { verified: 30, unverified: 7 } as const;

export type DeliveryOutcome = 'processed' | 'ignored' | 'rejected' | 'failed' | 'duplicate';

/** PostgreSQL text cannot hold NUL; a sender may put one anywhere. */
const text = (s: string) => s.replace(/\u0000/g, '\uFFFD');

/**
 * Records one delivery. `event` (the parsed body) is kept only when `verified`. A second
 * processed/ignored row for one event (two deliveries acted on at once) is kept as a duplicate.
 */
export async function recordDelivery(
  db: DbOrTx,
  d: {
    provider: string;
    eventId: string;
    eventType: string;
    verified: boolean;
    outcome: DeliveryOutcome;
    error?: string;
    body: string;
    event: unknown;
    receivedAt: Date;
  },
): Promise<void> {
  const row = {
    provider: d.provider,
    event_id: text(d.eventId).slice(0, 200),
    event_type: text(d.eventType).slice(0, 200),
    verified: d.verified,
    error: d.error ? text(d.error).slice(0, 500) : null,
    payload: d.verified ? JSON.stringify(d.event) : null,
    body_sha256: createHash('sha256').update(d.body).digest('hex'),
    body_excerpt: d.verified ? null : text(d.body.slice(0, UNVERIFIED_EXCERPT_CHARS)),
    received_at: d.receivedAt,
  };
  await db
    .insertInto('webhook_deliveries')
    .values({ ...row, outcome: d.outcome })
    .execute()
    .catch(() =>
      db
        .insertInto('webhook_deliveries')
        .values({ ...row, outcome: 'duplicate' })
        .execute(),
    );
}

/** Deletes deliveries older than their retention; returns how many. */
export async function purgeWebhookDeliveries(db: DbOrTx, now: Date): Promise<number> {
  const before = (days: number) => new Date(now.getTime() - days * 86_400_000);
  const res = await db
    .deleteFrom('webhook_deliveries')
    .where((eb) =>
      eb.or([
        eb.and([eb('verified', '=', true), eb('received_at', '<', before(RETENTION_DAYS.verified))]),
        eb.and([eb('verified', '=', false), eb('received_at', '<', before(RETENTION_DAYS.unverified))]),
      ]),
    )
    .executeTakeFirst();
  return Number(res.numDeletedRows);
}
