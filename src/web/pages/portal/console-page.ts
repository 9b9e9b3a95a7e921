import { Hono } from 'hono';
import { consoleAccess } from '../../../domain/console/access.ts';
import { getServer } from '../../../domain/servers/query.ts';
import { AppError, ConflictError, ForbiddenError } from '../../../lib/errors.ts';
import { actorOf } from '../../actor.ts';
import type { AppDeps } from '../../context.ts';
import type { Renderer } from '../../render.ts';

/**
 * GET /vps/:id/console (vps_manage; mounted at /vps by portal/index.ts): the full-screen
 * console, an xterm.js island (static/islands/console) that asks console.ts's
 * `POST /vps/:id/console/tickets` for a ticket and opens the console socket with it. Shown
 * only to who may open a console: a viewer (403) or a server that cannot have one (409:
 * suspended, deleted, still being created) gets the reason and a way back instead; another
 * organization's server is 404, like every server page.
 */
export function consolePage(deps: AppDeps, view: Renderer) {
  const app = new Hono();
  app.get('/:id/console', async (c) => {
    const actor = actorOf(c);
    const id = c.req.param('id');
    try {
      const access = await consoleAccess(deps, actor, id);
      const title = `Console · ${access.server.label}`;
      return view.page(c, 'portal/servers/console', { access }, { layout: 'console', title });
    } catch (err) {
      if (!(err instanceof ForbiddenError || err instanceof ConflictError)) throw err;
      // The label for the refusal, read as the server page reads it. A 403 comes before looking
      // the server up (as everywhere: the role decides first), so it is a 403 without a label
      // for a server the actor cannot see; a 409 was about a server the actor may manage.
      const server = await getServer(deps, actor, id).catch((e: unknown) => {
        if (err instanceof ForbiddenError && e instanceof AppError) return null;
        throw e;
      });
      const data = { server, status: err.status, message: err.message };
      return view.page(c, 'portal/servers/console_refusal', data, {
        layout: 'portal',
        status: err.status as 403 | 409,
        title: 'Console unavailable',
      });
    }
  });
  return app;
}
