import { z } from 'zod';
import { inTransaction, type DbOrTx } from '../../db/index.ts';
import { NotFoundError, ValidationError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/organization.ts';
import { activityBy, recordActivity } from '../activity/record.ts';
import type { Deps } from '../deps.ts';
import { cloudFor, providerFailure } from '../servers/provider.ts';
import { attachFirewall, checkAttachable } from './attachments.ts';
import { firewallRow, firewallOf, providerLabel, type Firewall } from './firewalls.ts';
import { rulesInput, storedRules, toCloudRules } from './rules.ts';

/**
 * Creating, changing and deleting firewalls (the rules of firewalls.ts's module comment):
 * the provider first, then our rows, in the transaction that locks the firewall.
 */

const label = z
  .string({ error: 'Name the firewall.' })
  .trim()
  .min(3, 'Use 3 to 32 characters.')
  .max(32, 'Use 3 to 32 characters.')
  .regex(/^[^\u0000-\u001f\u007f]+$/, 'Use printable characters.');
const serverIds = z.array(z.string().max(64), { error: 'Send server ids as a list.' }).max(50).default([]);
export const createFirewallInput = z.object({ label, rules: rulesInput, server_ids: serverIds });
export const updateFirewallInput = z.object({ label: label.optional(), rules: rulesInput.optional() });

const labelTaken = (name: string) =>
  new ValidationError({ label: `You already have a firewall called “${name}”. Choose another name.` });
const isUnique = (err: unknown) => (err as { code?: string }).code === '23505';

/** Where a new firewall lives: see the module comment. */
async function providerForNew(db: DbOrTx, orgId: string, firstServerId: string | undefined): Promise<string> {
  if (firstServerId) {
    const server = isUuid(firstServerId)
      ? await db
          .selectFrom('servers')
          .select('provider_id')
          .where('id', '=', firstServerId)
          .where('organization_id', '=', orgId)
          .where('deleted_at', 'is', null)
          .executeTakeFirst()
      : undefined;
    if (!server) throw new NotFoundError('No such server.');
    return server.provider_id;
  }
  const newest = await db
    .selectFrom('servers as s')
    .innerJoin('cloud_providers as p', 'p.id', 's.provider_id')
    .select('s.provider_id')
    .where('s.organization_id', '=', orgId)
    .where('s.deleted_at', 'is', null)
    .where('p.active', '=', true)
    .orderBy('s.created_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (newest) return newest.provider_id;
  const first = await db
    .selectFrom('cloud_providers')
    .select('id')
    .where('active', '=', true)
    .orderBy('display_order')
    .orderBy('created_at')
    .limit(1)
    .executeTakeFirst();
  if (!first)
    throw new ValidationError(
      { label: 'Firewalls are not available yet: there are no servers to sell.' },
      'Firewalls are not available yet.',
    );
  return first.id;
}

/**
 * Creates a firewall at the provider and here (needs `vps_manage`), then attaches it to each of
 * `server_ids` (attachments.ts rules). Input: `{ label, rules: { inbound_policy, outbound_policy,
 * inbound, outbound }, server_ids? }` as the API sends it.
 */
export async function createFirewall(deps: Deps, actor: Actor, raw: unknown): Promise<Firewall> {
  const orgId = authorize(actor, 'vps_manage');
  const input = parseInput(createFirewallInput, raw);
  const providerId = await providerForNew(deps.db, orgId, input.server_ids[0]);
  for (const serverId of new Set(input.server_ids)) await checkAttachable(deps.db, orgId, { providerId, serverId });
  const now = deps.clock.now();
  // The row first, so a taken label is refused before the provider is asked.
  const row = await deps.db
    .insertInto('firewalls')
    .values({
      organization_id: orgId,
      provider_id: providerId,
      label: input.label,
      rules: JSON.stringify(input.rules),
      created_by: actor.userId,
      created_at: now,
      updated_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow()
    .catch((err: unknown) => {
      throw isUnique(err) ? labelTaken(input.label) : err;
    });
  let providerFirewallId: string;
  try {
    const cloud = await cloudFor(deps, deps.db, providerId);
    providerFirewallId = (await cloud.createFirewall(providerLabel(row.id), toCloudRules(input.rules))).id;
  } catch (err) {
    await deps.db.deleteFrom('firewalls').where('id', '=', row.id).execute();
    throw providerFailure(deps.log, err, { firewallId: row.id, op: 'create_firewall' });
  }
  await inTransaction(deps.db, async (trx) => {
    await trx
      .updateTable('firewalls')
      .set({ provider_firewall_id: providerFirewallId })
      .where('id', '=', row.id)
      .execute();
    await recordActivity(
      trx,
      activityBy(actor, 'firewall.created', {
        target: { type: 'firewall', id: row.id },
        details: { name: input.label, rules: input.rules.inbound.length + input.rules.outbound.length },
        occurredAt: now,
      }),
    );
  });
  for (const serverId of new Set(input.server_ids)) await attachFirewall(deps, actor, { firewallId: row.id, serverId });
  return firewallOf(deps.db, orgId, row.id);
}

/** Renames a firewall and/or replaces its rules (needs `vps_manage`); the rules go to the provider first. */
export async function updateFirewall(
  deps: Deps,
  actor: Actor,
  raw: { firewallId: string; values: unknown },
): Promise<Firewall> {
  const orgId = authorize(actor, 'vps_manage');
  await firewallRow(deps.db, orgId, raw.firewallId);
  const input = parseInput(updateFirewallInput, raw.values ?? {});
  const now = deps.clock.now();
  await inTransaction(deps.db, async (trx) => {
    const fw = await firewallRow(trx, orgId, raw.firewallId, { lock: true });
    // The name first: a taken one is refused before the provider is asked to change anything.
    if (input.label && input.label !== fw.label)
      await trx
        .updateTable('firewalls')
        .set({ label: input.label })
        .where('id', '=', fw.id)
        .execute()
        .catch((err: unknown) => {
          throw isUnique(err) ? labelTaken(input.label!) : err;
        });
    let providerFirewallId = fw.provider_firewall_id;
    if (input.rules || !providerFirewallId) {
      const rules = toCloudRules(input.rules ?? storedRules(fw.rules));
      try {
        const cloud = await cloudFor(deps, trx, fw.provider_id);
        if (providerFirewallId) await cloud.updateFirewallRules(providerFirewallId, rules);
        else providerFirewallId = (await cloud.createFirewall(providerLabel(fw.id), rules)).id;
      } catch (err) {
        throw providerFailure(deps.log, err, { firewallId: fw.id, op: 'update_firewall_rules' });
      }
    }
    await trx
      .updateTable('firewalls')
      .set({
        ...(input.rules ? { rules: JSON.stringify(input.rules) } : {}),
        provider_firewall_id: providerFirewallId,
        updated_at: now,
      })
      .where('id', '=', fw.id)
      .execute();
    const rules = input.rules ?? storedRules(fw.rules);
    await recordActivity(
      trx,
      activityBy(actor, 'firewall.updated', {
        target: { type: 'firewall', id: fw.id },
        details: {
          name: input.label ?? fw.label,
          ...(input.label && input.label !== fw.label ? { renamed_from: fw.label } : {}),
          rules: rules.inbound.length + rules.outbound.length,
        },
        occurredAt: now,
      }),
    );
  });
  return firewallOf(deps.db, orgId, raw.firewallId);
}

/** Replaces a firewall's rules (needs `vps_manage`). */
export function updateFirewallRules(deps: Deps, actor: Actor, raw: { firewallId: string; rules: unknown }) {
  return updateFirewall(deps, actor, { firewallId: raw.firewallId, values: { rules: raw.rules } });
}

/** Deletes a firewall at the provider (which frees its servers) and here (needs `vps_manage`). */
export async function deleteFirewall(deps: Deps, actor: Actor, id: string): Promise<void> {
  const orgId = authorize(actor, 'vps_manage');
  await firewallRow(deps.db, orgId, id);
  const now = deps.clock.now();
  await inTransaction(deps.db, async (trx) => {
    const fw = await firewallRow(trx, orgId, id, { lock: true });
    if (fw.provider_firewall_id) {
      try {
        await (await cloudFor(deps, trx, fw.provider_id)).deleteFirewall(fw.provider_firewall_id);
      } catch (err) {
        throw providerFailure(deps.log, err, { firewallId: fw.id, op: 'delete_firewall' });
      }
    }
    const detached = await trx.deleteFrom('firewall_servers').where('firewall_id', '=', fw.id).executeTakeFirst();
    await trx.updateTable('firewalls').set({ deleted_at: now, updated_at: now }).where('id', '=', fw.id).execute();
    await recordActivity(
      trx,
      activityBy(actor, 'firewall.deleted', {
        target: { type: 'firewall', id: fw.id },
        details: { name: fw.label, servers: Number(detached.numDeletedRows) },
        occurredAt: now,
      }),
    );
  });
}
