import { Hono, type Context } from 'hono';
import { buyPack, newPurchaseId } from '../../../../domain/transfer/manage.ts';
import { formatGb } from '../../../../domain/transfer/units.ts';
import { transferOverview } from '../../../../domain/transfer/usage.ts';
import { walletFor } from '../../../../domain/wallets/wallet.ts';
import { can } from '../../../../domain/access/actor.ts';
import { formatMoney } from '../../../../lib/money.ts';
import { actorOf } from '../../../actor.ts';
import type { AppDeps } from '../../../context.ts';
import { formData, submitForm } from '../../../forms.ts';
import { flash, redirect, type Renderer } from '../../../render.ts';

/**
 * /billing/transfer (portal/index.ts mounts it): the organization's network transfer this
 * month — per region pool (included vs used, projection, charged) and per server — its
 * transfer credits with the GB left, the packs on offer and the history of charges. Needs
 * `egress_view`; buying a pack (POST /billing/transfer/packs, a guarded wallet debit) needs
 * `egress_manage`. The JSON API (api/v1/billing/transfer.ts) serves the same domain.
 */
export function transferPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();
  const opts = { layout: 'portal' as const, title: 'Network transfer' };

  async function data(c: Context) {
    const actor = actorOf(c);
    const overview = await transferOverview(deps.db, actor, deps.clock.now());
    const wallet = can(actor, 'billing_view') ? await walletFor(deps.db, actor) : null;
    return {
      overview,
      wallet,
      purchaseId: newPurchaseId(),
      gb: formatGb,
      perGb: (m: bigint, currency: string) => formatMoney(m, currency, 4),
    };
  }

  app.get('/', async (c) =>
    view.page(c, 'portal/billing/transfer/index', { ...(await data(c)), values: {}, errors: {} }, opts),
  );

  app.post('/packs', async (c) => {
    const values = await formData(c);
    return submitForm(
      c,
      view,
      { template: 'portal/billing/transfer/index', values, data: await data(c), options: opts },
      async () => {
        const bought = await buyPack(deps, actorOf(c), values);
        flash(
          c,
          bought.duplicate
            ? 'That pack was already bought: nothing was charged again.'
            : `Bought ${formatGb(bought.credit.totalBytes)} of transfer. Your balance is now ${formatMoney(bought.balance)}.`,
        );
        return redirect(c, '/billing/transfer');
      },
    );
  });

  return app;
}
