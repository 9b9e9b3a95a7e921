import { inTransaction, type DbOrTx } from '../../db/index.ts';
import { NotFoundError, ValidationError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/organization.ts';
import { activityBy, recordActivity } from '../activity/record.ts';
import type { Deps } from '../deps.ts';
import { cloudFor, providerFailure } from '../servers/provider.ts';
import { firewallRow, firewallOf, type Firewall } from './firewalls.ts';

/**
 * Which servers a firewall guards. Only the organization's own servers are attached, and only
 * its own attachments detached: any other server id (another organization's, unknown, deleted,
 * malformed) is 404 like any foreign id, whatever firewall it is named with. A server is
 * guarded by at most one firewall (the provider allows one per instance; ours says which), of
 * its own provider, and must exist there (not failed, not still without an instance).
 * Each attach and detach is one activity entry and one completed action in the server's history.
 */

const NO_SUCH_SERVER = 'No such server.';

/** A server the organization may attach a firewall of `providerId` to, or the refusal (404 / 422 on server_id). */
export async function checkAttachable(
  db: DbOrTx,
  orgId: string,
  opts: { providerId: string; serverId: string; firewallId?: string; lock?: boolean },
) {
  if (typeof opts.serverId !== 'string' || !isUuid(opts.serverId)) throw new NotFoundError(NO_SUCH_SERVER);
  let q = db
    .selectFrom('servers')
    .select(['id', 'label', 'provider_id', 'provider_instance_id', 'status'])
    .where('id', '=', opts.serverId)
    .where('organization_id', '=', orgId)
    .where('deleted_at', 'is', null);
  if (opts.lock) q = q.forUpdate();
  const server = await q.executeTakeFirst();
  if (!server || server.status === 'deleted') throw new NotFoundError(NO_SUCH_SERVER);
  if (server.provider_id !== opts.providerId)
    throw new ValidationError({
      server_id: `“${server.label}” runs where this firewall cannot reach it: make a firewall for it instead.`,
    });
  if (!server.provider_instance_id || server.status === 'failed' || server.status === 'deleting')
    throw new ValidationError({ server_id: `“${server.label}” is not running anywhere yet, so it cannot be guarded.` });
  const guarded = await db
    .selectFrom('firewall_servers as fs')
    .innerJoin('firewalls as f', 'f.id', 'fs.firewall_id')
    .select(['f.id', 'f.label'])
    .where('fs.server_id', '=', server.id)
    .where('f.deleted_at', 'is', null)
    .executeTakeFirst();
  if (guarded && guarded.id !== opts.firewallId)
    throw new ValidationError({
      server_id: `“${server.label}” is already guarded by the firewall “${guarded.label}”. Detach it there first.`,
    });
  return {
    ...server,
    providerInstanceId: server.provider_instance_id,
    attached: guarded !== undefined && guarded.id === opts.firewallId,
  };
}

/** The organization's servers this firewall could guard now (for the attach form). */
export async function attachableServers(db: DbOrTx, actor: Actor, firewallId: string) {
  const orgId = authorize(actor, 'vps_view');
  const fw = await firewallRow(db, orgId, firewallId);
  return db
    .selectFrom('servers as s')
    .select(['s.id', 's.label', 's.region', 's.status'])
    .where('s.organization_id', '=', orgId)
    .where('s.provider_id', '=', fw.provider_id)
    .where('s.deleted_at', 'is', null)
    .where('s.provider_instance_id', 'is not', null)
    .where('s.status', 'not in', ['deleted', 'failed', 'deleting'])
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('firewall_servers as fs')
            .innerJoin('firewalls as f', 'f.id', 'fs.firewall_id')
            .select('fs.server_id')
            .whereRef('fs.server_id', '=', 's.id')
            .where('f.deleted_at', 'is', null),
        ),
      ),
    )
    .orderBy('s.label')
    .execute();
}

async function recordAction(
  db: DbOrTx,
  actor: Actor,
  orgId: string,
  serverId: string,
  type: 'attach_firewall' | 'detach_firewall',
  details: Record<string, string>,
  now: Date,
) {
  await db
    .insertInto('server_actions')
    .values({
      server_id: serverId,
      organization_id: orgId,
      type,
      status: 'completed',
      details: JSON.stringify(details),
      requested_by: actor.userId,
      created_at: now,
      finished_at: now,
    })
    .execute();
}

