import type { ConsoleSession } from '../../providers/cloud.ts';
import type { Deps } from '../deps.ts';

/**
 * Where a console connects. Out-of-band: the provider hands out a console session for the
 * instance (Linode: Lish), whose URL carries a credential: it is a secret, used by the bridge
 * and never logged or sent to a browser. SSH: the server's public IPv4 on port 22; a server of
 * an emulated provider (the demo) has no real address, so SSH goes to the demo SSH server this
 * process runs (`demo`), and only there.
 */

async function serverAndProvider(deps: Pick<Deps, 'db'>, serverId: string) {
  return deps.db
    .selectFrom('servers as s')
    .innerJoin('cloud_providers as p', 'p.id', 's.provider_id')
    .select([
      's.provider_instance_id',
      's.ipv4',
      's.label',
      'p.id',
      'p.kind',
      'p.emulated',
      'p.base_url',
      'p.token_ciphertext',
      'p.updated_at',
    ])
    .where('s.id', '=', serverId)
    .executeTakeFirstOrThrow();
}

/** A fresh out-of-band console session of the server's instance (throws CloudError when the provider refuses). */
export async function outOfBandSession(deps: Pick<Deps, 'db' | 'clouds'>, serverId: string): Promise<ConsoleSession> {
  const row = await serverAndProvider(deps, serverId);
  return deps.clouds.forProvider(row).console(row.provider_instance_id!);
}

export interface SshEndpoint {
  host: string;
  port: number;
  /** The address as customers know it (the demo server's stands in for it). */
  address: string;
  /** The server belongs to an emulated provider: this is the demo SSH server. */
  demo: boolean;
}

/** Where SSH for the server goes; null when it has no public IPv4 (or is emulated and no demo SSH server runs). */
export async function sshEndpoint(
  deps: Pick<Deps, 'db'>,
  serverId: string,
  demo: { host: string; port: number } | null,
): Promise<SshEndpoint | null> {
  const row = await serverAndProvider(deps, serverId);
  const address = row.ipv4[0] ?? null;
  if (row.emulated) return demo ? { ...demo, address: address ?? demo.host, demo: true } : null;
  return address ? { host: address, port: 22, address, demo: false } : null;
}
