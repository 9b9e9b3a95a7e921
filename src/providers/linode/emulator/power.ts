import type { Hono } from 'hono';
import { api, busy, fail, type Reply } from './http.ts';
import { bootSteps, instanceOr404, throwIf } from './instances.ts';
import { isTransitional, startTransition, type Step } from './machine.ts';
import { checkImage, checkKeys, checkPassword, checkStackScript, checkType } from './rules.ts';
import { addEvent, linodeEntity, type EmulatedInstance, type LinodeEmulatorState } from './state.ts';
import { instanceJson, typeOf } from './views.ts';

/**
 * Power, rebuild, resize and root password (spec §7, §8.2). Every one of them is refused with
 * 400 "Linode busy." while a transition is under way. Boot on a running instance and shutdown
 * on an offline one answer `{}` and change nothing (real behaviour unconfirmed).
 */

/** Statuses outside the machine (host maintenance, billing suspension): guess, refused as busy. */
function assertSettled(inst: EmulatedInstance): void {
  if (isTransitional(inst) || (inst.status !== 'running' && inst.status !== 'offline')) throw busy();
}

function boot(state: LinodeEmulatorState, inst: EmulatedInstance): Reply {
  assertSettled(inst);
  if (inst.status === 'offline')
    startTransition(
      state,
      inst,
      [{ status: 'booting', ms: state.durations.booting, action: 'linode_boot' }],
      'running',
    );
  return { body: {} };
}

function shutdown(state: LinodeEmulatorState, inst: EmulatedInstance): Reply {
  assertSettled(inst);
  if (inst.status === 'running')
    startTransition(
      state,
      inst,
      [{ status: 'shutting_down', ms: state.durations.shutdown, action: 'linode_shutdown' }],
      'offline',
    );
  return { body: {} };
}

function reboot(state: LinodeEmulatorState, inst: EmulatedInstance): Reply {
  assertSettled(inst);
  // Guess (spec §7): a reboot of an offline instance boots it.
  const step: Step =
    inst.status === 'running'
      ? { status: 'rebooting', ms: state.durations.reboot, action: 'linode_reboot' }
      : { status: 'booting', ms: state.durations.booting, action: 'linode_reboot' };
  startTransition(state, inst, [step], 'running');
  return { body: {} };
}

function rebuild(
  state: LinodeEmulatorState,
  inst: EmulatedInstance,
  b: Record<string, unknown>,
  fails: boolean,
): Reply {
  assertSettled(inst);
  const errors = [
    ...checkImage(b.image, true),
    ...checkPassword(b.root_pass),
    ...checkKeys(b.authorized_keys),
    ...checkStackScript(b.stackscript_id, b.stackscript_data, b.image),
  ];
  if (b.type !== undefined)
    errors.push(
      ...(b.type === inst.type
        ? [{ field: 'type', reason: 'Linode is already running this service plan.' }]
        : checkType(b.type)),
    );
  throwIf(errors);
  inst.image = b.image as string;
  inst.stackscriptId = typeof b.stackscript_id === 'number' ? b.stackscript_id : null;
  const first: Step = {
    status: 'rebuilding',
    ms: state.durations.rebuild,
    action: 'linode_rebuild',
    onEnd: typeof b.type === 'string' ? () => void (inst.type = b.type as string) : undefined,
  };
  const { steps, settlesTo } = bootSteps(state, first, b.booted !== false);
  startTransition(state, inst, steps, settlesTo, fails);
  return { body: instanceJson(inst) };
}

function resize(state: LinodeEmulatorState, inst: EmulatedInstance, b: Record<string, unknown>): Reply {
  assertSettled(inst);
  throwIf(checkType(b.type));
  const to = typeOf(b.type as string)!;
  if (to.id === inst.type) throw fail(400, 'Linode is already running this service plan.', 'type');
  if (b.migration_type !== undefined && b.migration_type !== 'cold' && b.migration_type !== 'warm')
    throw fail(400, 'Must be one of cold, warm', 'migration_type');
  // Guess: without automatic disk resizing the current disks must fit the new plan.
  if (b.allow_auto_disk_resize === false && to.disk < typeOf(inst.type)!.disk)
    throw fail(400, 'The current disks are too large for the new plan.', 'type');
  const d = state.durations;
  const migrate: Step = {
    status: 'migrating',
    ms: d.resize,
    action: 'linode_resize',
    onEnd: () => void (inst.type = to.id),
  };
  const wasRunning = inst.status === 'running';
  const steps: Step[] = wasRunning
    ? [
        ...(b.migration_type === 'warm'
          ? []
          : [{ status: 'shutting_down', ms: d.shutdown, action: 'linode_resize' } as Step]),
        migrate,
        { status: 'booting', ms: d.booting, action: 'linode_resize' },
      ]
    : [migrate];
  startTransition(state, inst, steps, wasRunning ? 'running' : 'offline');
  return { body: {} };
}

function password(state: LinodeEmulatorState, inst: EmulatedInstance, b: Record<string, unknown>): Reply {
  if (isTransitional(inst)) throw busy();
  throwIf(checkPassword(b.root_pass));
  // Guess: the wording of this refusal is not documented (spec §11).
  if (inst.status !== 'offline') throw fail(400, 'Linode must be shut down to reset the root password.');
  addEvent(state, 'password_reset', linodeEntity(inst), 'finished');
  return { body: {} };
}

export function powerRoutes(app: Hono, state: LinodeEmulatorState): void {
  const on = (param: (name: string) => string) => instanceOr404(state, param('id'));
  app.post(
    '/linode/instances/:id/boot',
    api(state, 'boot', ({ param }) => boot(state, on(param))),
  );
  app.post(
    '/linode/instances/:id/shutdown',
    api(state, 'shutdown', ({ param }) => shutdown(state, on(param))),
  );
  app.post(
    '/linode/instances/:id/reboot',
    api(state, 'reboot', ({ param }) => reboot(state, on(param))),
  );
  app.post(
    '/linode/instances/:id/rebuild',
    api(state, 'rebuild', ({ param, body, provisioningFails }) => rebuild(state, on(param), body, provisioningFails())),
  );
  app.post(
    '/linode/instances/:id/resize',
    api(state, 'resize', ({ param, body }) => resize(state, on(param), body)),
  );
  app.post(
    '/linode/instances/:id/password',
    api(state, 'password', ({ param, body }) => password(state, on(param), body)),
  );
}
