import { Hono, type Context } from 'hono';
import { offeredRegions } from '../../../domain/catalogue/offer.ts';
import {
  createIncident,
  deleteIncident,
  getIncident,
  IMPACTS,
  listIncidents,
  postIncidentUpdate,
  resolveIncident,
  updateIncident,
  updateStatusesOf,
  UPDATE_LABELS,
  type Incident,
} from '../../../domain/status/incidents.ts';
import { actorOf } from '../../actor.ts';
import type { AppDeps } from '../../context.ts';
import { formData, formList, orFail } from '../../forms.ts';
import { flash, redirect, type Renderer } from '../../render.ts';

const layout = 'admin' as const;
const LIST = '/admin/status';

/** A time as the form's `datetime-local` field shows it: UTC, to the minute. */
const utcMinute = (d: Date | null) => (d ? d.toISOString().slice(0, 16) : '');

const valuesOf = (i: Incident) => ({
  title: i.title,
  kind: i.kind,
  impact: i.impact,
  startsAt: utcMinute(i.startsAt),
  endsAt: utcMinute(i.endsAt),
});

/**
 * /admin/status (issue 16 item 4): incidents and maintenance windows shown on /status — post
 * one (with its first update), edit it, add updates to its timeline, resolve or complete it,
 * delete it. Audited as admin.status_incident_saved / _deleted; bad input answers 422 with the
 * form and what was typed.
 */
export function adminStatusPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();

  const regionChoices = async () => offeredRegions(deps.db, { cache: deps.cache });

  const formPage = async (
    c: Context,
    incident: Incident | null,
    state: {
      values: Record<string, string>;
      regions: string[];
      errors?: Record<string, string>;
      message?: string | null;
    },
    status: 200 | 422 = 200,
  ) =>
    view.page(
      c,
      'admin/status/form',
      {
        incident,
        regionChoices: await regionChoices(),
        impacts: IMPACTS,
        labels: UPDATE_LABELS,
        updateStatuses: incident ? updateStatusesOf(incident.kind) : [],
        values: state.values,
        regions: state.regions,
        errors: state.errors ?? {},
        message: state.message ?? null,
        update: { values: {}, errors: {}, message: null },
      },
      {
        layout,
        status,
        title: incident
          ? `${incident.kind === 'maintenance' ? 'Maintenance' : 'Incident'}: ${incident.title}`
          : 'New incident or maintenance',
      },
    );

  app.get('/', async (c) => {
    const incidents = await listIncidents(deps, actorOf(c));
    return view.page(
      c,
      'admin/status/index',
      { incidents, labels: UPDATE_LABELS, now: deps.clock.now() },
      { layout, title: 'Status page' },
    );
  });

  app.get('/new', async (c) => {
    actorOf(c);
    const kind = c.req.query('kind') === 'maintenance' ? 'maintenance' : 'incident';
    return formPage(c, null, {
      values: { kind, impact: kind === 'maintenance' ? 'none' : 'minor' },
      regions: ['platform'],
    });
  });

  app.post('/', async (c) => {
    const values = await formData(c);
    const regions = await formList(c, 'regions');
    return orFail(
      async () => {
        const i = await createIncident(deps, actorOf(c), { ...values, regions });
        flash(c, `“${i.title}” is on the status page.`);
        return redirect(c, `${LIST}/${i.id}`);
      },
      (err) => formPage(c, null, { values, regions, errors: err.fields, message: err.message }, 422),
    );
  });

  app.get('/:id', async (c) => {
    const i = await getIncident(deps, actorOf(c), c.req.param('id'));
    return formPage(c, i, { values: valuesOf(i), regions: i.affectedRegions });
  });

  app.post('/:id', async (c) => {
    const i = await getIncident(deps, actorOf(c), c.req.param('id'));
    const values = await formData(c);
    const regions = await formList(c, 'regions');
    return orFail(
      async () => {
        const saved = await updateIncident(deps, actorOf(c), i.id, { ...values, regions });
        flash(c, `“${saved.title}” is saved.`);
        return redirect(c, `${LIST}/${i.id}`);
      },
      (err) => formPage(c, i, { values, regions, errors: err.fields, message: err.message }, 422),
    );
  });

  app.post('/:id/updates', async (c) => {
    const i = await getIncident(deps, actorOf(c), c.req.param('id'));
    const values = await formData(c);
    return orFail(
      async () => {
        await postIncidentUpdate(deps, actorOf(c), i.id, values);
        flash(c, 'The update is posted.');
        return redirect(c, `${LIST}/${i.id}`);
      },
      async (err) => {
        const res = await view.page(
          c,
          'admin/status/form',
          {
            incident: i,
            regionChoices: await regionChoices(),
            impacts: IMPACTS,
            labels: UPDATE_LABELS,
            updateStatuses: updateStatusesOf(i.kind),
            values: valuesOf(i),
            regions: i.affectedRegions,
            errors: {},
            message: null,
            update: { values, errors: err.fields ?? {}, message: err.message },
          },
          { layout, status: 422, title: `${i.kind === 'maintenance' ? 'Maintenance' : 'Incident'}: ${i.title}` },
        );
        return res;
      },
    );
  });

  app.post('/:id/resolve', async (c) => {
    const values = await formData(c);
    const i = await resolveIncident(deps, actorOf(c), c.req.param('id'), values.message ?? '');
    flash(c, `“${i.title}” is ${i.kind === 'maintenance' ? 'completed' : 'resolved'}.`);
    return redirect(c, LIST);
  });

  app.post('/:id/delete', async (c) => {
    const i = await getIncident(deps, actorOf(c), c.req.param('id'));
    await deleteIncident(deps, actorOf(c), i.id);
    flash(c, `“${i.title}” is deleted.`);
    return redirect(c, LIST);
  });

  return app;
}
