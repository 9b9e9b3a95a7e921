import { Hono, type Context } from 'hono';
import { listPayments, reconciliationReport } from '../../../domain/payments/admin.ts';
import { listWallets, organizationLedger } from '../../../domain/wallets/admin.ts';
import { adjustWallet, newAdjustmentId } from '../../../domain/wallets/adjustments.ts';
import { formatMoney } from '../../../lib/money.ts';
import type { AppDeps } from '../../context.ts';
import { formData, submitForm } from '../../forms.ts';
import { flash, redirect, type Renderer } from '../../render.ts';
import { pageLinks } from './organizations.ts';

const layout = 'admin' as const;

/**
 * Billing for staff (issue 4 item 12), mounted at /admin/billing behind requireAdmin: every
 * wallet, one organization's ledger with the manual adjustment form, every payment, and the
 * reconciliation report. Payment rows link to /admin/billing/payments/:id (refunds live there).
 */
export function adminBillingPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();

  app.get('/', async (c) => {
    const list = await listWallets(deps.db, c.get('actor')!, c.req.query());
    const links = pageLinks('/admin/billing', { q: list.filters.q }, list.filters.page, list.pages);
    return view.page(
      c,
      'admin/billing/index',
      { ...list, links },
      { layout, title: 'Billing', region: { id: 'wallet-results', partial: 'admin/billing/_wallets' } },
    );
  });

  const ledgerData = async (c: Context) => {
    const data = await organizationLedger(deps.db, c.get('actor')!, c.req.param('id') ?? '', c.req.query());
    const links = pageLinks(`/admin/billing/organizations/${data.organization.id}`, {}, data.page, data.pages);
    return {
      ...data,
      links,
      values: { adjustment_id: newAdjustmentId(), direction: 'credit' } as Record<string, string>,
      errors: {},
      message: null,
    };
  };
  const formRegion = { id: 'adjustment-form', partial: 'admin/billing/_adjustment_form' };

  app.get('/organizations/:id', async (c) => {
    const data = await ledgerData(c);
    return view.page(c, 'admin/billing/organization', data, {
      layout,
      title: `Billing: ${data.organization.name}`,
      region: formRegion,
    });
  });

  app.post('/organizations/:id/adjustments', async (c) => {
    const values = await formData(c);
    const data = await ledgerData(c);
    const options = { layout, title: `Billing: ${data.organization.name}`, region: formRegion };
    return submitForm(c, view, { template: 'admin/billing/organization', values, data, options }, async () => {
      const done = await adjustWallet(deps, c.get('actor')!, {
        organizationId: data.organization.id,
        values: {
          adjustment_id: values.adjustment_id ?? '',
          direction: values.direction as 'credit' | 'debit',
          amount: values.amount ?? '',
          reason: values.reason ?? '',
          allow_negative: values.allow_negative === 'on' || values.allow_negative === 'true',
        },
      });
      flash(
        c,
        done.duplicate
          ? 'This adjustment was already posted; nothing changed.'
          : `Adjusted. The balance is now ${formatMoney(done.balance, done.currency)}.`,
        done.duplicate ? 'info' : 'success',
      );
      return redirect(c, `/admin/billing/organizations/${data.organization.id}`);
    });
  });

  app.get('/payments', async (c) => {
    const list = await listPayments(deps.db, c.get('actor')!, c.req.query());
    const links = pageLinks('/admin/billing/payments', { status: list.filters.status }, list.filters.page, list.pages);
    return view.page(
      c,
      'admin/billing/payments',
      { ...list, links },
      { layout, title: 'Payments', region: { id: 'payment-results', partial: 'admin/billing/_payments' } },
    );
  });

  app.get('/reconciliation', async (c) => {
    const report = await reconciliationReport(deps.db, c.get('actor')!);
    return view.page(c, 'admin/billing/reconciliation', report, { layout, title: 'Reconciliation' });
  });

  return app;
}
