import { sql } from 'kysely';
import type { DbOrTx } from './index.ts';

export const EVENTS_CHANNEL = 'skypanel_events';

/**
 * Who may receive an event: one user, the members of an organization (with `permission`: only
 * those whose role grants it, as the pages that show the data ask), or staff.
 */
export type Audience = { userId: string } | { organizationId: string; permission?: string } | { admins: true };

export interface RealtimeEvent {
  topic: string;
  /** Several audiences: each subscriber any of them names receives the event once. */
  audience: Audience | readonly Audience[];
  data?: Record<string, unknown>;
}

/**
 * Publishes a small event (ids, not documents) to every SkyPanel process on this database.
 * Inside a transaction it is delivered only if the transaction commits.
 */
export async function publish(db: DbOrTx, event: RealtimeEvent): Promise<void> {
  const payload = JSON.stringify(event);
  if (Buffer.byteLength(payload) > 7000) throw new RangeError('realtime payloads carry ids, not documents');
  await sql`select pg_notify(${EVENTS_CHANNEL}, ${payload})`.execute(db);
}
