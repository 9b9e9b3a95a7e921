import { sql } from 'kysely';
import { inTransaction } from '../../db/index.ts';
import type { CloudInstance } from '../../providers/cloud.ts';
import type { Deps } from '../deps.ts';
import { applyInstance } from './instance.ts';
import { cloudFor, PLATFORM_TAG, staffMessageOf } from './provider.ts';

/**
 * Hourly reconciliation with each provider (`servers.reconcile`). It reports, it never
 * deletes or charges:
 *
 *   unknown_at_provider   an instance at the provider that no live server of ours is (by
 *                         default only instances carrying our platform tag: the reseller's own
 *                         machines on the same account are not drift; `scope: 'all'` reports them)
 *   missing_at_provider   a live server of ours whose instance the provider no longer has
 *
 * One open finding per (provider, instance) (a partial unique index); a finding whose cause is
 * gone (the instance deleted, the server deleted, the instance back) is resolved by the next
 * run. Every listed instance's status is recorded on its server on the way (applyInstance).
 */

export interface ReconcileServersSummary extends Record<string, unknown> {
  providers: number;
  instances: number;
  unknown: number;
  missing: number;
  resolved: number;
  errors: string[];
}

const CREATE_TAG = /^sp-[0-9a-f]{32,40}$/;
const ours = (i: CloudInstance) => i.tags.includes(PLATFORM_TAG) || i.tags.some((t) => CREATE_TAG.test(t));

export async function reconcileServers(
  deps: Deps,
  opts: { scope?: 'platform' | 'all' } = {},
): Promise<ReconcileServersSummary> {
  const summary: ReconcileServersSummary = {
    providers: 0,
    instances: 0,
    unknown: 0,
    missing: 0,
    resolved: 0,
    errors: [],
  };
  const providers = await deps.db.selectFrom('cloud_providers').select('id').where('active', '=', true).execute();
  for (const { id: providerId } of providers) {
    let instances: CloudInstance[];
    try {
      instances = await (await cloudFor(deps, deps.db, providerId)).list();
    } catch (err) {
      summary.errors.push(`${providerId}: ${staffMessageOf(err)}`.slice(0, 300));
      continue;
    }
    summary.providers++;
    summary.instances += instances.length;
    const servers = await deps.db
      .selectFrom('servers')
      .select(['id', 'status', 'provider_instance_id', 'create_tag', 'label'])
      .where('provider_id', '=', providerId)
      .execute();
    const live = servers.filter((s) => s.status !== 'deleted' && s.status !== 'failed');
    const liveById = new Map(live.filter((s) => s.provider_instance_id).map((s) => [s.provider_instance_id!, s]));
    const inFlightTags = new Set(live.filter((s) => !s.provider_instance_id).map((s) => s.create_tag));
    const present = new Map(instances.map((i) => [i.id, i]));

    for (const instance of instances) {
      const server = liveById.get(instance.id);
      if (server) {
        await inTransaction(deps.db, (trx) => applyInstance(trx, server.id, instance));
        continue;
      }
      if (instance.tags.some((t) => inFlightTags.has(t))) continue; // a create the sync is still resolving
      if ((opts.scope ?? 'platform') === 'platform' && !ours(instance)) continue;
      const former = servers.find(
        (s) => s.provider_instance_id === instance.id || instance.tags.includes(s.create_tag),
      );
      summary.unknown += await report(
        deps,
        providerId,
        'unknown_at_provider',
        instance.id,
        former?.id ?? null,
        instance.label,
      );
    }
    for (const server of live) {
      if (!server.provider_instance_id || server.status === 'deleting' || present.has(server.provider_instance_id))
        continue;
      summary.missing += await report(
        deps,
        providerId,
        'missing_at_provider',
        server.provider_instance_id,
        server.id,
        server.label,
      );
    }

    // Findings whose cause is gone.
    const open = await deps.db
      .selectFrom('server_drift')
      .select(['id', 'kind', 'provider_instance_id'])
      .where('provider_id', '=', providerId)
      .where('resolved_at', 'is', null)
      .execute();
    const done = open.filter((f) =>
      f.kind === 'unknown_at_provider'
        ? !present.has(f.provider_instance_id) || liveById.has(f.provider_instance_id)
        : present.has(f.provider_instance_id) || !liveById.has(f.provider_instance_id),
    );
    if (done.length) {
      await deps.db
        .updateTable('server_drift')
        .set({ resolved_at: sql`now()` })
        .where(
          'id',
          'in',
          done.map((f) => f.id),
        )
        .execute();
      summary.resolved += done.length;
    }
  }
  return summary;
}

async function report(
  deps: Pick<Deps, 'db'>,
  providerId: string,
  kind: 'unknown_at_provider' | 'missing_at_provider',
  instanceId: string,
  serverId: string | null,
  label: string,
): Promise<number> {
  const row = await deps.db
    .insertInto('server_drift')
    .values({ provider_id: providerId, kind, provider_instance_id: instanceId, server_id: serverId, label })
    .onConflict((oc) =>
      oc.columns(['provider_id', 'provider_instance_id']).where('resolved_at', 'is', null).doNothing(),
    )
    .returning('id')
    .executeTakeFirst();
  return row ? 1 : 0;
}
