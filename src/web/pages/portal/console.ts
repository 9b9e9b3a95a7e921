import { Hono, type Context } from 'hono';
import { resetHostKey } from '../../../domain/console/host-keys.ts';
import { issueConsoleTicket, type TicketInput } from '../../../domain/console/tickets.ts';
import { AppError } from '../../../lib/errors.ts';
import { actorOf } from '../../actor.ts';
import { CONSOLE_PATH } from '../../console/index.ts';
import type { AppDeps } from '../../context.ts';
import { errorEnvelope } from '../../errors.ts';
import { formData } from '../../forms.ts';
import { flash, redirect } from '../../render.ts';

/**
 * The browser console's tickets (mounted by portal/index.ts at /vps/:id/console, a signed-in
 * area): the console page asks for one with its session and CSRF token just before opening
 * the socket (src/web/console). JSON in and out, refusals in the API's error envelope:
 * 403 viewer or impersonation without `impersonation: true`, 404 unknown or another
 * organization's server, 409 the server's state or a mode it lacks, 429 a limit.
 * Consoles are for browsers only: the JSON API (bearer tokens) has no ticket route.
 *
 *   POST /vps/:id/console/tickets   { "mode": "lish" | "ssh", "impersonation"?: true }
 *     201 { "ticket", "expiresAt", "mode", "url": "/console/socket" }
 */
export function consoleTicketPages(deps: AppDeps) {
  const app = new Hono();
  app.onError((err, c) => {
    if (!(err instanceof AppError)) throw err;
    return c.json(errorEnvelope(err.code, err.message, err.fields), err.status);
  });

  app.post('/tickets', async (c) => {
    const issued = await issueConsoleTicket(
      deps,
      actorOf(c),
      { serverId: c.req.param('id') ?? '', sessionId: c.get('auth')!.sessionId },
      await ticketInput(c),
    );
    c.header('Cache-Control', 'no-store');
    return c.json(
      { ticket: issued.ticket, expiresAt: issued.expiresAt.toISOString(), mode: issued.mode, url: CONSOLE_PATH },
      201,
    );
  });
  return app;
}

/** The body as JSON (the console page) or as a form (a page without JavaScript, the authorization matrix). */
async function ticketInput(c: Context): Promise<TicketInput> {
  if ((c.req.header('content-type') ?? '').startsWith('application/json')) {
    const body = (await c.req.json().catch(() => null)) as Record<string, unknown> | null;
    if (!body || typeof body !== 'object') throw new AppError('bad_request', 422, 'Send a JSON object.');
    return body as TicketInput;
  }
  const form = await formData(c);
  return {
    mode: (form.mode || undefined) as TicketInput['mode'],
    impersonation: form.impersonation === 'true' || form.impersonation === 'on' ? true : undefined,
  };
}

/**
 * /admin/servers/:id/host-key-reset (platform staff; mounted by admin/index.ts): forgets the
 * SSH host key pinned for a server, after the customer confirmed the change is theirs. Audited.
 */
export function consoleAdminPages(deps: AppDeps) {
  const app = new Hono();
  app.post('/:id/host-key-reset', async (c) => {
    const id = c.req.param('id');
    const removed = await resetHostKey(deps, actorOf(c), id);
    flash(
      c,
      removed
        ? 'The pinned SSH host key was removed: the next SSH console pins the key the server offers.'
        : 'No SSH host key was pinned for this server.',
      removed ? 'success' : 'info',
    );
    return redirect(c, `/admin/servers/${id}`);
  });
  return app;
}
