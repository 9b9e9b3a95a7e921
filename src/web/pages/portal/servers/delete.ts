import { Hono, type Context } from 'hono';
import { authorize } from '../../../../domain/access/organization.ts';
import { confirmIdentity } from '../../../../domain/accounts/confirm.ts';
import { deleteServer } from '../../../../domain/servers/delete.ts';
import { serverPage } from '../../../../domain/servers/page.ts';
import { getServer } from '../../../../domain/servers/query.ts';
import { formatMoney } from '../../../../lib/money.ts';
import { actorOf } from '../../../actor.ts';
import type { AppDeps } from '../../../context.ts';
import { formData, orFail } from '../../../forms.ts';
import { flash, redirect, type Renderer } from '../../../render.ts';
import { refusalStatus } from './actions.ts';
import { serverFormat } from './present.ts';

/**
 * Deleting a server in the browser (vps_delete): a confirmation page that asks for the
 * password, and a code when two-factor is on (accounts/confirm.ts); then the server is
 * deleted and the unused minutes of the hour refunded. The JSON API needs only the token's
 * vps_delete (api/v1/vps/routes.ts).
 */
export function serverDeletePages(deps: AppDeps, view: Renderer) {
  const app = new Hono();

  async function page(
    c: Context,
    extra: { errors?: Record<string, string>; message?: string; status?: 200 | 409 | 422 | 429 | 503 } = {},
  ) {
    const actor = actorOf(c);
    authorize(actor, 'vps_delete');
    const id = c.req.param('id')!;
    const { server, costs } = await serverPage(deps, actor, id);
    const data = {
      server,
      costs,
      twoFactor: c.get('auth')!.user.twoFactorEnabled,
      errors: extra.errors ?? {},
      message: extra.message ?? '',
      fmt: serverFormat,
    };
    return view.page(c, 'portal/servers/delete', data, {
      layout: 'portal',
      title: `Delete ${server.label}`,
      status: extra.status ?? 200,
    });
  }

  app.get('/:id/delete', (c) => page(c));

  app.post('/:id/delete', async (c) => {
    const actor = actorOf(c);
    authorize(actor, 'vps_delete');
    const id = c.req.param('id');
    const server = await getServer(deps, actor, id);
    const values = await formData(c);
    return orFail(
      async () => {
        await confirmIdentity(deps, actor.userId, { password: values.password ?? '', code: values.code }, actor);
        const { refunded } = await deleteServer(deps, actor, id, {});
        flash(
          c,
          refunded > 0n
            ? `${server.label} is being deleted. ${formatMoney(refunded, server.currency, 4)} for the unused minutes of this hour went back to your wallet.`
            : `${server.label} is being deleted.`,
        );
        return redirect(c, '/vps');
      },
      (err) =>
        page(c, { errors: err.fields ?? {}, message: err.fields ? '' : err.message, status: refusalStatus(err) }),
    );
  });

  return app;
}