/** Attaches firewall `firewallId` to server `serverId`, both the organization's (needs `vps_manage`). Attaching again changes nothing. */
export async function attachFirewall(
  deps: Deps,
  actor: Actor,
  input: { firewallId: string; serverId: string },
): Promise<Firewall> {
  const orgId = authorize(actor, 'vps_manage');
  const now = deps.clock.now();
  await inTransaction(deps.db, async (trx) => {
    const fw = await firewallRow(trx, orgId, input.firewallId, { lock: true });
    const server = await checkAttachable(trx, orgId, {
      providerId: fw.provider_id,
      serverId: input.serverId,
      firewallId: fw.id,
      lock: true,
    });
    if (server.attached) return;
    if (!fw.provider_firewall_id)
      throw new ValidationError({ server_id: 'Save the firewall’s rules once before attaching servers to it.' });
    try {
      await (
        await cloudFor(deps, trx, fw.provider_id)
      ).attachFirewall(fw.provider_firewall_id, server.providerInstanceId);
    } catch (err) {
      throw providerFailure(deps.log, err, { firewallId: fw.id, serverId: server.id, op: 'attach_firewall' });
    }
    await trx
      .insertInto('firewall_servers')
      .values({ firewall_id: fw.id, server_id: server.id, created_at: now })
      .execute();
    await recordAction(
      trx,
      actor,
      orgId,
      server.id,
      'attach_firewall',
      { firewall_id: fw.id, firewall: fw.label },
      now,
    );
    await recordActivity(
      trx,
      activityBy(actor, 'firewall.attached', {
        target: { type: 'firewall', id: fw.id },
        details: { name: fw.label, server_id: server.id, server: server.label },
        occurredAt: now,
      }),
    );
  });
  return firewallOf(deps.db, orgId, input.firewallId);
}

/**
 * Detaches firewall `firewallId` from server `serverId` (needs `vps_manage`). Only an
 * attachment of the organization's own firewall to its own server: anything else is 404.
 */
export async function detachFirewall(
  deps: Deps,
  actor: Actor,
  input: { firewallId: string; serverId: string },
): Promise<Firewall> {
  const orgId = authorize(actor, 'vps_manage');
  if (typeof input.serverId !== 'string' || !isUuid(input.serverId)) throw new NotFoundError(NO_SUCH_SERVER);
  const now = deps.clock.now();
  await inTransaction(deps.db, async (trx) => {
    const fw = await firewallRow(trx, orgId, input.firewallId, { lock: true });
    const server = await trx
      .selectFrom('firewall_servers as fs')
      .innerJoin('servers as s', 's.id', 'fs.server_id')
      .select(['s.id', 's.label', 's.provider_instance_id', 's.deleted_at'])
      .where('fs.firewall_id', '=', fw.id)
      .where('fs.server_id', '=', input.serverId)
      .where('s.organization_id', '=', orgId)
      .executeTakeFirst();
    if (!server || server.deleted_at) throw new NotFoundError('This server is not guarded by this firewall.');
    if (fw.provider_firewall_id && server.provider_instance_id) {
      try {
        await (
          await cloudFor(deps, trx, fw.provider_id)
        ).detachFirewall(fw.provider_firewall_id, server.provider_instance_id);
      } catch (err) {
        throw providerFailure(deps.log, err, { firewallId: fw.id, serverId: server.id, op: 'detach_firewall' });
      }
    }
    await trx
      .deleteFrom('firewall_servers')
      .where('firewall_id', '=', fw.id)
      .where('server_id', '=', server.id)
      .execute();
    await recordAction(
      trx,
      actor,
      orgId,
      server.id,
      'detach_firewall',
      { firewall_id: fw.id, firewall: fw.label },
      now,
    );
    await recordActivity(
      trx,
      activityBy(actor, 'firewall.detached', {
        target: { type: 'firewall', id: fw.id },
        details: { name: fw.label, server_id: server.id, server: server.label },
        occurredAt: now,
      }),
    );
  });
  return firewallOf(deps.db, orgId, input.firewallId);
}
