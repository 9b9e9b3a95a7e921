import { Hono, type Context } from 'hono';
import { cancellationOf, cancelService, keepService } from '../../../../domain/hosting/cancel.ts';
import { ValidationError } from '../../../../lib/errors.ts';
import { actorOf } from '../../../actor.ts';
import type { AppDeps } from '../../../context.ts';
import { formData, orFail } from '../../../forms.ts';
import { lineMoney } from '../billing/chart.ts';
import { flash, redirect, type Renderer } from '../../../render.ts';

/**
 * Ending web hosting (issue 17 item 6), hosting_manage:
 *   GET  /hosting/:id/cancel    the choice: at the end of the paid period (no refund), or now
 *                               (the website deleted, the unused whole days refunded: the
 *                               amount is shown), the latter confirmed with a tick
 *   POST /hosting/:id/cancel    does it (bad input: the page again with messages, 422)
 *   POST /hosting/:id/renewal   keeps a service cancelled at period end (it renews again)
 */
export function billingPages(deps: AppDeps, view: Renderer): Hono {
  const app = new Hono();

  const page = async (
    c: Context,
    extra: { values?: Record<string, string>; errors?: Record<string, string>; message?: string } = {},
    status: 200 | 409 | 422 | 503 = 200,
  ) => {
    const data = await cancellationOf(deps, actorOf(c), c.req.param('id')!);
    return view.page(
      c,
      'portal/hosting/cancel',
      { ...data, lineMoney, values: extra.values ?? {}, errors: extra.errors ?? {}, message: extra.message ?? '' },
      { layout: 'portal', title: `Cancel hosting · ${data.service.domain}`, status },
    );
  };

  app.get('/:id/cancel', (c) => page(c));

  app.post('/:id/cancel', async (c) => {
    const v = await formData(c);
    const id = c.req.param('id');
    return orFail(
      async () => {
        const when = v.when === 'now' || v.when === 'period_end' ? v.when : null;
        if (!when) throw new ValidationError({ when: 'Choose when the hosting ends.' });
        if (when === 'now' && v.confirm !== 'yes')
          throw new ValidationError({
            confirm: 'Tick the box to confirm that the website and its data are deleted now.',
          });
        const s = await cancelService(deps, actorOf(c), id, { when, refund: when === 'now' });
        const { currency } = await cancellationOf(deps, actorOf(c), id);
        flash(
          c,
          when === 'now'
            ? `The hosting of ${s.domain} was cancelled${s.refunded > 0n ? ` and ${lineMoney(s.refunded, currency)} went back to your wallet` : ''}.`
            : `The hosting of ${s.domain} will end when its paid period does: it will not renew.`,
        );
        return redirect(c, when === 'now' ? '/hosting' : `/hosting/${id}`);
      },
      (err) =>
        page(
          c,
          { values: v, errors: err.fields ?? {}, message: err.message },
          err.status === 409 || err.status === 503 ? err.status : 422,
        ),
    );
  });

  app.post('/:id/renewal', async (c) => {
    const s = await keepService(deps, actorOf(c), c.req.param('id'));
    flash(c, `The hosting of ${s.domain} will renew as usual.`);
    return redirect(c, `/hosting/${s.id}`);
  });

  return app;
}
