import { Hono, type Context } from 'hono';
import { can } from '../../../../domain/access/actor.ts';
import { authorize } from '../../../../domain/access/organization.ts';
import { attachableServers, attachFirewall, detachFirewall } from '../../../../domain/firewalls/attachments.ts';
import { createFirewall, deleteFirewall, updateFirewall } from '../../../../domain/firewalls/changes.ts';
import { getFirewall, listFirewalls, type Firewall } from '../../../../domain/firewalls/firewalls.ts';
import { MAX_RULES } from '../../../../domain/firewalls/rules.ts';
import { actorOf } from '../../../actor.ts';
import type { AppDeps } from '../../../context.ts';
import { formData, orFail } from '../../../forms.ts';
import { flash, redirect, type Renderer } from '../../../render.ts';
import { applyRowOp, formOf, inputOf, readForm, type FirewallForm } from './form.ts';

type FormState = { form: FirewallForm; errors: Record<string, string>; message: string | null; saved?: boolean };
const clean = (form: FirewallForm): FormState => ({ form, errors: {}, message: null });
const FORM = { id: 'firewall-form', partial: 'portal/firewalls/_form' };
const SERVERS = 'firewall-servers';

/**
 * /firewalls: the organization's cloud firewalls. `vps_view` sees them; `vps_manage` creates
 * them, edits their rules (rows added and removed on the server, `op=`), attaches them to the
 * organization's servers, detaches and deletes them. Another organization's firewall or server
 * is 404. The JSON API (api/v1/firewalls/) serves the same over the same domain.
 */
export function firewallPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();
  const opts = (title: string, status?: 422) => ({ layout: 'portal' as const, title, status, region: FORM });

  const newPage = (c: Context, state: FormState, status?: 422) =>
    view.page(
      c,
      'portal/firewalls/new',
      { ...state, action: { url: '/firewalls', verb: 'post' }, maxRules: MAX_RULES },
      opts('New firewall', status),
    );
  const showPage = async (c: Context, fw: Firewall, state?: FormState, status?: 422, attachError?: string) => {
    const actor = actorOf(c);
    const data = {
      firewall: fw,
      ...(state ?? clean(formOf(fw.label, fw.rules))),
      action: { url: `/firewalls/${fw.id}`, verb: 'patch' },
      maxRules: MAX_RULES,
      attachable: can(actor, 'vps_manage') ? await attachableServers(deps.db, actor, fw.id) : [],
      attachError: attachError ?? null,
    };
    if (c.req.header('hx-target') === SERVERS) return view.partial(c, 'portal/firewalls/_servers', data, status);
    return view.page(c, 'portal/firewalls/show', data, opts(`Firewall ${fw.label}`, status));
  };

  app.get('/', async (c) => {
    const firewalls = await listFirewalls(deps.db, actorOf(c));
    return view.page(c, 'portal/firewalls/index', { firewalls }, { layout: 'portal', title: 'Firewalls' });
  });

  app.get('/new', (c) => {
    authorize(actorOf(c), 'vps_manage');
    return newPage(c, clean(formOf('')));
  });

  app.post('/', async (c) => {
    authorize(actorOf(c), 'vps_manage');
    const fields = await formData(c);
    const form = readForm(fields);
    const changed = applyRowOp(form, fields.op);
    if (changed) return newPage(c, clean(changed));
    return orFail(
      async () => {
        const fw = await createFirewall(deps, actorOf(c), inputOf(form));
        flash(c, `The firewall “${fw.label}” is created. Attach it to your servers below.`);
        return redirect(c, `/firewalls/${fw.id}`);
      },
      (err) => newPage(c, { form, errors: err.fields ?? {}, message: err.message }, 422),
    );
  });

  app.get('/:id', async (c) => showPage(c, await getFirewall(deps.db, actorOf(c), c.req.param('id'))));

  app.patch('/:id', async (c) => {
    authorize(actorOf(c), 'vps_manage');
    const fw = await getFirewall(deps.db, actorOf(c), c.req.param('id'));
    const fields = await formData(c);
    const form = readForm(fields);
    const changed = applyRowOp(form, fields.op);
    if (changed) return showPage(c, fw, clean(changed));
    return orFail(
      async () => {
        const saved = await updateFirewall(deps, actorOf(c), { firewallId: fw.id, values: inputOf(form) });
        if (c.req.header('hx-target') === FORM.id)
          return showPage(c, saved, { ...clean(formOf(saved.label, saved.rules)), saved: true });
        flash(c, `The firewall “${saved.label}” is saved.`);
        return redirect(c, `/firewalls/${saved.id}`);
      },
      (err) => showPage(c, fw, { form, errors: err.fields ?? {}, message: err.message }, 422),
    );
  });

  app.delete('/:id', async (c) => {
    await deleteFirewall(deps, actorOf(c), c.req.param('id'));
    flash(c, 'The firewall is deleted; the servers it guarded are no longer filtered by it.');
    return redirect(c, '/firewalls');
  });

  app.post('/:id/servers', async (c) => {
    authorize(actorOf(c), 'vps_manage');
    const id = c.req.param('id');
    const serverId = (await formData(c)).server_id ?? '';
    return orFail(
      async () => {
        const fw = await attachFirewall(deps, actorOf(c), { firewallId: id, serverId });
        if (c.req.header('hx-target') === SERVERS) return showPage(c, fw);
        flash(c, 'The server is attached.');
        return redirect(c, `/firewalls/${fw.id}`);
      },
      async (err) =>
        showPage(c, await getFirewall(deps.db, actorOf(c), id), undefined, 422, err.fields?.server_id ?? err.message),
    );
  });

  app.delete('/:id/servers/:serverId', async (c) => {
    const fw = await detachFirewall(deps, actorOf(c), {
      firewallId: c.req.param('id'),
      serverId: c.req.param('serverId'),
    });
    if (c.req.header('hx-target') === SERVERS) return showPage(c, fw);
    flash(c, 'The server is detached.');
    return redirect(c, `/firewalls/${fw.id}`);
  });

  return app;
}
