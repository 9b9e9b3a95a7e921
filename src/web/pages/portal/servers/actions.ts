import { Hono, type Context } from 'hono';
import { setCookie } from 'hono/cookie';
import type { Actor } from '../../../../domain/access/actor.ts';
import { runAction } from '../../../../domain/servers/actions.ts';
import type { AppError } from '../../../../lib/errors.ts';
import { actorOf } from '../../../actor.ts';
import type { AppDeps } from '../../../context.ts';
import { formData, orFail } from '../../../forms.ts';
import { flash, redirect, type Renderer } from '../../../render.ts';
import { loadDetail, ROOT_PASSWORD_COOKIE, showDetail } from './detail.ts';

type Action = Parameters<typeof runAction>[3];

/** The page status of a refusal: its own where the page can say it (409 busy, 429, 503), else 422. */
export const refusalStatus = (err: AppError) =>
  err.status === 409 || err.status === 429 || err.status === 503 ? err.status : 422;

/** Carries a generated root password to the server page once (see detail.ts), never in a URL. */
export function passRootPassword(c: Context, deps: AppDeps, serverId: string, password: string | null) {
  if (!password) return;
  setCookie(c, ROOT_PASSWORD_COOKIE, password, {
    path: `/vps/${serverId}`,
    httpOnly: true,
    sameSite: 'Strict',
    secure: deps.config.isProduction,
    maxAge: 300,
  });
}

/**
 * Runs `action` on server `id` and goes back to its page with a notice; a refusal (busy,
 * wrong state, invalid input, a provider failure in white-label words) shows the page again
 * with the message where `form` says, status 409/422/503.
 */
export async function perform(
  deps: AppDeps,
  view: Renderer,
  c: Context,
  form: string,
  values: Record<string, string>,
  action: (actor: Actor, id: string) => Promise<{ generatedPassword?: string | null; notice: string }>,
) {
  const id = c.req.param('id')!;
  return orFail(
    async () => {
      const done = await action(actorOf(c), id);
      passRootPassword(c, deps, id, done.generatedPassword ?? null);
      flash(c, done.notice);
      return redirect(c, `/vps/${id}`);
    },
    async (err) => {
      const data = await loadDetail(deps, c, id);
      const safe = Object.fromEntries(Object.entries(values).filter(([k]) => !/password/.test(k)));
      return showDetail(
        view,
        c,
        { ...data, form, errors: err.fields ?? {}, values: safe, message: err.message },
        refusalStatus(err),
      );
    },
  );
}

const POWER: Array<{ path: string; type: 'boot' | 'shutdown' | 'reboot'; notice: string }> = [
  { path: 'boot', type: 'boot', notice: 'The server is powering on.' },
  { path: 'shutdown', type: 'shutdown', notice: 'The server is shutting down.' },
  { path: 'reboot', type: 'reboot', notice: 'The server is rebooting.' },
];

/**
 * The server's actions as resources (vps_manage), each its own POST under /vps/:id: boot,
 * shutdown, reboot, rename, password (only while powered off; the provider requires it).
 * Rebuild and resize have their own pages (rebuild.ts); backups, rDNS and delete theirs.
 */
export function serverActionPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();
  const run = (actor: Actor, id: string, action: Action) => runAction(deps, actor, id, action);

  for (const p of POWER)
    app.post(`/:id/${p.path}`, (c) =>
      perform(deps, view, c, 'action', {}, async (actor, id) => {
        await run(actor, id, { type: p.type });
        return { notice: p.notice };
      }),
    );

  app.post('/:id/rename', async (c) => {
    const values = await formData(c);
    return perform(deps, view, c, 'rename', values, async (actor, id) => {
      await run(actor, id, { type: 'rename', label: values.label ?? '' });
      return { notice: 'The server was renamed.' };
    });
  });

  app.post('/:id/password', async (c) => {
    const values = await formData(c);
    const typed = values.password_mode === 'type';
    return perform(deps, view, c, 'password', values, async (actor, id) => {
      const done = await run(actor, id, {
        type: 'reset_password',
        rootPassword: typed ? (values.root_password ?? '') : undefined,
      });
      return {
        generatedPassword: done.generatedPassword,
        notice: 'The root password was reset. Power the server on to use it.',
      };
    });
  });

  return app;
}
