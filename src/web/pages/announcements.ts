import { Hono } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { dismissAnnouncement } from '../../domain/announcements/announcements.ts';
import type { AppDeps } from '../context.ts';
import { formData } from '../forms.ts';
import { localPath } from '../local-path.ts';
import { DISMISSED_COOKIE, guestDismissals, MAX_GUEST_DISMISSALS } from '../middleware/announcements.ts';

/**
 * POST /announcements/:id/dismiss (CSRF like every form): a signed-in person's dismissal is
 * kept in the database, a guest's in the `sp_dismissed` cookie. htmx gets an empty 200 (the
 * banner swaps itself away); a plain form is sent back to the page it came from (`back`).
 * 404 for an unknown announcement, 422 for one that cannot be dismissed.
 */
export function announcementPages(deps: AppDeps) {
  const app = new Hono();

  app.post('/announcements/:id/dismiss', async (c) => {
    const values = await formData(c);
    const user = c.get('auth')?.user ?? null;
    const id = c.req.param('id');
    try {
      await dismissAnnouncement(deps, user?.id ?? null, id);
    } catch (err) {
      const status = (err as { status?: number }).status;
      if (status === 404) return c.notFound();
      if (status === 422) return c.text('This announcement cannot be dismissed.', 422);
      throw err;
    }
    if (!user) {
      const ids = guestDismissals(getCookie(c, DISMISSED_COOKIE)).filter((x) => x !== id.toLowerCase());
      ids.push(id.toLowerCase());
      setCookie(c, DISMISSED_COOKIE, ids.slice(-MAX_GUEST_DISMISSALS).join(','), {
        path: '/',
        httpOnly: true,
        secure: deps.config.isProduction,
        sameSite: 'Lax',
        maxAge: 365 * 24 * 3600,
      });
    }
    c.header('Cache-Control', 'no-store');
    if (c.req.header('hx-request')) return c.body('', 200);
    // Back to the page it came from: a path on this site only (local-path.ts), else home.
    return c.redirect(localPath(values.back, '/'), 303);
  });

  return app;
}
