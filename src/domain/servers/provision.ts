import { sql } from 'kysely';
import { inTransaction } from '../../db/index.ts';
import { toDecimal } from '../../lib/money.ts';
import type { CloudInstance, CloudProvider } from '../../providers/cloud.ts';
import { recordActivity } from '../activity/record.ts';
import { serverSettings } from '../catalogue/offer.ts';
import type { Deps } from '../deps.ts';
import { refundCharge } from './charges.ts';
import type { ServerRecord } from './find.ts';
import { applyInstance, enqueueFollow } from './instance.ts';
import { cloudFor, customerMessageOf, isUncertain, PLATFORM_TAG, staffMessageOf } from './provider.ts';
import { providerLabel } from './rules.ts';
import { publishServerStatus } from './view.ts';

/**
 * The provider's half of a create (create.ts did the reservation and the charge). No
 * provider instance ever exists without a charge, and no charge stays without an instance:
 *
 *   answered            → the instance is recorded (id, addresses, status), rDNS set, followed
 *   refused (4xx)       → `failCreate`: failed, with a white-label reason, the charge returned
 *   no clear answer     → the tag decides: found → as answered; not found → `failCreate`;
 *                         the lookup failing too → left provisioning, and the follow-up job
 *                         and the minute sync look again (`resolveByTag`)
 */

export interface ProvisionInput {
  providerType: string;
  rootPassword: string;
  authorizedKeys: string[];
  scriptId?: string;
  scriptData?: Record<string, string>;
}

/** How long a create whose outcome we could not learn is looked for by its tag before it counts as failed. */
export const UNRESOLVED_CREATE_MINUTES = 15;

export async function provision(deps: Deps, server: ServerRecord, input: ProvisionInput): Promise<void> {
  let cloud: CloudProvider;
  try {
    cloud = await cloudFor(deps, deps.db, server.provider_id);
  } catch (err) {
    // No client (no token, no emulator): nothing was sent, so nothing was created.
    deps.log.warn({ serverId: server.id, err: staffMessageOf(err) }, 'server provider unreachable');
    return failCreate(deps, server.id, err);
  }
  let instance: CloudInstance | null = null;
  try {
    instance = await cloud.create({
      label: providerLabel(server.label, server.id),
      region: server.region,
      type: input.providerType,
      image: server.image,
      rootPassword: input.rootPassword,
      authorizedKeys: input.authorizedKeys,
      backups: server.backups_enabled,
      privateIp: server.private_ip,
      scriptId: input.scriptId,
      scriptData: input.scriptData,
      tag: server.create_tag,
      tags: [PLATFORM_TAG],
    });
  } catch (err) {
    deps.log.warn({ serverId: server.id, err: staffMessageOf(err) }, 'server create failed at the provider');
    if (!isUncertain(err)) return failCreate(deps, server.id, err);
    try {
      instance = await cloud.findByTag(server.create_tag);
    } catch (lookup) {
      deps.log.warn({ serverId: server.id, err: staffMessageOf(lookup) }, 'create outcome unknown; following up');
      await enqueueFollow(deps, deps.db, server.id, 0);
      return;
    }
    if (!instance) return failCreate(deps, server.id, err);
  }
  await recordCreated(deps, cloud, server.id, instance);
}

/** The provider has the instance: record it, name its addresses, and follow it until it runs. */
export async function recordCreated(
  deps: Deps,
  cloud: CloudProvider,
  serverId: string,
  instance: CloudInstance,
): Promise<void> {
  await inTransaction(deps.db, async (trx) => {
    await applyInstance(trx, serverId, instance);
    await trx
      .updateTable('server_actions')
      .set({ status: 'running' })
      .where('server_id', '=', serverId)
      .where('type', '=', 'create')
      .where('status', '=', 'pending')
      .execute();
    await enqueueFollow(deps, trx, serverId, 0);
  });
  await nameAddresses(deps, cloud, serverId, instance);
}

/** With an rDNS base domain set, each public IPv4 a.b.c.d gets `a-b-c-d.<base>` (failures logged, not fatal). */
async function nameAddresses(deps: Deps, cloud: CloudProvider, serverId: string, instance: CloudInstance) {
  const { rdnsBaseDomain } = await serverSettings(deps.db);
  if (!rdnsBaseDomain) return;
  for (const ip of instance.ipv4) {
    if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(ip) || isPrivate(ip)) continue;
    try {
      await cloud.setReverseDns(ip, `${ip.replace(/\./g, '-')}.${rdnsBaseDomain}`);
    } catch (err) {
      deps.log.warn({ serverId, ip, err: staffMessageOf(err) }, 'automatic reverse DNS failed');
    }
  }
}

function isPrivate(ip: string): boolean {
  return /^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)/.test(ip);
}

/**
 * The provider refused the create (or never made it): the server fails with the customer's
 * words for why, and its first charge is returned in full, once. Safe to call twice; does
 * nothing once the server has an instance or has left provisioning.
 */
export async function failCreate(deps: Pick<Deps, 'db' | 'log'>, serverId: string, err: unknown): Promise<void> {
  const reason = customerMessageOf(err);
  await inTransaction(deps.db, async (trx) => {
    const server = await trx
      .selectFrom('servers')
      .selectAll()
      .where('id', '=', serverId)
      .forUpdate()
      .executeTakeFirst();
    if (!server || server.status !== 'provisioning' || server.provider_instance_id !== null) return;
    const failed = await trx
      .updateTable('servers')
      .set({ status: 'failed', failure_reason: reason, deleted_at: sql`now()`, updated_at: sql`now()` })
      .where('id', '=', serverId)
      .returningAll()
      .executeTakeFirstOrThrow();
    const refunded = await refundCharge(trx, server, 'whole', null);
    await trx
      .updateTable('server_actions')
      .set({
        status: 'failed',
        error: reason,
        finished_at: sql`now()`,
        details: sql`details || ${JSON.stringify({ provider_error: staffMessageOf(err).slice(0, 500) })}::jsonb`,
      })
      .where('server_id', '=', serverId)
      .where('type', '=', 'create')
      .where('status', 'in', ['pending', 'running'])
      .execute();
    await recordActivity(trx, {
      action: 'server.create_failed',
      actorUserId: null,
      organizationId: server.organization_id,
      target: { type: 'server', id: server.id },
      details: { name: server.label, reason, refunded: toDecimal(refunded, 6) },
    });
    await publishServerStatus(trx, failed);
  });
}
