import { Hono } from 'hono';
import {
  AUDIENCES,
  SEVERITIES,
  announcementFromForm,
  createAnnouncement,
  deleteAnnouncement,
  getAnnouncement,
  listAnnouncements,
  updateAnnouncement,
  type Announcement,
} from '../../../domain/announcements/announcements.ts';
import { actorOf } from '../../actor.ts';
import type { AppDeps } from '../../context.ts';
import { formData, submitForm } from '../../forms.ts';
import { flash, redirect, type Renderer } from '../../render.ts';

const layout = 'admin' as const;

/** A time as the form's `datetime-local` field shows it: UTC, to the minute. */
const utcMinute = (d: Date | null) => (d ? d.toISOString().slice(0, 16) : '');

function formValues(a: Announcement): Record<string, string> {
  return {
    title: a.title,
    body: a.body,
    severity: a.severity,
    audience: a.audience,
    startsAt: utcMinute(a.startsAt),
    endsAt: utcMinute(a.endsAt),
    dismissable: a.dismissable ? 'on' : '',
  };
}

/**
 * /admin/announcements: the banners shown on every page (issue 16 item 2); list, new, edit,
 * delete. Bad input answers 422 with the form and what was typed; saves and deletions are in
 * the activity log (`admin.announcement_saved`, `admin.announcement_deleted`).
 */
export function adminAnnouncementPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();
  const form = (announcement: Announcement | null) => ({
    template: 'admin/announcements/form',
    data: { announcement, severities: SEVERITIES, audiences: AUDIENCES, now: deps.clock.now() },
    options: { layout, title: announcement ? `Announcement: ${announcement.title}` : 'New announcement' },
  });

  app.get('/', async (c) => {
    const announcements = await listAnnouncements(deps, actorOf(c));
    return view.page(
      c,
      'admin/announcements/index',
      { announcements, now: deps.clock.now() },
      { layout, title: 'Announcements' },
    );
  });

  app.get('/new', (c) => {
    const f = form(null);
    const values = { severity: 'info', audience: 'everyone', dismissable: 'on' };
    return view.page(c, f.template, { ...f.data, values, errors: {}, message: null }, f.options);
  });

  app.post('/', async (c) => {
    const values = await formData(c);
    return submitForm(c, view, { ...form(null), values }, async () => {
      const a = await createAnnouncement(deps, actorOf(c), announcementFromForm(values));
      flash(c, `“${a.title}” is posted.`);
      return redirect(c, '/admin/announcements');
    });
  });

  app.get('/:id', async (c) => {
    const a = await getAnnouncement(deps, actorOf(c), c.req.param('id'));
    const f = form(a);
    return view.page(c, f.template, { ...f.data, values: formValues(a), errors: {}, message: null }, f.options);
  });

  app.post('/:id', async (c) => {
    const a = await getAnnouncement(deps, actorOf(c), c.req.param('id'));
    const values = await formData(c);
    return submitForm(c, view, { ...form(a), values }, async () => {
      const saved = await updateAnnouncement(deps, actorOf(c), a.id, announcementFromForm(values));
      flash(c, `“${saved.title}” is saved.`);
      return redirect(c, '/admin/announcements');
    });
  });

  app.post('/:id/delete', async (c) => {
    const a = await getAnnouncement(deps, actorOf(c), c.req.param('id'));
    await deleteAnnouncement(deps, actorOf(c), a.id);
    flash(c, `“${a.title}” is deleted.`);
    return redirect(c, '/admin/announcements');
  });

  return app;
}
