import { sql } from 'kysely';
import { z } from 'zod';
import { ValidationError } from '../../lib/errors.ts';
import { fieldErrors } from '../../lib/validation.ts';
import type { Actor } from '../access/actor.ts';
import type { Deps } from '../deps.ts';
import { act } from './act.ts';
import { serverFor, type ServerRecord } from './find.ts';
import { rebuild } from './rebuild.ts';
import { resize } from './resize.ts';
import {
  generateRootPassword,
  labelConflict,
  labelProblem,
  labelTaken,
  LABEL_TAKEN,
  providerLabel,
  rootPasswordProblem,
} from './rules.ts';
import { publishServerStatus, type ActionView } from './view.ts';

/**
 * The API's `actions` (pages post the same as resources): boot, shut down, reboot, rebuild,
 * resize, root password reset and rename, each through act.ts (one action row, one activity
 * entry, busy and suspended refused). Needs vps_manage; another organization's server is 404.
 *
 *   rebuild         a new image (and app), root password (typed or generated) and SSH keys; the
 *                   plan never changes (no type is sent)
 *   resize          to another active plan of the same provider sold in the server's region;
 *                   resizing up needs the balance to cover one hour at the new rate (checked
 *                   with the wallet locked); billing follows from the next clock hour
 *   reset_password  only while the server is off, as the provider requires
 */

const password = z.string().max(200, 'Use at most 128 characters.').optional();
const actionInput = z.discriminatedUnion(
  'type',
  [
    z.object({ type: z.literal('boot') }),
    z.object({ type: z.literal('shutdown') }),
    z.object({ type: z.literal('reboot') }),
    z.object({
      type: z.literal('rebuild'),
      image: z.string({ error: 'Choose an image.' }).trim().min(1, 'Choose an image.').max(128),
      rootPassword: password,
      sshKeyIds: z.array(z.string().max(64)).max(50, 'Choose at most 50 SSH keys.').optional(),
      appId: z.string().trim().max(64).optional(),
      appData: z.record(z.string(), z.string().max(2000)).optional(),
    }),
    z.object({
      type: z.literal('resize'),
      planId: z.string({ error: 'Choose a plan.' }).trim().min(1, 'Choose a plan.'),
    }),
    z.object({ type: z.literal('reset_password'), rootPassword: password }),
    z.object({ type: z.literal('rename'), label: z.string({ error: 'Enter a name for the server.' }).trim() }),
  ],
  { error: 'Choose an action: boot, shutdown, reboot, rebuild, resize, reset_password or rename.' },
);
export type ServerActionInput = z.input<typeof actionInput>;

const FIELD: Record<string, string> = {
  rootPassword: 'root_password',
  sshKeyIds: 'ssh_key_ids',
  appId: 'app_id',
  appData: 'app_data',
  planId: 'plan_id',
};

export interface ActionResult {
  action: ActionView;
  /** A root password made for the customer (rebuild, reset_password without one): shown once, never kept. */
  generatedPassword: string | null;
}

export async function runAction(deps: Deps, actor: Actor, id: string, input: ServerActionInput): Promise<ActionResult> {
  const server = await serverFor(deps.db, actor, id, 'vps_manage');
  return performAction(deps, actor, server, input);
}

/** An action on a server already found (and authorized) by the caller: customers' runAction, staff's adminRunAction. */
export async function performAction(
  deps: Deps,
  actor: Actor,
  server: ServerRecord,
  raw: ServerActionInput,
): Promise<ActionResult> {
  const parsed = actionInput.safeParse(raw);
  if (!parsed.success) {
    const fields = fieldErrors(parsed.error);
    throw new ValidationError(
      Object.fromEntries(Object.entries(fields).map(([k, v]) => [FIELD[k.split('.')[0]!] ?? k.split('.')[0]!, v])),
    );
  }
  const input = parsed.data;
  const done = (action: ActionView, generatedPassword: string | null = null) => ({ action, generatedPassword });
  switch (input.type) {
    case 'boot':
      return done(
        await act(
          deps,
          actor,
          server.id,
          {
            type: 'boot',
            activity: 'server.booted',
            moving: 'booting',
            powersOn: true,
            from: ['offline'],
            fromMessage: 'The server is already running.',
          },
          (cloud, instance) => cloud.boot(instance),
        ),
      );
    case 'shutdown':
      return done(
        await act(
          deps,
          actor,
          server.id,
          {
            type: 'shutdown',
            activity: 'server.shut_down',
            moving: 'shutting_down',
            from: ['running'],
            fromMessage: 'The server is already off.',
          },
          (cloud, instance) => cloud.shutdown(instance),
        ),
      );
    case 'reboot':
      return done(
        await act(
          deps,
          actor,
          server.id,
          {
            type: 'reboot',
            activity: 'server.rebooted',
            moving: 'rebooting',
            powersOn: true,
            from: ['running', 'offline'],
          },
          (cloud, instance) => cloud.reboot(instance),
        ),
      );
    case 'rebuild':
      return rebuild(deps, actor, server, input);
    case 'resize':
      return done(await resize(deps, actor, server, input.planId));
    case 'reset_password': {
      const typed = input.rootPassword ?? '';
      const problem = typed === '' ? null : rootPasswordProblem(typed);
      if (problem) throw new ValidationError({ root_password: problem });
      const rootPassword = typed === '' ? generateRootPassword() : typed;
      const action = await act(
        deps,
        actor,
        server.id,
        {
          type: 'reset_password',
          activity: 'server.password_reset',
          // A suspended server is powered off too.
          from: ['offline', 'suspended'],
          fromMessage: 'Power the server off before resetting its root password.',
        },
        (cloud, instance) => cloud.resetRootPassword(instance, rootPassword),
      );
      return done(action, typed === '' ? rootPassword : null);
    }
    case 'rename':
      return done(await rename(deps, actor, server, input.label));
  }
}

async function rename(deps: Deps, actor: Actor, server: ServerRecord, label: string): Promise<ActionView> {
  const problem = labelProblem(label);
  if (problem) throw new ValidationError({ label: problem });
  if (label !== server.label && (await labelTaken(deps.db, server.organization_id, label, server.id)))
    throw new ValidationError({ label: LABEL_TAKEN });
  try {
    return await act(
      deps,
      actor,
      server.id,
      {
        type: 'rename',
        activity: 'server.renamed',
        details: { name_before: server.label, name_after: label },
        after: async (trx) => {
          const renamed = await trx
            .updateTable('servers')
            .set({ label, updated_at: sql`now()` })
            .where('id', '=', server.id)
            .returningAll()
            .executeTakeFirstOrThrow();
          // Live lists show the new name without a reload.
          await publishServerStatus(trx, renamed);
        },
      },
      (cloud, instance) => cloud.rename(instance, providerLabel(label, server.id)),
    );
  } catch (err) {
    throw labelConflict(err) ?? err;
  }
}
