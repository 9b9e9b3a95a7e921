import { Hono, type Context } from 'hono';
import { addSshKey, deleteSshKey, listSshKeys } from '../../../domain/ssh-keys/keys.ts';
import { authorize } from '../../../domain/access/organization.ts';
import { actorOf } from '../../actor.ts';
import type { AppDeps } from '../../context.ts';
import { formData, orFail } from '../../forms.ts';
import { flash, redirect, type Renderer } from '../../render.ts';

type Values = { name?: string; public_key?: string };

/**
 * /ssh-keys: the active organization's SSH keys. `ssh_keys_view` sees them; `ssh_keys_manage`
 * adds (the form again with messages, 422, when the key is not valid or already there) and
 * deletes them. The JSON API (api/v1/ssh-keys/) serves the same over the same domain.
 */
export function sshKeyPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();
  const page = async (c: Context, values: Values, errors: Record<string, string> = {}, status?: 422) =>
    view.page(
      c,
      'portal/ssh-keys/index',
      {
        keys: await listSshKeys(deps.db, actorOf(c)),
        values: { name: values.name ?? '', public_key: values.public_key ?? '' },
        errors,
        message: Object.keys(errors).length ? 'Please correct the highlighted fields.' : null,
      },
      { layout: 'portal', title: 'SSH keys', status },
    );

  app.get('/', (c) => page(c, {}));

  app.post('/', async (c) => {
    authorize(actorOf(c), 'ssh_keys_manage');
    const values: Values = await formData(c);
    return orFail(
      async () => {
        const key = await addSshKey(deps, actorOf(c), { name: values.name, publicKey: values.public_key });
        flash(c, `The key “${key.name}” is added (${key.fingerprint}).`);
        return redirect(c, '/ssh-keys');
      },
      (err) => page(c, values, err.fields ?? { public_key: err.message }, 422),
    );
  });

  app.delete('/:id', async (c) => {
    await deleteSshKey(deps, actorOf(c), c.req.param('id'));
    return view.partial(c, 'portal/ssh-keys/_keys', { keys: await listSshKeys(deps.db, actorOf(c)) });
  });

  return app;
}
