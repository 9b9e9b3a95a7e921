import { randomUUID } from 'node:crypto';
import type { ServerStatus } from '../../src/db/types.ts';
import type { TestContext } from '../helpers/context.ts';
import type { SeededCatalogue, TestCloud } from '../helpers/servers.ts';

/**
 * A server row of `orgId`, written straight into `servers` as the server domain would after a
 * create the provider answered. With `cloud`, a real instance is made in the test's emulator
 * first and the row points at it (firewalls attach to it there).
 */
export async function insertServer(
  ctx: TestContext,
  catalogue: SeededCatalogue,
  orgId: string,
  opts: { label?: string; cloud?: TestCloud; status?: ServerStatus; deleted?: boolean } = {},
): Promise<{ id: string; label: string; instanceId: string | null }> {
  const label = opts.label ?? `web-${randomUUID().slice(0, 8)}`;
  const tag = `sp-test-${randomUUID()}`;
  const instance = opts.cloud
    ? await opts.cloud.provider.create({
        label,
        region: 'us-east',
        type: catalogue.plans.small.providerType,
        image: catalogue.images[0]!,
        rootPassword: 'Very-secret-root-Password-1',
        authorizedKeys: [],
        backups: false,
        privateIp: false,
        tag,
      })
    : null;
  const row = await ctx.db
    .insertInto('servers')
    .values({
      organization_id: orgId,
      provider_id: catalogue.providerId,
      plan_id: catalogue.plans.small.id,
      provider_instance_id: instance?.id ?? null,
      create_tag: tag,
      label,
      region: 'us-east',
      image: catalogue.images[0]!,
      status: opts.deleted ? 'deleted' : (opts.status ?? 'running'),
      ipv4: instance?.ipv4 ?? [],
      deleted_at: opts.deleted ? ctx.clock.now() : null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: row.id, label, instanceId: instance?.id ?? null };
}
