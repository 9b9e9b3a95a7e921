import type { LinodeStatus } from '../types.ts';
import {
  addEvent,
  linodeEntity,
  monthOf,
  nowMs,
  type EmulatedBackup,
  type EmulatedInstance,
  type LinodeEmulatorState,
  type Phase,
} from './state.ts';

/**
 * The instance state machine of spec §7, played out lazily on the emulator's clock.
 *
 * An action replaces an instance's pending phases with a new sequence, e.g. create with an
 * image = provisioning (30 s, event linode_create) → booting (20 s, event linode_boot) →
 * running. `sync()` runs before every request (and on the controls): it walks each instance
 * through the phases whose end has passed, in time order, so transfer counters, events and
 * backups see the status each stretch of time really had.
 *
 *   create        → provisioning → booting → running   (no image / booted:false: → offline)
 *   boot          offline → booting → running
 *   shutdown      running → shutting_down → offline
 *   reboot        running → rebooting → running        (offline → booting → running: guess)
 *   rebuild       running|offline → rebuilding → booting → running (booted:false: → offline)
 *   resize        running → shutting_down → migrating → booting → running; offline → migrating → offline
 *   restore       target → restoring → offline         (final state unconfirmed)
 *   delete        → deleting → gone (404)
 *
 * Actions are refused with 400 "Linode busy." while any phase is pending (see `isTransitional`).
 */

export interface Step {
  status: LinodeStatus;
  ms: number;
  /** The event this stretch belongs to (several steps may share one). */
  action: string;
  onEnd?: () => void;
}

/** True while a transition is under way: power, rebuild, resize, restore and delete actions are refused. */
export function isTransitional(inst: EmulatedInstance): boolean {
  return inst.phases.length > 0;
}

/** Starts a transition now. The first step's event starts; the others wait as `scheduled`. */
export function startTransition(
  state: LinodeEmulatorState,
  inst: EmulatedInstance,
  steps: Step[],
  settlesTo: LinodeStatus | 'gone',
  failed = false,
): void {
  let at = nowMs(state);
  accrue(state, inst, at);
  const events = new Map<string, number>();
  inst.phases = steps.map((step, n): Phase => {
    at += step.ms;
    let eventId = events.get(step.action);
    if (eventId === undefined) {
      eventId = addEvent(state, step.action, linodeEntity(inst), n === 0 ? 'started' : 'scheduled').id;
      events.set(step.action, eventId);
    }
    return { status: step.status, endsAt: at, eventId, onEnd: step.onEnd };
  });
  inst.settlesTo = settlesTo;
  // An injected failure ends the first stretch in `offline` with a failed event (spec §7, last rule).
  const first = inst.phases[0];
  if (failed && first) {
    const dropped = new Set(
      inst.phases
        .slice(1)
        .map((p) => p.eventId)
        .filter((id) => id !== first.eventId),
    );
    state.events = state.events.filter((e) => !dropped.has(e.id));
    inst.phases = [{ ...first, fails: true }];
    inst.settlesTo = 'offline';
  }
  setStatus(state, inst, steps[0]?.status ?? (settlesTo === 'gone' ? inst.status : settlesTo));
}

function setStatus(state: LinodeEmulatorState, inst: EmulatedInstance, status: LinodeStatus, at = nowMs(state)): void {
  if (status === 'running' && inst.status !== 'running') inst.bootedAt = at;
  if (status === 'offline') inst.bootedAt = null;
  inst.status = status;
  inst.updated = at;
}

/** Plays every instance forward to the clock's now. */
export function sync(state: LinodeEmulatorState): void {
  const now = nowMs(state);
  for (const inst of [...state.instances.values()]) {
    while (inst.phases[0] && inst.phases[0].endsAt <= now) {
      const phase = inst.phases.shift()!;
      accrue(state, inst, phase.endsAt);
      phase.onEnd?.();
      const next = inst.phases[0];
      if (phase.eventId !== null && next?.eventId !== phase.eventId)
        finishEvent(state, phase.eventId, phase.endsAt, phase.fails);
      if (next) {
        startEvent(state, next.eventId, phase.endsAt);
        setStatus(state, inst, next.status, phase.endsAt);
      } else if (inst.settlesTo === 'gone') {
        removeInstance(state, inst.id);
        break;
      } else {
        setStatus(state, inst, inst.settlesTo, phase.endsAt);
      }
    }
    if (!state.instances.has(inst.id)) continue;
    accrue(state, inst, now);
    playBackups(state, inst, now);
  }
}

