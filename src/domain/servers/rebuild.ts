import { ValidationError } from '../../lib/errors.ts';
import type { Actor } from '../access/actor.ts';
import type { Deps } from '../deps.ts';
import { act } from './act.ts';
import type { ActionResult } from './actions.ts';
import type { ServerRecord } from './find.ts';
import { generateRootPassword } from './rules.ts';
import { checkSoftware } from './software.ts';

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
  const {
    app,
    scriptId,
    scriptData,
    authorizedKeys,
    typedPassword: typed,
  } = await checkSoftware(
    deps.db,
    { ...input, providerId: server.provider_id, organizationId: server.organization_id },
    errors,
  );
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
      cloud.rebuild(instance, { image: input.image, rootPassword, authorizedKeys, scriptId, scriptData }),
  );
  return { action, generatedPassword: typed === '' ? rootPassword : null };
}
