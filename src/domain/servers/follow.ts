import { sql } from 'kysely';
import { inTransaction } from '../../db/index.ts';
import type { ServerStatus } from '../../db/types.ts';
import type { Deps } from '../deps.ts';
import { finishDelete, removeAtProvider } from './delete.ts';
import type { ServerRecord } from './find.ts';
import { applyInstance, enqueueFollow, MAX_FOLLOW_ATTEMPTS } from './instance.ts';
import { CloudError } from '../../providers/cloud.ts';
import { cloudFor, staffMessageOf } from './provider.ts';
import { failCreate, recordCreated, UNRESOLVED_CREATE_MINUTES } from './provision.ts';
import { isTransitional, TRANSITIONAL_STATUSES } from './status.ts';

/**
 * Live status (issue 11 item 15). After a create and after each action a follow-up job
 * (`servers.follow`) reads the instance about 2 s later and again with backoff while it is
 * in motion (at most MAX_FOLLOW_ATTEMPTS times); every minute `servers.sync` reads every
 * server still in a transitional status, so nothing waits on a lost job. Each read goes
 * through applyInstance (never out of suspended, never back from deleted). Also here:
 *
 *   - a create whose answer never came (no instance id yet): looked up by its tag; found →
 *     recorded; still not found UNRESOLVED_CREATE_MINUTES after creation → failed and the
 *     charge returned;
 *   - a delete left half-way (a crash between the provider's delete and ours): finished.
 */

const NEVER_CREATED = 'The server could not be created. Its first hour was returned to your wallet; please try again.';

export async function followServer(
  deps: Deps,
  job: { serverId: string; attempt: number },
): Promise<ServerStatus | null> {
  const server = await deps.db.selectFrom('servers').selectAll().where('id', '=', job.serverId).executeTakeFirst();
  if (!server) return null;
  const status = await refreshServer(deps, server);
  if (status && isTransitional(status) && job.attempt + 1 < MAX_FOLLOW_ATTEMPTS)
    await enqueueFollow(deps, deps.db, server.id, job.attempt + 1);
  return status;
}

export interface SyncSummary extends Record<string, unknown> {
  checked: number;
  changed: number;
  errors: number;
}

/** Reads every server in a transitional status once (`servers.sync`, every minute). */
export async function syncServers(deps: Deps): Promise<SyncSummary> {
  const servers = await deps.db
    .selectFrom('servers')
    .selectAll()
    .where('status', 'in', TRANSITIONAL_STATUSES)
    .orderBy('updated_at')
    .limit(500)
    .execute();
  const summary: SyncSummary = { checked: 0, changed: 0, errors: 0 };
  for (const server of servers) {
    summary.checked++;
    try {
      const status = await refreshServer(deps, server);
      if (status && status !== server.status) summary.changed++;
    } catch (err) {
      summary.errors++;
      deps.log.warn({ serverId: server.id, err: staffMessageOf(err) }, 'server sync failed');
    }
  }
  return summary;
}

/** Reads one server's instance and records what it says; returns the server's status after. */
export async function refreshServer(deps: Deps, server: ServerRecord): Promise<ServerStatus | null> {
  if (server.status === 'deleted' || server.status === 'failed') return server.status;
  const cloud = await cloudFor(deps, deps.db, server.provider_id);

  if (server.status === 'deleting') return settleDelete(deps, server);

  if (!server.provider_instance_id) {
    // A create we have not heard back from: the tag decides.
    const found = await cloud.findByTag(server.create_tag);
    if (found) {
      await recordCreated(deps, cloud, server.id, found);
      return (await deps.db.selectFrom('servers').select('status').where('id', '=', server.id).executeTakeFirst())!
        .status;
    }
    const old = await deps.db
      .selectFrom('servers')
      .select('id')
      .where('id', '=', server.id)
      .where('created_at', '<', sql<Date>`now() - make_interval(mins => ${UNRESOLVED_CREATE_MINUTES})`)
      .executeTakeFirst();
    if (old) {
      const why = `no instance carries tag ${server.create_tag} ${UNRESOLVED_CREATE_MINUTES} minutes after the create`;
      await failCreate(deps, server.id, new CloudError('not_found', why, NEVER_CREATED));
      return 'failed';
    }
    return server.status;
  }

  const instance = await cloud.get(server.provider_instance_id);
  // Gone at the provider without our delete: reconciliation reports it to staff.
  if (!instance) return server.status;
  const applied = await inTransaction(deps.db, (trx) => applyInstance(trx, server.id, instance));
  return applied?.status ?? null;
}

/**
 * A server left `deleting`: when the instance is gone, finish (refund if still in the same
 * hour); when it is still there after two minutes, ask again.
 */
async function settleDelete(deps: Deps, server: ServerRecord): Promise<ServerStatus> {
  const cloud = await cloudFor(deps, deps.db, server.provider_id);
  const instance = server.provider_instance_id
    ? await cloud.get(server.provider_instance_id)
    : await cloud.findByTag(server.create_tag);
  if (!instance) {
    await finishDelete(deps, null, server.id, { reason: server.deleted_reason, staff: false });
    return 'deleted';
  }
  const stuck = await deps.db
    .selectFrom('servers')
    .select('id')
    .where('id', '=', server.id)
    .where('updated_at', '<', sql<Date>`now() - interval '2 minutes'`)
    .executeTakeFirst();
  if (stuck) {
    await removeAtProvider(deps, server);
    await finishDelete(deps, null, server.id, { reason: server.deleted_reason, staff: false });
    return 'deleted';
  }
  return 'deleting';
}
