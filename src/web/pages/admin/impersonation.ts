import { Hono } from 'hono';
import { getCookie } from 'hono/cookie';
import { findSession } from '../../../domain/accounts/sessions.ts';
import { IMPERSONATION_MINUTES, startImpersonation, stopImpersonation } from '../../../domain/admin/impersonation.ts';
import type { Area } from '../../areas.ts';
import type { AppDeps } from '../../context.ts';
import { formData, submitForm } from '../../forms.ts';
import {
  clearAdminSessionCookie,
  readAdminSessionCookie,
  setAdminSessionCookie,
} from '../../middleware/impersonation.ts';
import { clearSessionCookie, setSessionCookie } from '../../middleware/session.ts';
import { flash, redirect, type Renderer } from '../../render.ts';
import type { UserShowData } from './users.ts';

/**
 * POST /admin/users/:id/impersonation (mounted under /admin/users, behind requireAdmin):
 * the admin's password again, then the browser switches to a new session of the user while
 * the admin's own token waits in a second cookie. Stopping is `impersonationPages` below.
 */
export function impersonationStartPages(deps: AppDeps, view: Renderer, showData: UserShowData) {
  const app = new Hono();
  app.post('/:id/impersonation', async (c) => {
    const values = await formData(c);
    const data = await showData(c, 'impersonation');
    const auth = c.get('auth')!;
    return submitForm(
      c,
      view,
      { template: 'admin/users/show', values, data, options: { layout: 'admin', title: data.user.name } },
      async () => {
        const started = await startImpersonation(deps, c.get('actor')!, {
          userId: data.user.id,
          password: values.password ?? '',
          adminSessionId: auth.sessionId,
        });
        setAdminSessionCookie(c, deps.config, getCookie(c, deps.config.cookieName)!, auth.expiresAt);
        setSessionCookie(c, deps.config, started.token, started.expiresAt);
        flash(
          c,
          `You are impersonating ${started.user.name} for at most ${IMPERSONATION_MINUTES} minutes. Everything you change is recorded.`,
          'info',
        );
        return redirect(c, '/dashboard');
      },
    );
  });
  return app;
}

/**
 * DELETE /impersonation: the banner's "Stop impersonating", outside /admin so it works from
 * every page (an area only an impersonating browser enters). Ends the impersonation session
 * and puts the admin's kept cookie back (the same session as before); if that session is
 * gone, back to sign-in.
 */
export function impersonationArea(deps: AppDeps): Area {
  const app = new Hono();
  app.delete('/', async (c) => {
    const auth = c.get('auth')!;
    const kept = readAdminSessionCookie(c, deps.config);
    const admin = kept ? await findSession(deps.db, deps.config, kept, deps.clock.now()) : null;
    const stopped = await stopImpersonation(deps, c.get('actor')!, { sessionId: auth.sessionId });
    clearAdminSessionCookie(c, deps.config);
    if (!kept || admin?.sessionId !== stopped.adminSessionId) {
      clearSessionCookie(c, deps.config);
      flash(c, 'Impersonation stopped. Your own session has ended: please sign in again.', 'info');
      return redirect(c, '/login');
    }
    setSessionCookie(c, deps.config, kept, admin.expiresAt);
    flash(c, 'Impersonation stopped. You are back in your own account.');
    return redirect(c, `/admin/users/${stopped.userId}`);
  });
  return { prefix: '/impersonation', access: 'impersonating', pages: app };
}
