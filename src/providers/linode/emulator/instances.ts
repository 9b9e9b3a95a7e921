import type { Hono } from 'hono';
import { EmuError, api, fail, notFound, type Reply } from './http.ts';
import { paged } from './listing.ts';
import { startTransition, type Step } from './machine.ts';
import {
  BACKUP_DAYS,
  BACKUP_WINDOWS,
  checkImage,
  checkKeys,
  checkLabel,
  checkPassword,
  checkRegion,
  checkStackScript,
  checkTags,
  checkType,
  type FieldError,
} from './rules.ts';
import { addEvent, linodeEntity, monthOf, nowMs, type EmulatedInstance, type LinodeEmulatorState } from './state.ts';
import { allocateAddresses, instanceJson } from './views.ts';

/** `/linode/instances`: list, create, read, update, delete (spec §8.2). Power actions: power.ts. */

export const INSTANCE_FILTERABLE = [
  'id',
  'label',
  'group',
  'tags',
  'region',
  'type',
  'image',
  'status',
  'ipv4',
  'created',
  'updated',
] as const;

export function instanceOr404(state: LinodeEmulatorState, raw: string): EmulatedInstance {
  const inst = /^\d+$/.test(raw) ? state.instances.get(Number(raw)) : undefined;
  if (!inst) throw notFound();
  return inst;
}

export function throwIf(errors: FieldError[]): void {
  if (errors.length) throw new EmuError(400, errors);
}

/** The steps of a create or a rebuild: provisioning/rebuilding, then booting unless told not to boot. */
export function bootSteps(
  state: LinodeEmulatorState,
  first: Step,
  boot: boolean,
): { steps: Step[]; settlesTo: 'running' | 'offline' } {
  const booting: Step = {
    status: 'booting',
    ms: state.durations.booting,
    action: first.action === 'linode_create' ? 'linode_boot' : first.action,
  };
  return boot ? { steps: [first, booting], settlesTo: 'running' } : { steps: [first], settlesTo: 'offline' };
}

function create(state: LinodeEmulatorState, b: Record<string, unknown>, fails: boolean): Reply {
  const errors = [
    ...checkType(b.type),
    ...checkRegion(b.region),
    ...checkImage(b.image, false),
    ...(b.image !== undefined && b.image !== null ? checkPassword(b.root_pass) : []),
    ...(b.label !== undefined ? checkLabel(b.label, state.instances.values()) : []),
    ...checkTags(b.tags),
    ...checkKeys(b.authorized_keys),
    ...checkStackScript(b.stackscript_id, b.stackscript_data, b.image),
  ];
  if (b.firewall_id !== undefined && !state.firewalls.has(Number(b.firewall_id)))
    errors.push({ field: 'firewall_id', reason: 'Firewall not found' });
  throwIf(errors);

  const id = ++state.seq.instance;
  const addresses = allocateAddresses(state, id, b.region as string, b.private_ip === true);
  // Guess: Linode's wording when a region runs out of addresses is not documented.
  if (!addresses) throw fail(400, 'No IPv4 addresses available in this region', 'region');
  const now = nowMs(state);
  const inst: EmulatedInstance = {
    id,
    label: typeof b.label === 'string' ? b.label : `linode${id}`,
    group: typeof b.group === 'string' ? b.group : '',
    status: 'provisioning',
    created: now,
    updated: now,
    type: b.type as string,
    region: b.region as string,
    image: typeof b.image === 'string' ? b.image : null,
    tags: Array.isArray(b.tags) ? [...new Set(b.tags as string[])] : [],
    ...addresses,
    watchdog: true,
    phases: [],
    settlesTo: 'offline',
    bootedAt: null,
    stackscriptId: typeof b.stackscript_id === 'number' ? b.stackscript_id : null,
    backups: {
      enabled: false,
      enabledAt: null,
      cancelledAt: null,
      day: null,
      window: null,
      chosen: false,
      nextAutomaticAt: null,
      automatic: [],
      current: null,
      inProgress: null,
    },
    transfer: { month: monthOf(now), usedBytes: 0, countedUntil: now },
  };
  state.instances.set(id, inst);
  for (const address of [inst.publicIpv4, inst.privateIpv4, inst.ipv6])
    if (address) state.ips.set(address, { address, linodeId: id, rdns: null });
  if (b.backups_enabled === true) enableBackupsNow(state, inst);
  if (b.firewall_id !== undefined)
    state.firewalls.get(Number(b.firewall_id))!.devices.push({ id: ++state.seq.device, linodeId: id, created: now });

  const boot = inst.image !== null && b.booted !== false;
  const { steps, settlesTo } = bootSteps(
    state,
    { status: 'provisioning', ms: state.durations.provisioning, action: 'linode_create' },
    boot,
  );
  startTransition(state, inst, steps, settlesTo, fails);
  return { body: instanceJson(inst) };
}

