import { Hono, type Context } from 'hono';
import {
  createEndpoint,
  deleteEndpoint,
  getEndpoint,
  listDeliveries,
  listEndpoints,
  MAX_ENDPOINTS,
  rotateSecret,
  sendPing,
  updateEndpoint,
  WEBHOOK_EVENTS,
  type WebhookEndpointView,
} from '../../../domain/webhooks/index.ts';
import { isUuid } from '../../../lib/ids.ts';
import { actorOf } from '../../actor.ts';
import type { AppDeps } from '../../context.ts';
import { formData, formList, orFail } from '../../forms.ts';
import { flash, redirect, type Renderer } from '../../render.ts';
import { outcome, webhookDeliveryPages } from './webhook-deliveries.ts';

type Values = { url: string; description: string; events: string[] };

const GROUPS: Record<string, string> = {
  vps: 'Servers',
  wallet: 'Wallet',
  invoice: 'Invoices',
  ticket: 'Support tickets',
  hosting: 'Web hosting',
};

/** The events as the forms' checkbox groups: each group's wildcard (`vps.*`: also events added later) and its events. */
export const EVENT_GROUPS = Object.entries(
  WEBHOOK_EVENTS.reduce<Record<string, { type: string; description: string }[]>>((acc, e) => {
    (acc[e.type.split('.')[0]!] ??= []).push(e);
    return acc;
  }, {}),
).map(([prefix, events]) => ({ label: GROUPS[prefix] ?? prefix, wildcard: `${prefix}.*`, events }));

const valuesOf = (e?: WebhookEndpointView): Values => ({
  url: e?.url ?? '',
  description: e?.description ?? '',
  events: e?.events ?? [],
});

/**
 * /webhooks: the active organization's webhook endpoints (`settings_manage`; the domain refuses
 * others with 403). The list with the form to add one; /webhooks/:id to change, disable,
 * re-enable, ping, rotate the secret of and delete one, with its delivery log (paged with
 * `?before=`); /webhooks/:id/deliveries/:deliveryId for one delivery's attempts and body. A new
 * or rotated secret is shown once, on the page that answers the write (201), never again.
 * The JSON API (api/v1/webhooks/) serves the same over the same domain (domain/webhooks).
 */
export function webhookPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();
  const opts = { layout: 'portal' as const, title: 'Webhooks' };
  const deliveriesRegion = { id: 'webhook-deliveries', partial: 'portal/webhooks/_deliveries' };
  const read = async (c: Context): Promise<Values> => {
    const f = await formData(c);
    return { url: f.url ?? '', description: f.description ?? '', events: await formList(c, 'events') };
  };
  const input = (v: Values) => ({ url: v.url, events: v.events, description: v.description });

  const list = async (c: Context, values: Values, errors: Record<string, string> = {}, message?: string) =>
    view.page(
      c,
      'portal/webhooks/index',
      {
        endpoints: await listEndpoints(deps.db, actorOf(c)),
        groups: EVENT_GROUPS,
        maxEndpoints: MAX_ENDPOINTS,
        values,
        errors,
        message,
      },
      { ...opts, status: message ? 422 : undefined },
    );

  const show = async (c: Context, values?: Values, errors: Record<string, string> = {}, message?: string) => {
    const actor = actorOf(c);
    const endpoint = await getEndpoint(deps.db, actor, c.req.param('id')!);
    const before = c.req.query('before');
    const deliveries = await listDeliveries(deps.db, actor, endpoint.id, {
      before: before && isUuid(before) ? before : undefined,
    });
    return view.page(
      c,
      'portal/webhooks/show',
      { endpoint, deliveries, groups: EVENT_GROUPS, values: values ?? valuesOf(endpoint), errors, message },
      {
        ...opts,
        title: `Webhook ${new URL(endpoint.url).host}`,
        region: deliveriesRegion,
        status: message ? 422 : undefined,
      },
    );
  };

  const secretPage = (c: Context, r: { endpoint: WebhookEndpointView; secret: string }, created: boolean) =>
    view.page(
      c,
      'portal/webhooks/secret',
      { ...r, created },
      { ...opts, title: created ? 'Your new webhook' : 'Your new signing secret', status: created ? 201 : 200 },
    );

  app.get('/', (c) => list(c, valuesOf()));

  app.post('/', async (c) => {
    const values = await read(c);
    return orFail(
      async () => secretPage(c, await createEndpoint(deps, actorOf(c), input(values)), true),
      (err) => list(c, values, err.fields ?? {}, err.fields ? 'Please correct the highlighted fields.' : err.message),
    );
  });

  app.get('/:id', (c) => show(c));

  app.post('/:id', async (c) => {
    const values = await read(c);
    return orFail(
      async () => {
        await updateEndpoint(deps, actorOf(c), c.req.param('id'), input(values));
        flash(c, 'Webhook saved.');
        return redirect(c, `/webhooks/${c.req.param('id')}`);
      },
      (err) => show(c, values, err.fields ?? {}, err.fields ? 'Please correct the highlighted fields.' : err.message),
    );
  });

  app.delete('/:id', async (c) => {
    await deleteEndpoint(deps, actorOf(c), c.req.param('id'));
    flash(c, 'Webhook deleted. Nothing more is sent to it.');
    return redirect(c, '/webhooks');
  });

  app.post('/:id/secret', async (c) => secretPage(c, await rotateSecret(deps, actorOf(c), c.req.param('id')), false));

  // Disabling is a resource: POST makes it (deliveries stop), DELETE removes it (they resume).
  for (const [method, enabled] of [
    ['post', false],
    ['delete', true],
  ] as const)
    app[method]('/:id/disablement', async (c) => {
      await updateEndpoint(deps, actorOf(c), c.req.param('id'), { enabled });
      flash(
        c,
        enabled ? 'Webhook enabled: new events are sent to it again.' : 'Webhook disabled: nothing is sent to it.',
      );
      return redirect(c, `/webhooks/${c.req.param('id')}`);
    });

  app.post('/:id/pings', async (c) => {
    const d = await sendPing(deps, actorOf(c), c.req.param('id'));
    const o = outcome(d);
    flash(c, `Test ping ${o.text}.`, o.ok ? 'success' : 'error');
    return redirect(c, `/webhooks/${c.req.param('id')}`);
  });

  app.route('/:id/deliveries', webhookDeliveryPages(deps, view));

  return app;
}
