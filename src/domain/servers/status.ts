import type { ServerStatus } from '../../db/types.ts';
import type { ProviderStatus } from '../../providers/cloud.ts';

/**
 * A server's life (`servers.status`), in the twelve words the API and pages use. The list is
 * the CHECK constraint of migrations/2026_11_30_0009_create_servers.ts and `ServerStatus` in
 * src/db/types.ts: change the three together; test/servers/status.test.ts compares this list
 * with the database.
 */
export const SERVER_STATUSES = [
  'provisioning', // recorded and charged; the provider is creating it (or we are finding out whether it did)
  'booting', // powering on
  'running', // powered on
  'shutting_down', // powering off
  'offline', // powered off (still billed: the provider bills it too)
  'rebooting', // restarting
  'rebuilding', // its disk is being rewritten from an image (or a backup is being restored)
  'resizing', // moving to another plan
  'deleting', // we asked the provider to delete it
  'deleted', // gone; its charges and history stay
  'suspended', // powered off by dunning: customers cannot boot it until the balance is back
  'failed', // the provider refused the create: no instance exists and the first charge was returned
] as const satisfies readonly ServerStatus[];

/** In motion: the follow-up job and the minute sync read the provider until it settles. */
export const TRANSITIONAL_STATUSES = [
  'provisioning',
  'booting',
  'shutting_down',
  'rebooting',
  'rebuilding',
  'resizing',
  'deleting',
] as const satisfies readonly ServerStatus[];

/** Exists (at the provider, or being created): counted, billed, listed as a live server. */
export const LIVE_STATUSES = SERVER_STATUSES.filter((s) => s !== 'deleted' && s !== 'failed');

/**
 * Where each state may go next (staying put is not a move). Who moves it:
 *   provisioning → failed                     the provider refused the create (create.ts / follow.ts)
 *   provisioning → booting | running | offline | …   what the provider reports (follow.ts, sync)
 *   running | offline → booting | shutting_down | rebooting | rebuilding | resizing   an action (actions.ts)
 *   transitional → running | offline | …      what the provider reports as the move ends (follow.ts)
 *   any live state → deleting → deleted       delete.ts (a failed server is dismissed straight to deleted)
 *   any live state → suspended                dunning (src/domain/dunning/servers.ts: a running one through
 *                                             shutting_down); sync never moves a server out of it
 *   suspended → offline | booting | deleting  dunning lifts the suspension (booting: it was running), or deletes it
 */
const SETTLED_TARGETS = [
  'booting',
  'running',
  'shutting_down',
  'offline',
  'rebooting',
  'rebuilding',
  'resizing',
] as const;
export const SERVER_TRANSITIONS = {
  provisioning: [...SETTLED_TARGETS, 'failed', 'deleting', 'suspended'],
  booting: [...SETTLED_TARGETS, 'deleting', 'suspended'],
  running: [...SETTLED_TARGETS, 'deleting', 'suspended'],
  shutting_down: [...SETTLED_TARGETS, 'deleting', 'suspended'],
  offline: [...SETTLED_TARGETS, 'deleting', 'suspended'],
  rebooting: [...SETTLED_TARGETS, 'deleting', 'suspended'],
  rebuilding: [...SETTLED_TARGETS, 'deleting', 'suspended'],
  resizing: [...SETTLED_TARGETS, 'deleting', 'suspended'],
  deleting: ['deleted'],
  suspended: ['offline', 'booting', 'deleting'],
  failed: ['deleted'],
  deleted: [],
} as const satisfies Record<ServerStatus, readonly ServerStatus[]>;

export function isTransitional(status: ServerStatus): boolean {
  return (TRANSITIONAL_STATUSES as readonly ServerStatus[]).includes(status);
}

export function canMoveServer(from: ServerStatus, to: ServerStatus): boolean {
  return (SERVER_TRANSITIONS[from] as readonly ServerStatus[]).includes(to);
}

/** The provider's word in ours; null when it tells us nothing we can use (`unknown`: keep what we had). */
const FROM_PROVIDER: Record<ProviderStatus, ServerStatus | null> = {
  provisioning: 'provisioning',
  booting: 'booting',
  running: 'running',
  shutting_down: 'shutting_down',
  offline: 'offline',
  rebooting: 'rebooting',
  rebuilding: 'rebuilding',
  resizing: 'resizing',
  restoring: 'rebuilding', // a restore rewrites the disk, as a rebuild does
  deleting: 'deleting',
  unknown: null,
};

/**
 * What a server's status becomes when the provider reports `reported`, given what we had.
 * Suspended, deleting, deleted and failed are ours to decide: a report never changes them
 * (dunning lifts a suspension; delete.ts ends a delete). An unknown word keeps the previous one.
 */
export function statusFromProvider(previous: ServerStatus, reported: ProviderStatus): ServerStatus {
  if (previous === 'suspended' || previous === 'deleting' || previous === 'deleted' || previous === 'failed')
    return previous;
  const mapped = FROM_PROVIDER[reported];
  // Only our delete moves a server to deleting; the provider deleting one on its own is drift.
  if (!mapped || mapped === 'deleting' || (mapped !== previous && !canMoveServer(previous, mapped))) return previous;
  return mapped;
}
