import { createHash } from 'node:crypto';
import type { DbOrTx } from '../../db/index.ts';
import type { Actor } from '../access/actor.ts';
import { requirePlatformAdmin } from '../access/guard.ts';
import { recordActivity } from '../activity/record.ts';
import type { Deps } from '../deps.ts';
import { serverById } from '../servers/find.ts';

/**
 * SSH host keys, pinned on first use per server (trust on first use, as `ssh` does with
 * known_hosts, but kept by SkyPanel for everyone who opens the server's console). A different
 * key later means the connection may be intercepted, or the server's system was replaced:
 *
 *   first connection                         the key is pinned, and its fingerprint shown
 *   same key                                 go on
 *   another key, after a rebuild or restore  the server's system was replaced through SkyPanel
 *   done through SkyPanel since the pin      since the pin: the new key is pinned, and said so
 *   another key, otherwise                   refused (close 4011) until a platform admin resets
 *                                            the pin (`resetHostKey`, audited)
 */

export interface HostKey {
  algorithm: string;
  fingerprint: string;
}

export type HostKeyCheck =
  | { outcome: 'pinned' | 'matched'; key: HostKey }
  | { outcome: 'repinned'; key: HostKey; previous: HostKey; because: 'rebuild' | 'restore' }
  | { outcome: 'changed'; key: HostKey; previous: HostKey };

/** OpenSSH's fingerprint of a public key blob: `SHA256:` and the unpadded base64 of its SHA-256. */
export function fingerprintOf(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type named at the start of an SSH public key blob (`ssh-ed25519`), or `unknown`. */
export function algorithmOf(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const len = blob.readUInt32BE(0);
  return len > 0 && len <= 64 && blob.length >= 4 + len ? blob.subarray(4, 4 + len).toString('latin1') : 'unknown';
}

/** Compares the key a server offered with the one pinned for it, pinning it when there is none yet. */
export async function checkHostKey(
  deps: Pick<Deps, 'db' | 'clock'>,
  serverId: string,
  blob: Buffer,
): Promise<HostKeyCheck> {
  const key = { algorithm: algorithmOf(blob), fingerprint: fingerprintOf(blob) };
  const now = deps.clock.now();
  const inserted = await deps.db
    .insertInto('server_host_keys')
    .values({ server_id: serverId, ...key, public_key: blob, pinned_at: now })
    .onConflict((oc) => oc.column('server_id').doNothing())
    .returning('server_id')
    .executeTakeFirst();
  if (inserted) return { outcome: 'pinned', key };
  const pinned = await deps.db
    .selectFrom('server_host_keys')
    .selectAll()
    .where('server_id', '=', serverId)
    .executeTakeFirstOrThrow();
  if (pinned.public_key.equals(blob)) return { outcome: 'matched', key };
  const previous = { algorithm: pinned.algorithm, fingerprint: pinned.fingerprint };
  const replaced = await deps.db
    .selectFrom('server_actions')
    .select('type')
    .where('server_id', '=', serverId)
    .where('type', 'in', ['rebuild', 'restore'])
    .where('status', '=', 'completed')
    .where('created_at', '>', pinned.pinned_at)
    .orderBy('created_at', 'desc')
    .executeTakeFirst();
  if (!replaced) return { outcome: 'changed', key, previous };
  await deps.db
    .updateTable('server_host_keys')
    .set({ ...key, public_key: blob, pinned_at: now })
    .where('server_id', '=', serverId)
    .where('public_key', '=', pinned.public_key)
    .execute();
  return { outcome: 'repinned', key, previous, because: replaced.type as 'rebuild' | 'restore' };
}

/** The key pinned for a server, for staff pages; null when none is. */
export async function pinnedHostKey(
  db: DbOrTx,
  actor: Actor,
  serverId: string,
): Promise<(HostKey & { pinnedAt: Date }) | null> {
  requirePlatformAdmin(actor);
  const row = await db
    .selectFrom('server_host_keys')
    .select(['algorithm', 'fingerprint', 'pinned_at'])
    .where('server_id', '=', serverId)
    .executeTakeFirst();
  return row ? { algorithm: row.algorithm, fingerprint: row.fingerprint, pinnedAt: row.pinned_at } : null;
}

/**
 * Forgets a server's pinned key (platform staff, after checking with the customer that the
 * change is theirs): the next SSH console pins whatever key the server offers. Audited.
 * Returns whether a key was pinned.
 */
export async function resetHostKey(deps: Pick<Deps, 'db' | 'clock'>, actor: Actor, serverId: string): Promise<boolean> {
  requirePlatformAdmin(actor);
  const server = await serverById(deps.db, serverId);
  const removed = await deps.db
    .deleteFrom('server_host_keys')
    .where('server_id', '=', server.id)
    .returning(['fingerprint', 'algorithm'])
    .executeTakeFirst();
  if (!removed) return false;
  await recordActivity(deps.db, {
    action: 'admin.console_host_key_reset',
    actorUserId: actor.userId,
    organizationId: server.organization_id,
    target: { type: 'server', id: server.id },
    origin: actor.origin,
    details: { fingerprint: removed.fingerprint, algorithm: removed.algorithm },
    occurredAt: deps.clock.now(),
  });
  return true;
}
