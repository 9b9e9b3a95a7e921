import { sql } from 'kysely';
import { inTransaction, type Tx } from '../../db/index.ts';
import type { ServerActionType, ServerStatus } from '../../db/types.ts';
import { AppError } from '../../lib/errors.ts';
import type { CloudProvider } from '../../providers/cloud.ts';
import type { Actor } from '../access/actor.ts';
import { recordActivity, type ActivityAction } from '../activity/record.ts';
import type { Deps } from '../deps.ts';
import type { ServerRecord } from './find.ts';
import { enqueueFollow } from './instance.ts';
import { cloudFor, customerMessageOf, providerFailure, staffMessageOf } from './provider.ts';
import { isTransitional } from './status.ts';
import { publishServerStatus, toActionView, type ActionView } from './view.ts';

/**
 * How every action on a server runs (power, rebuild, resize, password, rename, backups, rDNS):
 *
 *   1. one transaction locks the server, checks it can take the action now (not busy, not
 *      deleted, not suspended for what would power it on), moves it to its transitional status
 *      when the action has one, and records the action `pending`;
 *   2. the provider is asked, outside any transaction;
 *   3. accepted → `running` (followed by the follow-up job until the server settles, which
 *      completes it) or `completed` at once; refused → `failed` with the customer's words, the
 *      status put back, and a 409/422/503 with those words. Either way one activity entry.
 */

/** Marks an action failed: the customer's words in `error`, the provider's own kept for staff. */
export async function failAction(trx: Tx, actionId: string, err: unknown): Promise<void> {
  await trx
    .updateTable('server_actions')
    .set({
      status: 'failed',
      error: customerMessageOf(err),
      finished_at: sql`now()`,
      details: sql`details || ${JSON.stringify({ provider_error: staffMessageOf(err).slice(0, 500) })}::jsonb`,
    })
    .where('id', '=', actionId)
    .execute();
}

export interface ActionSpec {
  type: ServerActionType;
  activity: ActivityAction;
  /** The transitional status the server shows while it happens (none: it completes at once). */
  moving?: ServerStatus;
  /** Powers the server on: refused while suspended. */
  powersOn?: boolean;
  /** Statuses the server must be in (default: running or offline). */
  from?: readonly ServerStatus[];
  /** What the customer reads when the server is in another settled status. */
  fromMessage?: string;
  /** Small facts for the action row and the activity entry (never secrets). */
  details?: Record<string, string | number | boolean | null>;
  /** Extra checks and writes in the first transaction (the server locked). */
  before?: (trx: Tx, server: ServerRecord) => Promise<void>;
  /** Writes once the provider accepted, in the recording transaction. */
  after?: (trx: Tx, server: ServerRecord) => Promise<void>;
}

export const SUSPENDED_MESSAGE =
  "This server is suspended because the organization's balance is below zero. Add funds to the wallet: it can be powered on again once the balance is back above zero.";

const BUSY_WORDS: Partial<Record<ServerStatus, string>> = {
  provisioning: 'still being created',
  booting: 'powering on',
  shutting_down: 'shutting down',
  rebooting: 'rebooting',
  rebuilding: 'being rebuilt',
  resizing: 'being resized',
};

/** Why a server cannot take an action now, as the error the customer gets; nothing when it can. */
export function assertActionable(
  server: ServerRecord,
  spec: Pick<ActionSpec, 'powersOn' | 'moving' | 'from' | 'fromMessage'>,
) {
  if (server.status === 'deleted' || server.status === 'deleting')
    throw new AppError(
      'server_deleted',
      409,
      server.status === 'deleted' ? 'This server has been deleted.' : 'This server is being deleted.',
    );
  if (server.status === 'failed')
    throw new AppError('server_failed', 409, 'This server could not be created, so there is nothing to change.');
  if (isTransitional(server.status) || !server.provider_instance_id)
    throw new AppError(
      'server_busy',
      409,
      `The server is ${BUSY_WORDS[server.status] ?? 'busy'}; try again when it has finished.`,
    );
  // Power and disk changes would take it out of `suspended`, which only dunning lifts.
  if (server.status === 'suspended' && (spec.powersOn || spec.moving))
    throw new AppError('server_suspended', 422, SUSPENDED_MESSAGE);
  const from = spec.from ?? ['running', 'offline', 'suspended'];
  if (!from.includes(server.status))
    throw new AppError(
      'wrong_state',
      409,
      spec.fromMessage ?? `This cannot be done while the server is ${server.status}.`,
    );
}

export async function act(
  deps: Deps,
  actor: Actor,
  serverId: string,
  spec: ActionSpec,
  call: (cloud: CloudProvider, instanceId: string, server: ServerRecord) => Promise<void>,
): Promise<ActionView> {
  const started = await inTransaction(deps.db, async (trx) => {
    const server = await trx
      .selectFrom('servers')
      .selectAll()
      .where('id', '=', serverId)
      .forUpdate()
      .executeTakeFirstOrThrow();
    assertActionable(server, spec);
    await spec.before?.(trx, server);
    if (spec.moving) {
      const moved = await trx
        .updateTable('servers')
        .set({ status: spec.moving, updated_at: sql`now()` })
        .where('id', '=', serverId)
        .returningAll()
        .executeTakeFirstOrThrow();
      await publishServerStatus(trx, moved);
    }
    const action = await trx
      .insertInto('server_actions')
      .values({
        server_id: serverId,
        organization_id: server.organization_id,
        type: spec.type,
        status: 'pending',
        requested_by: actor.userId,
        details: JSON.stringify({ ...spec.details, from: server.status }),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { server, actionId: action.id };
  });
  const { server, actionId } = started;
  const activity = (trx: Tx, outcome: 'accepted' | 'failed') =>
    recordActivity(trx, {
      action: spec.activity,
      actorUserId: actor.userId,
      impersonatorUserId: actor.impersonatorUserId,
      organizationId: server.organization_id,
      origin: actor.origin,
      target: { type: 'server', id: serverId },
      details: {
        name: server.label,
        ...spec.details,
        outcome,
        ...(actor.isPlatformAdmin && actor.organizationId !== server.organization_id ? { by_staff: true } : {}),
      },
    });

  try {
    const cloud = await cloudFor(deps, deps.db, server.provider_id);
    await call(cloud, server.provider_instance_id!, server);
  } catch (err) {
    await inTransaction(deps.db, async (trx) => {
      await failAction(trx, actionId, err);
      if (spec.moving) {
        const back = await trx
          .updateTable('servers')
          .set({ status: server.status, updated_at: sql`now()` })
          .where('id', '=', serverId)
          .where('status', '=', spec.moving)
          .returningAll()
          .executeTakeFirst();
        if (back) await publishServerStatus(trx, back);
      }
      await activity(trx, 'failed');
    });
    throw providerFailure(deps.log, err, { serverId, action: spec.type });
  }

  return inTransaction(deps.db, async (trx) => {
    const row = await trx
      .updateTable('server_actions')
      .set(spec.moving ? { status: 'running' } : { status: 'completed', finished_at: sql`now()` })
      .where('id', '=', actionId)
      .returningAll()
      .executeTakeFirstOrThrow();
    await spec.after?.(trx, server);
    await activity(trx, 'accepted');
    if (spec.moving) await enqueueFollow(deps, trx, serverId, 0);
    return toActionView(row);
  });
}
