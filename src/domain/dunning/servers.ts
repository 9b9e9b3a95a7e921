import { sql } from 'kysely';
import { inTransaction, type Tx } from '../../db/index.ts';
import type { ServerStatus } from '../../db/types.ts';
import { recordActivity } from '../activity/record.ts';
import type { Deps } from '../deps.ts';
import { failAction } from '../servers/act.ts';
import { removeServer } from '../servers/delete.ts';
import type { ServerRecord } from '../servers/find.ts';
import { enqueueFollow } from '../servers/instance.ts';
import { cloudFor, staffMessageOf } from '../servers/provider.ts';
import { publishServerStatus } from '../servers/view.ts';
import { recordStep } from './steps.ts';

/**
 * What dunning does to one server, the way actions.ts does it for customers (servers/act.ts):
 * one transaction records the action (`suspend`, `unsuspend`; no one requested it: the
 * system) and the transitional status, the provider is asked outside any transaction, and a
 * second transaction records the outcome. A provider failure puts the server back as it was,
 * fails the action with the provider's words, and records a `failed` step: the next run tries
 * again. Deleting goes through servers/delete.ts (`removeServer`, no actor), whose prorated
 * refund of the current hour applies as for any delete.
 */

export interface CaseRef {
  caseId: string;
  organizationId: string;
}

export type ServerOutcome = 'done' | 'failed' | 'waiting';

/** Settled states a server is suspended from; one in motion is taken at a later run. */
const SUSPENDABLE: readonly ServerStatus[] = ['running', 'offline'];

type Deps4 = Pick<Deps, 'db' | 'clock' | 'clouds' | 'log' | 'queue'>;

async function lockServer(trx: Tx, serverId: string): Promise<ServerRecord> {
  return trx.selectFrom('servers').selectAll().where('id', '=', serverId).forUpdate().executeTakeFirstOrThrow();
}

