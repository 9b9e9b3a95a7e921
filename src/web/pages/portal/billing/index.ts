import { Hono, type Context } from 'hono';
import { walletOverview, type WalletOverview } from '../../../../domain/wallets/overview.ts';
import { continueTopUp, startTopUp, topUpLimits, type StartedTopUp } from '../../../../domain/payments/top-ups.ts';
import { KIND_LABELS } from '../../../../domain/ledger/kinds.ts';
import { AppError } from '../../../../lib/errors.ts';
import { formatMoney, toDecimal } from '../../../../lib/money.ts';
import { derived } from '../../../../lib/shared-values.ts';
import { getBillingPolicy } from '../../../../domain/settings/billing-policy.ts';
import type { AppDeps } from '../../../context.ts';
import { formData, submitForm } from '../../../forms.ts';
import { flash, redirect, type Renderer } from '../../../render.ts';
import { actorOf } from '../../../actor.ts';
import { lineMoney, spendChart } from './chart.ts';
import { paymentReturnPages } from './payments.ts';
import { transactionPages } from './transactions.ts';

const RECENT = 10;

/**
 * The spend chart of a kept overview, drawn once for it (src/lib/shared-values.ts `derived`):
 * drawn on every view, its thirty bars were made and then spelled out again to name the page.
 */
const chartOf = (o: WalletOverview) => spendChart(o.series, o.wallet.currency);

/**
 * /billing (mounted there by portal/index.ts): the active organization's wallet (needs `billing_view`): balance, summary, the
 * 30-day spend chart, recent lines, top-ups in progress, and adding funds (`billing_manage`;
 * the form is hidden without it). The JSON API (api/v1/wallet/) serves the same domain.
 */
export function billingPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();
  const opts = {
    layout: 'portal' as const,
    title: 'Billing',
    region: { id: 'add-funds', partial: 'portal/billing/_add_funds' },
  };

  async function overview(c: Context) {
    const actor = actorOf(c);
    // One statement for everything of the organization's; the limits are the platform's (kept).
    // The one-click presets are staff's (Platform settings → Billing); those outside the limits are left out.
    const [o, limits, policy] = await Promise.all([
      walletOverview(deps.db, actor, {
        now: deps.clock.now(),
        timeZone: c.get('auth')!.user.timezone,
        recent: RECENT,
        cache: deps.cache,
      }),
      topUpLimits(deps.db, { cache: deps.cache }),
      getBillingPolicy(deps.db, deps.config, { cache: deps.cache }),
    ]);
    const wallet = o.wallet;
    return {
      wallet,
      charged: o.charged,
      summary: o.summary,
      servers: o.servers,
      runway: { days: o.servers.runwayDays, burn: o.servers.hourlyBurn },
      chart: derived(o, chartOf),
      recent: o.recent,
      more: o.more,
      inProgress: o.topUpsInProgress,
      kinds: KIND_LABELS,
      lineMoney,
      presets: policy.topUpPresets
        .filter((amount) => amount >= limits.min && amount <= limits.max)
        .map((amount) => ({ value: toDecimal(amount), amount })),
      limits: { min: formatMoney(limits.min, wallet.currency), max: formatMoney(limits.max, wallet.currency) },
      payments: deps.paypalEmulator ? 'emulator' : deps.paypal ? 'paypal' : 'off',
    };
  }

  app.get('/', async (c) =>
    view.page(c, 'portal/billing/index', { ...(await overview(c)), values: {}, errors: {} }, opts),
  );

  app.post('/top-ups', async (c) => {
    const values = await formData(c);
    return submitForm(
      c,
      view,
      { template: 'portal/billing/index', values, data: await overview(c), options: opts },
      async () => toPayPal(c, await startTopUp(deps, actorOf(c), { amount: values.amount ?? '' })),
    );
  });

  // A top-up held for review goes on to PayPal once staff allowed it.
  app.post('/top-ups/:id/checkout', async (c) => {
    try {
      return toPayPal(c, await continueTopUp(deps, actorOf(c), c.req.param('id')));
    } catch (err) {
      if (!(err instanceof AppError) || err.status === 404 || err.status === 403) throw err;
      flash(c, err.message, 'error');
      return redirect(c, '/billing');
    }
  });

  app.route('/', paymentReturnPages(deps, view));
  app.route('/', transactionPages(deps, view));
  return app;
}

/** Off to PayPal's approval page (303, or HX-Redirect for htmx), or back to /billing when held for review. */
function toPayPal(c: Context, started: StartedTopUp) {
  if (started.status === 'held' || !started.approveUrl) {
    flash(
      c,
      `Your top-up of ${formatMoney(started.amount, started.currency)} is being reviewed. Once it is approved you can continue to PayPal from this page; nothing has been charged.`,
      'info',
    );
    return redirect(c, '/billing');
  }
  return redirect(c, started.approveUrl);
}
