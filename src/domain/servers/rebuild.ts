import { ValidationError } from '../../lib/errors.ts';
import type { Actor } from '../access/actor.ts';
import { appDataFor, offeredApp, offeredImages } from '../catalogue/offer.ts';
import type { Deps } from '../deps.ts';
import { publicKeysFor } from '../ssh-keys/keys.ts';
import { act } from './act.ts';
import type { ActionResult } from './actions.ts';
import type { ServerRecord } from './find.ts';
import { generateRootPassword, rootPasswordProblem } from './rules.ts';

/**
 * Rebuild (actions.ts `rebuild`): the disk rewritten from an allowed image (optionally with an
 * allowed app and its fields), with a new root password (typed, or generated and shown once)
 * and the organization's SSH keys. The plan never changes: no type is ever sent, whatever the
 * input carries. Powers the server on, so refused while suspended.
 */
export async function rebuild(
  deps: Deps,
  actor: Actor,
  server: ServerRecord,
  input: {
    image: string;
    rootPassword?: string;
    sshKeyIds?: string[];
    appId?: string;
    appData?: Record<string, string>;
  },
): Promise<ActionResult> {
  const errors: Record<string, string> = {};
  if (!(await offeredImages(deps.db, server.provider_id)).some((i) => i.id === input.image))
    errors.image = 'Choose an image from the list.';
  let scriptId: string | undefined;
  let scriptData: Record<string, string> | undefined;
  const app = input.appId ? await offeredApp(deps.db, input.appId) : null;
  if (input.appId && (!app || app.providerId !== server.provider_id)) errors.app_id = 'Choose an app from the list.';
  else if (app) {
    if (app.images.length && !app.images.includes(input.image) && !app.images.includes('any/all'))
      errors.image = `${app.label} does not run on this image. Choose one of the images it supports.`;
    const checked = appDataFor(app, input.appData ?? {});
    if ('errors' in checked) for (const [k, v] of Object.entries(checked.errors)) errors[`app_data.${k}`] = v;
    else [scriptId, scriptData] = [app.scriptId, checked.data];
  }
  const typed = input.rootPassword ?? '';
  const problem = typed === '' ? null : rootPasswordProblem(typed);
  if (problem) errors.root_password = problem;
  let keys: string[] = [];
  try {
    keys = await publicKeysFor(deps.db, server.organization_id, input.sshKeyIds ?? []);
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    Object.assign(errors, err.fields);
  }
  if (Object.keys(errors).length) throw new ValidationError(errors);
  const rootPassword = typed === '' ? generateRootPassword() : typed;
  const action = await act(
    deps,
    actor,
    server.id,
    {
      type: 'rebuild',
      activity: 'server.rebuilt',
      moving: 'rebuilding',
      powersOn: true,
      details: { image: input.image, app_id: app?.id ?? null },
      after: async (trx) => {
        await trx
          .updateTable('servers')
          .set({ image: input.image, app_id: app?.id ?? null })
          .where('id', '=', server.id)
          .execute();
      },
    },
    (cloud, instance) =>
      cloud.rebuild(instance, { image: input.image, rootPassword, authorizedKeys: keys, scriptId, scriptData }),
  );
  return { action, generatedPassword: typed === '' ? rootPassword : null };
}
