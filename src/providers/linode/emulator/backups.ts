import type { Hono } from 'hono';
import { api, busy, fail, notFound, type Reply } from './http.ts';
import { enableBackupsNow, instanceOr404 } from './instances.ts';
import { isTransitional, startTransition } from './machine.ts';
import {
  addEvent,
  linodeEntity,
  nowMs,
  type EmulatedBackup,
  type EmulatedInstance,
  type LinodeEmulatorState,
} from './state.ts';
import { backupJson } from './views.ts';

/**
 * The Backup service (spec §8.6): enable and cancel, the 24-hour block on re-enabling after a
 * cancel, automatic backups on the clock (machine.ts), one manual snapshot at a time
 * (`in_progress` → `current` after `durations.snapshot`), and restores onto an instance in the
 * same region (`restoring` → `offline`).
 */

function list(inst: EmulatedInstance): Reply {
  const b = inst.backups;
  return {
    body: {
      automatic: b.automatic.map(backupJson),
      snapshot: {
        current: b.current ? backupJson(b.current) : null,
        in_progress: b.inProgress ? backupJson(b.inProgress) : null,
      },
    },
  };
}

function findBackup(inst: EmulatedInstance, raw: string): EmulatedBackup {
  const id = Number(raw);
  const all = [...inst.backups.automatic, inst.backups.current, inst.backups.inProgress];
  const found = all.find((b) => b?.id === id);
  if (!found) throw notFound();
  return found;
}

function enable(state: LinodeEmulatorState, inst: EmulatedInstance): Reply {
  // Guess: enabling what is already enabled changes nothing (spec: "400 if already enabled" is unconfirmed).
  if (inst.backups.enabled) return { body: {} };
  const cancelled = inst.backups.cancelledAt;
  if (cancelled !== null && nowMs(state) - cancelled < state.durations.backupsReenableBlock) {
    throw fail(400, 'Please wait 24 hours before reactivating backups for this Linode.');
  }
  enableBackupsNow(state, inst);
  addEvent(state, 'backups_enable', linodeEntity(inst), 'finished');
  return { body: {} };
}

function cancel(state: LinodeEmulatorState, inst: EmulatedInstance): Reply {
  if (!inst.backups.enabled) return { body: {} };
  Object.assign(inst.backups, {
    enabled: false,
    enabledAt: null,
    cancelledAt: nowMs(state),
    day: null,
    window: null,
    chosen: false,
    nextAutomaticAt: null,
    automatic: [],
    current: null,
    inProgress: null,
  });
  addEvent(state, 'backups_cancel', linodeEntity(inst), 'finished');
  return { body: {} };
}

function snapshot(state: LinodeEmulatorState, inst: EmulatedInstance, body: Record<string, unknown>): Reply {
  const label = body.label;
  // The spec makes `label` required; SkyPanelV2 sent `{}` without one. Wording: guess.
  if (typeof label !== 'string' || label.trim() === '') throw fail(400, 'Label is required.', 'label');
  if (label.length > 255) throw fail(400, 'Length must be 1-255 characters', 'label');
  if (!inst.backups.enabled) throw fail(400, 'Backups are not enabled for this Linode.');
  if (isTransitional(inst)) throw busy();
  if (inst.backups.inProgress) throw fail(400, 'A snapshot is already in progress.');
  const now = nowMs(state);
  const snap: EmulatedBackup = {
    id: ++state.seq.backup,
    label,
    type: 'snapshot',
    status: 'pending',
    created: now,
    updated: now,
    finished: null,
    finishesAt: now + state.durations.snapshot,
  };
  inst.backups.inProgress = snap;
  addEvent(state, 'linode_snapshot', linodeEntity(inst), 'started');
  return { body: backupJson(snap) };
}

function restore(
  state: LinodeEmulatorState,
  source: EmulatedInstance,
  backupId: string,
  body: Record<string, unknown>,
): Reply {
  const backup = findBackup(source, backupId);
  if (body.linode_id === undefined) throw fail(400, 'linode_id is required', 'linode_id');
  const target = typeof body.linode_id === 'number' ? state.instances.get(body.linode_id) : undefined;
  // Wording of these refusals: guesses.
  if (!target) throw fail(400, 'Linode not found', 'linode_id');
  if (target.region !== source.region)
    throw fail(400, 'Backups can only be restored to a Linode in the same region.', 'linode_id');
  if (backup.status !== 'successful') throw fail(400, 'This backup is not available to restore.');
  if (body.overwrite !== undefined && typeof body.overwrite !== 'boolean')
    throw fail(400, 'Must be a boolean', 'overwrite');
  if (isTransitional(target) || target.backups.inProgress) throw busy();
  startTransition(
    state,
    target,
    [{ status: 'restoring', ms: state.durations.restore, action: 'backups_restore' }],
    'offline',
  );
  return { body: {} };
}

export function backupRoutes(app: Hono, state: LinodeEmulatorState): void {
  const on = (param: (name: string) => string) => instanceOr404(state, param('id'));
  app.get(
    '/linode/instances/:id/backups',
    api(state, 'list_backups', ({ param }) => list(on(param))),
  );
  app.post(
    '/linode/instances/:id/backups',
    api(state, 'snapshot', ({ param, body }) => snapshot(state, on(param), body)),
  );
  app.post(
    '/linode/instances/:id/backups/enable',
    api(state, 'enable_backups', ({ param }) => enable(state, on(param))),
  );
  app.post(
    '/linode/instances/:id/backups/cancel',
    api(state, 'cancel_backups', ({ param }) => cancel(state, on(param))),
  );
  app.get(
    '/linode/instances/:id/backups/:backupId',
    api(state, 'get_backup', ({ param }) => ({ body: backupJson(findBackup(on(param), param('backupId'))) })),
  );
  app.post(
    '/linode/instances/:id/backups/:backupId/restore',
    api(state, 'restore', ({ param, body }) => restore(state, on(param), param('backupId'), body)),
  );
}
