import { z } from 'zod';
import { AppError, NotFoundError, ValidationError } from '../../lib/errors.ts';
import { parseInput } from '../../lib/validation.ts';
import type { CloudBackups } from '../../providers/cloud.ts';
import type { CloudReads } from '../../providers/cloud-reads.ts';
import type { Actor } from '../access/actor.ts';
import type { Deps } from '../deps.ts';
import { act } from './act.ts';
import { nextHourPeriod } from './periods.ts';
import { serverFor } from './find.ts';
import { cloudFor, providerFailure } from './provider.ts';
import type { InstanceRef } from './query.ts';
import type { ActionView } from './view.ts';

/**
 * Backups of a server: the provider's automatic backups (an add-on billed from the next clock
 * hour once enabled, and no longer from the next hour once cancelled), their schedule, manual
 * snapshots and restores. Reads need vps_view, changes vps_manage; each change is an action
 * with its own activity entry (act.ts).
 */

const ANY_SERVER = ['running', 'offline', 'suspended'] as const;

export async function listBackups(
  deps: Pick<Deps, 'db' | 'clouds' | 'log'>,
  actor: Actor,
  id: string,
): Promise<CloudBackups & { enabled: boolean }> {
  const server = await serverFor(deps.db, actor, id, 'vps_view');
  return backupsOf(deps, server, () => cloudFor(deps, deps.db, server.provider_id));
}

/** listBackups of a server the caller found (whose permission it checked). */
export async function backupsOf(
  deps: Pick<Deps, 'log'>,
  server: InstanceRef,
  reach: () => CloudReads | Promise<CloudReads>,
): Promise<CloudBackups & { enabled: boolean }> {
  const empty = { automatic: [], snapshot: { current: null, inProgress: null } };
  if (!server.backups_enabled || !server.provider_instance_id || server.status === 'deleted')
    return { ...empty, enabled: server.backups_enabled };
  const cloud = await reach();
  try {
    return { ...(await cloud.backups(server.provider_instance_id)), enabled: true };
  } catch (err) {
    throw providerFailure(deps.log, err, { serverId: server.id, op: 'backups' });
  }
}

const NOT_ENABLED = new AppError('backups_disabled', 409, 'Backups are not enabled on this server. Enable them first.');

export async function enableBackups(deps: Deps, actor: Actor, id: string): Promise<ActionView> {
  const server = await serverFor(deps.db, actor, id, 'vps_manage');
  if (server.backups_enabled) throw new AppError('backups_enabled', 409, 'Backups are already enabled on this server.');
  return act(
    deps,
    actor,
    server.id,
    {
      type: 'enable_backups',
      activity: 'server.backups_enabled',
      from: ANY_SERVER,
      after: async (trx) => {
        await trx.updateTable('servers').set({ backups_enabled: true }).where('id', '=', server.id).execute();
        await nextHourPeriod(trx, server.id, { backups: true });
      },
    },
    (cloud, instance) => cloud.enableBackups(instance),
  );
}

export async function cancelBackups(deps: Deps, actor: Actor, id: string): Promise<ActionView> {
  const server = await serverFor(deps.db, actor, id, 'vps_manage');
  if (!server.backups_enabled) throw NOT_ENABLED;
  return act(
    deps,
    actor,
    server.id,
    {
      type: 'cancel_backups',
      activity: 'server.backups_cancelled',
      from: ANY_SERVER,
      after: async (trx) => {
        await trx.updateTable('servers').set({ backups_enabled: false }).where('id', '=', server.id).execute();
        await nextHourPeriod(trx, server.id, { backups: false });
      },
    },
    (cloud, instance) => cloud.cancelBackups(instance),
  );
}

export const BACKUP_DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;
/** Two-hour windows (UTC) starting at W0 = 00:00–02:00 … W22 = 22:00–24:00. */
export const BACKUP_WINDOWS = ['W0', 'W2', 'W4', 'W6', 'W8', 'W10', 'W12', 'W14', 'W16', 'W18', 'W20', 'W22'] as const;

const scheduleInput = z.object({
  day: z.enum(BACKUP_DAYS, { error: 'Choose a day of the week.' }).nullable(),
  window: z.enum(BACKUP_WINDOWS, { error: 'Choose a two-hour window.' }).nullable(),
});

/** When automatic backups run: a day (null: any) and a two-hour window (null: any). */
export async function scheduleBackups(
  deps: Deps,
  actor: Actor,
  id: string,
  input: { day: string | null; window: string | null },
): Promise<ActionView> {
  const server = await serverFor(deps.db, actor, id, 'vps_manage');
  const blank = (v: unknown) => (v === '' || v === undefined ? null : v);
  const s = parseInput(scheduleInput, { day: blank(input.day), window: blank(input.window) });
  if (!server.backups_enabled) throw NOT_ENABLED;
  return act(
    deps,
    actor,
    server.id,
    {
      type: 'schedule_backups',
      activity: 'server.backups_scheduled',
      from: ANY_SERVER,
      details: { day: s.day, window: s.window },
    },
    (cloud, instance) => cloud.scheduleBackups(instance, s.day, s.window),
  );
}

/** A manual snapshot (one kept at a time; it replaces the previous one). */
export async function takeSnapshot(
  deps: Deps,
  actor: Actor,
  id: string,
  input: { label: string },
): Promise<ActionView> {
  const server = await serverFor(deps.db, actor, id, 'vps_manage');
  const label = parseInput(
    z.string({ error: 'Name the snapshot.' }).trim().min(1, 'Name the snapshot.').max(255, 'At most 255 characters.'),
    input.label,
  );
  if (!server.backups_enabled) throw NOT_ENABLED;
  return act(
    deps,
    actor,
    server.id,
    { type: 'snapshot', activity: 'server.snapshot_taken', from: ANY_SERVER, details: { label: label.slice(0, 100) } },
    async (cloud, instance) => {
      await cloud.snapshot(instance, label);
    },
  );
}

/** Restores one of this server's own backups onto it (overwriting its disks); it ends powered off. */
export async function restoreBackup(
  deps: Deps,
  actor: Actor,
  id: string,
  input: { backupId: string },
): Promise<ActionView> {
  const server = await serverFor(deps.db, actor, id, 'vps_manage');
  const backupId = typeof input.backupId === 'string' ? input.backupId.trim() : '';
  if (!/^\d{1,15}$/.test(backupId)) throw new NotFoundError('No such backup.');
  if (!server.backups_enabled || !server.provider_instance_id) throw new NotFoundError('No such backup.');
  const cloud = await cloudFor(deps, deps.db, server.provider_id);
  let own: CloudBackups;
  try {
    own = await cloud.backups(server.provider_instance_id);
  } catch (err) {
    throw providerFailure(deps.log, err, { serverId: server.id, op: 'backups' });
  }
  const backup = [...own.automatic, own.snapshot.current].find((b) => b?.id === backupId);
  if (!backup) throw new NotFoundError('No such backup.');
  if (!backup.available || backup.status !== 'successful')
    throw new ValidationError({ backup_id: 'This backup is not ready to restore yet.' });
  return act(
    deps,
    actor,
    server.id,
    { type: 'restore', activity: 'server.backup_restored', moving: 'rebuilding', details: { backup_id: backupId } },
    (c, instance) => c.restore(instance, backupId, instance, true),
  );
}