async function startAction(trx: Tx, s: ServerRecord, type: 'suspend' | 'unsuspend', details: Record<string, unknown>) {
  const row = await trx
    .insertInto('server_actions')
    .values({
      server_id: s.id,
      organization_id: s.organization_id,
      type,
      status: 'pending',
      requested_by: null,
      details: JSON.stringify({ from: s.status, reason: 'dunning', ...details }),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

async function moveServer(trx: Tx, id: string, set: Record<string, unknown>, from: readonly ServerStatus[]) {
  const moved = await trx
    .updateTable('servers')
    .set({ ...set, updated_at: sql`now()` })
    .where('id', '=', id)
    .where('status', 'in', from)
    .returningAll()
    .executeTakeFirst();
  if (moved) await publishServerStatus(trx, moved);
  return moved;
}

/** Powers a running server off at the provider (an offline one needs no call) and marks it suspended. */
export async function suspendServer(deps: Deps4, c: CaseRef, serverId: string, key: string): Promise<ServerOutcome> {
  const now = deps.clock.now();
  const started = await inTransaction(deps.db, async (trx) => {
    const s = await lockServer(trx, serverId);
    if (!SUSPENDABLE.includes(s.status) || !s.provider_instance_id) return null;
    const wasRunning = s.status === 'running';
    if (wasRunning) await moveServer(trx, s.id, { status: 'shutting_down' }, ['running']);
    return { s, wasRunning, actionId: await startAction(trx, s, 'suspend', {}) };
  });
  if (!started) return 'waiting';
  const { s, wasRunning, actionId } = started;
  try {
    if (wasRunning) await (await cloudFor(deps, deps.db, s.provider_id)).shutdown(s.provider_instance_id!);
  } catch (err) {
    await inTransaction(deps.db, async (trx) => {
      await failAction(trx, actionId, err);
      await moveServer(trx, s.id, { status: s.status }, ['shutting_down']);
      await recordStep(trx, {
        ...stepOf(c, 'suspend_server', s.id),
        outcome: 'failed',
        error: staffMessageOf(err),
        at: now,
      });
    });
    deps.log.warn({ serverId: s.id, err: staffMessageOf(err) }, 'dunning: suspension failed at the provider');
    return 'failed';
  }
  await inTransaction(deps.db, async (trx) => {
    await moveServer(trx, s.id, { status: 'suspended', suspended_at: now, resume_running: wasRunning }, [
      'shutting_down',
      'offline',
      'running',
    ]);
    await completeAction(trx, actionId);
    await recordStep(trx, { ...stepOf(c, 'suspend_server', s.id), key, details: { was_running: wasRunning }, at: now });
    await activity(trx, s, 'server.suspended', { was_running: wasRunning }, now);
  });
  return 'done';
}

/**
 * Gives a suspended server back: booted at the provider when it was running at suspension
 * (then followed until it runs), else simply offline. Anything but `suspended` is left alone.
 */
export async function resumeServer(deps: Deps4, c: CaseRef | null, serverId: string): Promise<ServerOutcome> {
  const now = deps.clock.now();
  const started = await inTransaction(deps.db, async (trx) => {
    const s = await lockServer(trx, serverId);
    if (s.status !== 'suspended') return null;
    const key = `${s.id}:${s.suspended_at?.toISOString() ?? ''}`;
    const actionId = await startAction(trx, s, 'unsuspend', { boot: s.resume_running });
    if (!s.resume_running || !s.provider_instance_id) {
      await moveServer(trx, s.id, { status: 'offline', suspended_at: null, resume_running: false }, ['suspended']);
      await completeAction(trx, actionId);
      if (c) await recordStep(trx, { ...stepOf(c, 'resume_server', s.id), key, details: { booted: false }, at: now });
      await activity(trx, s, 'server.unsuspended', { booted: false }, now);
      return null;
    }
    await moveServer(trx, s.id, { status: 'booting' }, ['suspended']);
    return { s, key, actionId };
  });
  if (!started) return 'done';
  const { s, key, actionId } = started;
  try {
    await (await cloudFor(deps, deps.db, s.provider_id)).boot(s.provider_instance_id!);
  } catch (err) {
    await inTransaction(deps.db, async (trx) => {
      await failAction(trx, actionId, err);
      await moveServer(trx, s.id, { status: 'suspended' }, ['booting']);
      if (c)
        await recordStep(trx, {
          ...stepOf(c, 'resume_server', s.id),
          outcome: 'failed',
          error: staffMessageOf(err),
          at: now,
        });
    });
    deps.log.warn(
      { serverId: s.id, err: staffMessageOf(err) },
      'dunning: boot after suspension failed at the provider',
    );
    return 'failed';
  }
  await inTransaction(deps.db, async (trx) => {
    await trx
      .updateTable('servers')
      .set({ suspended_at: null, resume_running: false })
      .where('id', '=', s.id)
      .execute();
    // The provider accepted the boot: the follow-up job moves the server from booting to running.
    await completeAction(trx, actionId);
    if (c) await recordStep(trx, { ...stepOf(c, 'resume_server', s.id), key, details: { booted: true }, at: now });
    await activity(trx, s, 'server.unsuspended', { booted: true }, now);
    await enqueueFollow(deps, trx, s.id, 0);
  });
  return 'done';
}

/** Deletes a server of a terminated case through the one delete path (no actor: the system). */
export async function terminateServer(deps: Deps, c: CaseRef, serverId: string): Promise<ServerOutcome> {
  const now = deps.clock.now();
  try {
    const { refunded } = await removeServer(deps, null, serverId, {
      reason: 'Deleted for non-payment: the balance stayed below zero past the deadline.',
      staff: false,
    });
    await recordStep(deps.db, {
      ...stepOf(c, 'delete_server', serverId),
      details: { refunded: refunded.toString() },
      at: now,
    });
    return 'done';
  } catch (err) {
    await recordStep(deps.db, {
      ...stepOf(c, 'delete_server', serverId),
      outcome: 'failed',
      error: staffMessageOf(err),
      at: now,
    });
    deps.log.warn({ serverId, err: staffMessageOf(err) }, 'dunning: delete failed');
    return 'failed';
  }
}

function stepOf(c: CaseRef, step: 'suspend_server' | 'resume_server' | 'delete_server', serverId: string) {
  return { caseId: c.caseId, organizationId: c.organizationId, step, key: serverId, serverId };
}

async function completeAction(trx: Tx, actionId: string) {
  await trx
    .updateTable('server_actions')
    .set({ status: 'completed', finished_at: sql`now()` })
    .where('id', '=', actionId)
    .execute();
}

async function activity(
  trx: Tx,
  s: ServerRecord,
  action: 'server.suspended' | 'server.unsuspended',
  details: Record<string, boolean>,
  at: Date,
) {
  await recordActivity(trx, {
    action,
    actorUserId: null,
    organizationId: s.organization_id,
    target: { type: 'server', id: s.id },
    details: { name: s.label, reason: 'dunning', ...details },
    occurredAt: at,
  });
}
