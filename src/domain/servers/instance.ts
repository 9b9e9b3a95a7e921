import { sql } from 'kysely';
import type { DbOrTx, Tx } from '../../db/index.ts';
import type { ServerActionType, ServerStatus } from '../../db/types.ts';
import type { CloudInstance } from '../../providers/cloud.ts';
import type { Deps } from '../deps.ts';
import { isTransitional, statusFromProvider } from './status.ts';
import { publishServerStatus } from './view.ts';
import { notifyServerRunning } from '../notifications/emit.ts';

/**
 * What the provider says of an instance, written onto its server: the instance id, addresses
 * and status (statusFromProvider: never out of suspended, deleting, deleted or failed). When
 * the server settles, the actions that were moving it complete; a change of status is
 * published to the organization (view.ts `server.status`).
 *
 * The provider's word is taken as it comes: the provider moves an instance into its
 * transitional status when it accepts the request (the emulator does the same), so a read
 * after an accepted action never sees the state from before it.
 */

/** Actions that move a server through a transitional status and complete when it settles. */
export const MOVING_ACTIONS: readonly ServerActionType[] = [
  'create',
  'boot',
  'shutdown',
  'reboot',
  'rebuild',
  'resize',
  'restore',
];

export async function applyInstance(
  trx: Tx,
  serverId: string,
  instance: CloudInstance,
): Promise<{ status: ServerStatus; changed: boolean } | null> {
  const server = await trx.selectFrom('servers').selectAll().where('id', '=', serverId).forUpdate().executeTakeFirst();
  if (!server) return null;
  if (server.status === 'deleted' || server.status === 'failed') return { status: server.status, changed: false };
  const next = statusFromProvider(server.status, instance.status);
  const updated = await trx
    .updateTable('servers')
    .set({
      provider_instance_id: server.provider_instance_id ?? instance.id,
      ipv4: instance.ipv4,
      ipv6: instance.ipv6,
      provider_status: instance.providerStatus,
      status: next,
      synced_at: sql`now()`,
      ...(next !== server.status ? { updated_at: sql`now()` } : {}),
    })
    .where('id', '=', serverId)
    .returningAll()
    .executeTakeFirstOrThrow();
  if (!isTransitional(next)) {
    await trx
      .updateTable('server_actions')
      .set({ status: 'completed', finished_at: sql`now()` })
      .where('server_id', '=', serverId)
      .where('type', 'in', MOVING_ACTIONS)
      .where('status', '=', 'running')
      .execute();
  }
  if (next !== server.status) await publishServerStatus(trx, updated);
  // Running for the first time (its setup done): told once per server (notifications/emit.ts).
  if (next === 'running' && server.status !== 'running') await notifyServerRunning(trx, updated);
  return { status: next, changed: next !== server.status };
}

/** Seconds before follow-up attempt n: quick at first, then every minute. */
export function followDelay(attempt: number): number {
  return [2, 3, 5, 10, 15, 30][attempt] ?? 60;
}

/** Follow-ups stop after this many attempts (about half an hour); the minute sync carries on. */
export const MAX_FOLLOW_ATTEMPTS = 40;

/** Queues a look at the server's instance in `followDelay(attempt)` seconds (in `db`'s transaction when given one). */
export async function enqueueFollow(deps: Pick<Deps, 'queue'>, db: DbOrTx, serverId: string, attempt: number) {
  await deps.queue.enqueue(db, 'servers.follow', { serverId, attempt }, { startAfter: followDelay(attempt) });
}