function startEvent(state: LinodeEmulatorState, id: number | null, at: number): void {
  const e = state.events.find((x) => x.id === id);
  if (e && e.status === 'scheduled') Object.assign(e, { status: 'started', started: at });
}

function finishEvent(state: LinodeEmulatorState, id: number, at: number, failed = false): void {
  const e = state.events.find((x) => x.id === id);
  if (!e) return;
  e.status = failed ? 'failed' : 'finished';
  e.started ??= at;
  e.finished = at;
}

/** Public traffic grows while running; the counter starts again each calendar month (UTC). */
function accrue(state: LinodeEmulatorState, inst: EmulatedInstance, until: number): void {
  const t = inst.transfer;
  if (until <= t.countedUntil) return;
  if (monthOf(until) !== t.month)
    Object.assign(t, {
      month: monthOf(until),
      usedBytes: 0,
      countedUntil: Math.max(t.countedUntil, Date.parse(`${monthOf(until)}-01T00:00:00Z`)),
    });
  if (inst.status === 'running')
    t.usedBytes += Math.floor(((until - t.countedUntil) / 1000) * state.options.transferBytesPerSecond);
  t.countedUntil = until;
}

/** Snapshots finish, automatic backups are taken, and a backup window is assigned, all on the clock. */
function playBackups(state: LinodeEmulatorState, inst: EmulatedInstance, now: number): void {
  const b = inst.backups;
  const snap = b.inProgress;
  if (snap?.finishesAt !== null && snap?.finishesAt !== undefined && snap.finishesAt <= now) {
    Object.assign(snap, {
      status: 'successful',
      finished: snap.finishesAt,
      updated: snap.finishesAt,
      finishesAt: null,
    });
    b.current = snap;
    b.inProgress = null;
    const e = [...state.events]
      .reverse()
      .find((x) => x.action === 'linode_snapshot' && x.entity?.id === inst.id && x.status === 'started');
    if (e) Object.assign(e, { status: 'finished', finished: snap.finished });
  }
  if (!b.enabled || b.enabledAt === null) return;
  if (!b.chosen && b.day === 'Scheduling' && now >= b.enabledAt + state.durations.backupScheduling) {
    // Linode picks a quiet day and window itself; ours are derived from the id (guess).
    b.day = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'][inst.id % 7]!;
    b.window = `W${(inst.id % 12) * 2}`;
  }
  while (b.nextAutomaticAt !== null && b.nextAutomaticAt <= now) {
    b.automatic.push(automaticBackup(state, b.nextAutomaticAt));
    // Linode keeps a daily and two weekly backups: the last three are kept here (approximation).
    if (b.automatic.length > 3) b.automatic.shift();
    b.nextAutomaticAt += state.durations.automaticBackupEvery;
  }
}

export function automaticBackup(state: LinodeEmulatorState, at: number): EmulatedBackup {
  return {
    id: ++state.seq.backup,
    label: null,
    type: 'auto',
    status: 'successful',
    created: at,
    updated: at,
    finished: at + 5 * 60_000,
    finishesAt: null,
  };
}

/** Forgets an instance and everything hanging off it (IPs, firewall devices, Lish credentials). */
export function removeInstance(state: LinodeEmulatorState, id: number): void {
  state.instances.delete(id);
  for (const [address, ip] of state.ips) if (ip.linodeId === id) state.ips.delete(address);
  for (const fw of state.firewalls.values()) fw.devices = fw.devices.filter((d) => d.linodeId !== id);
  for (const [token, cred] of state.lish) if (cred.linodeId === id) state.lish.delete(token);
}

/** Sets a status outside the machine (host maintenance `stopped`, `billing_suspension`…), for tests. */
export function forceStatus(state: LinodeEmulatorState, inst: EmulatedInstance, status: LinodeStatus): void {
  accrue(state, inst, nowMs(state));
  inst.phases = [];
  setStatus(state, inst, status);
}
