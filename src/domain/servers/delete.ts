import { sql } from 'kysely';
import { inTransaction, type Tx } from '../../db/index.ts';
import type { ServerStatus } from '../../db/types.ts';
import { toDecimal } from '../../lib/money.ts';
import type { Actor } from '../access/actor.ts';
import { activityBy, recordActivity } from '../activity/record.ts';
import type { Deps } from '../deps.ts';
import { failAction } from './act.ts';
import { refundCharge } from './charges.ts';
import { serverFor, type ServerRecord } from './find.ts';
import { cloudFor, providerFailure } from './provider.ts';
import { publishServerStatus } from './view.ts';

/**
 * Deleting a server: `deleting`, the provider deletes the instance (already gone counts as
 * done), then `deleted` with `deleted_at`, and the unused whole minutes of the current clock
 * hour go back to the wallet (charges.ts `refundCharge`: once, however many deletes race).
 * Charges, refunds, actions and activity stay. A provider failure puts the server back as it
 * was and says why. A failed create is dismissed straight to `deleted` (nothing to delete,
 * its charge was returned when it failed). Re-authentication is the web layer's job.
 */

export interface DeleteOptions {
  reason?: string | null;
}

export async function deleteServer(
  deps: Deps,
  actor: Actor,
  id: string,
  opts: DeleteOptions = {},
): Promise<{ refunded: bigint }> {
  const server = await serverFor(deps.db, actor, id, 'vps_delete');
  return removeServer(deps, actor, server.id, { reason: opts.reason ?? null, staff: false });
}

/** The delete itself, for customers (delete.ts), staff (admin.ts, `staff: true`) and dunning (no actor: the system). */
export async function removeServer(
  deps: Deps,
  actor: Actor | null,
  serverId: string,
  opts: { reason: string | null; staff: boolean },
): Promise<{ refunded: bigint }> {
  const start = await inTransaction(deps.db, async (trx) => {
    const s = await trx
      .selectFrom('servers')
      .selectAll()
      .where('id', '=', serverId)
      .forUpdate()
      .executeTakeFirstOrThrow();
    if (s.status === 'deleted') return { done: true as const, refunded: await refundedFor(trx, s.id) };
    if (s.status === 'failed') {
      const gone = await markDeleted(trx, s, opts.reason);
      await record(trx, actor, gone, opts, 0n);
      return { done: true as const, refunded: 0n };
    }
    // Another delete is under way: ask the provider too (gone counts as done), finish once.
    if (s.status === 'deleting') return { done: false as const, server: s, previous: null, actionId: null };
    const deleting = await trx
      .updateTable('servers')
      .set({ status: 'deleting', updated_at: sql`now()` })
      .where('id', '=', s.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    const action = await trx
      .insertInto('server_actions')
      .values({
        server_id: s.id,
        organization_id: s.organization_id,
        type: 'delete',
        status: 'pending',
        requested_by: actor?.userId ?? null,
        details: JSON.stringify({ from: s.status, reason: opts.reason, staff: opts.staff }),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await publishServerStatus(trx, deleting);
    return { done: false as const, server: s, previous: s.status, actionId: action.id };
  });
  if (start.done) return { refunded: start.refunded };

  try {
    await removeAtProvider(deps, start.server);
  } catch (err) {
    // Only the delete that moved the server to `deleting` puts it back.
    if (start.previous && start.actionId) {
      const { previous, actionId } = start;
      await inTransaction(deps.db, async (trx) => {
        await failAction(trx, actionId, err);
        await putBack(trx, serverId, previous);
      });
    }
    throw providerFailure(deps.log, err, { serverId, op: 'delete' });
  }
  return { refunded: await finishDelete(deps, actor, serverId, opts) };
}

/** Asks the provider to delete the instance (found by its tag when the create's answer never came). */
export async function removeAtProvider(deps: Pick<Deps, 'clouds' | 'db'>, server: ServerRecord): Promise<void> {
  const cloud = await cloudFor(deps, deps.db, server.provider_id);
  const instanceId = server.provider_instance_id ?? (await cloud.findByTag(server.create_tag))?.id ?? null;
  if (instanceId) await cloud.delete(instanceId);
}

/** The instance is gone: the server is deleted and the unused minutes refunded (once). Returns the refund. */
export async function finishDelete(
  deps: Pick<Deps, 'db'>,
  actor: Actor | null,
  serverId: string,
  opts: { reason: string | null; staff: boolean },
): Promise<bigint> {
  return inTransaction(deps.db, async (trx) => {
    const s = await trx
      .selectFrom('servers')
      .selectAll()
      .where('id', '=', serverId)
      .forUpdate()
      .executeTakeFirstOrThrow();
    if (s.status === 'deleted') return refundedFor(trx, s.id);
    const gone = await markDeleted(trx, s, opts.reason);
    const refunded = await refundCharge(trx, s, 'unused', actor?.userId ?? null);
    await trx
      .updateTable('server_actions')
      .set({ status: 'completed', finished_at: sql`now()` })
      .where('server_id', '=', s.id)
      .where('type', '=', 'delete')
      .where('status', 'in', ['pending', 'running'])
      .execute();
    await record(trx, actor, gone, opts, refunded);
    return refunded;
  });
}

async function markDeleted(trx: Tx, s: ServerRecord, reason: string | null) {
  const gone = await trx
    .updateTable('servers')
    .set({
      status: 'deleted',
      deleted_at: sql`coalesce(deleted_at, now())`,
      deleted_reason: reason?.slice(0, 500) ?? s.deleted_reason,
      updated_at: sql`now()`,
    })
    .where('id', '=', s.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await publishServerStatus(trx, gone);
  return gone;
}

async function record(
  trx: Tx,
  actor: Actor | null,
  s: ServerRecord,
  opts: { reason: string | null; staff: boolean },
  refunded: bigint,
) {
  const details = { name: s.label, refunded: toDecimal(refunded, 6), reason: opts.reason?.slice(0, 200) ?? null };
  const target = { type: 'server', id: s.id };
  if (!actor) {
    await recordActivity(trx, {
      action: 'server.deleted',
      actorUserId: null,
      organizationId: s.organization_id,
      target,
      details,
    });
    return;
  }
  const action = opts.staff ? 'admin.server_deleted' : 'server.deleted';
  await recordActivity(trx, { ...activityBy(actor, action, { target, details }), organizationId: s.organization_id });
}

async function putBack(trx: Tx, serverId: string, previous: ServerStatus) {
  const back = await trx
    .updateTable('servers')
    .set({ status: previous, updated_at: sql`now()` })
    .where('id', '=', serverId)
    .where('status', '=', 'deleting')
    .returningAll()
    .executeTakeFirst();
  if (back) await publishServerStatus(trx, back);
}

/** What was refunded of the server's charges (its delete's refund, or a failed create's return). */
async function refundedFor(trx: Tx, serverId: string): Promise<bigint> {
  const row = await trx
    .selectFrom('server_charge_refunds')
    .select(sql<string>`coalesce(sum(amount), 0)`.as('total'))
    .where('server_id', '=', serverId)
    .executeTakeFirstOrThrow();
  return BigInt(row.total);
}