/** Turns backups on: the schedule reads `Scheduling` until one is assigned (machine.ts). */
export function enableBackupsNow(state: LinodeEmulatorState, inst: EmulatedInstance): void {
  const now = nowMs(state);
  Object.assign(inst.backups, {
    enabled: true,
    enabledAt: now,
    day: 'Scheduling',
    window: 'Scheduling',
    chosen: false,
    nextAutomaticAt: now + state.durations.automaticBackupEvery,
  });
}

function update(state: LinodeEmulatorState, inst: EmulatedInstance, b: Record<string, unknown>): Reply {
  const errors: FieldError[] = [];
  if (b.label !== undefined) errors.push(...checkLabel(b.label, state.instances.values(), inst.id));
  if (b.tags !== undefined) errors.push(...checkTags(b.tags));
  if (b.watchdog_enabled !== undefined && typeof b.watchdog_enabled !== 'boolean')
    errors.push({ field: 'watchdog_enabled', reason: 'Must be a boolean' });
  const schedule = (b.backups as { schedule?: { day?: unknown; window?: unknown } } | undefined)?.schedule;
  if (schedule?.day !== undefined && schedule.day !== null && !BACKUP_DAYS.includes(schedule.day as string))
    errors.push({ field: 'backups.schedule.day', reason: 'Invalid day' });
  if (
    schedule?.window !== undefined &&
    schedule.window !== null &&
    !BACKUP_WINDOWS.includes(schedule.window as string)
  ) {
    errors.push({ field: 'backups.schedule.window', reason: 'Invalid window' });
  }
  throwIf(errors);
  if (typeof b.label === 'string') inst.label = b.label;
  if (typeof b.group === 'string') inst.group = b.group;
  if (Array.isArray(b.tags)) inst.tags = [...new Set(b.tags as string[])];
  if (typeof b.watchdog_enabled === 'boolean') inst.watchdog = b.watchdog_enabled;
  if (schedule) {
    // Guess: null hands the choice back to Linode, which then reads `Scheduling` again.
    const day = schedule.day === undefined ? inst.backups.day : ((schedule.day as string | null) ?? 'Scheduling');
    const window =
      schedule.window === undefined ? inst.backups.window : ((schedule.window as string | null) ?? 'Scheduling');
    Object.assign(inst.backups, { day, window, chosen: day !== 'Scheduling' || window !== 'Scheduling' });
  }
  inst.updated = nowMs(state);
  addEvent(state, 'linode_update', linodeEntity(inst), 'notification');
  return { body: instanceJson(inst) };
}

function remove(state: LinodeEmulatorState, inst: EmulatedInstance): Reply {
  if (inst.status === 'cloning' || inst.status === 'restoring') throw fail(400, 'Linode busy.');
  // Guess: a second delete while deleting is accepted and changes nothing.
  if (inst.status === 'deleting') return { body: {} };
  inst.backups.inProgress = null;
  startTransition(state, inst, [{ status: 'deleting', ms: state.durations.delete, action: 'linode_delete' }], 'gone');
  return { body: {} };
}

export function instanceRoutes(app: Hono, state: LinodeEmulatorState): void {
  app.get(
    '/linode/instances',
    api(state, 'list_instances', ({ c }) =>
      paged(
        c,
        [...state.instances.values()].map((i) => ({ ...instanceJson(i) })),
        { filterable: INSTANCE_FILTERABLE },
      ),
    ),
  );
  app.post(
    '/linode/instances',
    api(state, 'create_instance', ({ body, provisioningFails }) => create(state, body, provisioningFails())),
  );
  app.get(
    '/linode/instances/:id',
    api(state, 'get_instance', ({ param }) => ({ body: instanceJson(instanceOr404(state, param('id'))) })),
  );
  app.put(
    '/linode/instances/:id',
    api(state, 'update_instance', ({ param, body }) => update(state, instanceOr404(state, param('id')), body)),
  );
  app.delete(
    '/linode/instances/:id',
    api(state, 'delete_instance', ({ param }) => remove(state, instanceOr404(state, param('id')))),
  );
}
