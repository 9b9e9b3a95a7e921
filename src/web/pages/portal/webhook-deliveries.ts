import { Hono, type Context } from 'hono';
import { getDelivery, getEndpoint, redeliver, type WebhookDeliveryView } from '../../../domain/webhooks/index.ts';
import { actorOf } from '../../actor.ts';
import type { AppDeps } from '../../context.ts';
import { orFail } from '../../forms.ts';
import { flash, redirect, type Renderer } from '../../render.ts';

/** A delivery's outcome in a few words, for the flash after a ping or a redelivery. */
export function outcome(d: WebhookDeliveryView): { text: string; ok: boolean } {
  const timing = d.lastDurationMs === null ? '' : ` in ${d.lastDurationMs} ms`;
  if (d.status === 'succeeded')
    return { ok: true, text: `delivered: the endpoint answered ${d.lastStatusCode}${timing}` };
  const why =
    d.lastStatusCode !== null ? `the endpoint answered ${d.lastStatusCode}${timing}` : (d.lastError ?? 'no answer');
  return { ok: false, text: `not delivered: ${why}` };
}

/**
 * /webhooks/:id/deliveries/:deliveryId (mounted by webhooks.ts): one delivery's attempts and
 * the body it sent, and a redelivery by hand (303 back to it, the outcome in the flash; a
 * delivery being sent right now is said in the flash too). `settings_manage`, like the rest.
 */
export function webhookDeliveryPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();
  const opts = { layout: 'portal' as const };
  /** The endpoint's id, from the path this app is mounted at (`/:id/deliveries`). */
  const endpointId = (c: Context) => c.req.param('id') ?? '';

  app.get('/:deliveryId', async (c) => {
    const actor = actorOf(c);
    const endpoint = await getEndpoint(deps.db, actor, endpointId(c));
    const delivery = await getDelivery(deps.db, actor, endpoint.id, c.req.param('deliveryId'));
    return view.page(
      c,
      'portal/webhooks/delivery',
      { endpoint, delivery },
      { ...opts, title: `Delivery of ${delivery.type}` },
    );
  });

  app.post('/:deliveryId/redeliveries', async (c) => {
    const id = endpointId(c);
    const deliveryId = c.req.param('deliveryId');
    const back = `/webhooks/${id}/deliveries/${deliveryId}`;
    return orFail(
      async () => {
        const o = outcome(await redeliver(deps, actorOf(c), id, deliveryId));
        flash(c, `Sent again and ${o.text}.`, o.ok ? 'success' : 'error');
        return redirect(c, back);
      },
      (err) => {
        flash(c, err.message, 'error');
        return redirect(c, back);
      },
    );
  });

  return app;
}
