import { Hono, type Context } from 'hono';
import { paymentDetail } from '../../../domain/payments/admin.ts';
import { refundPayment } from '../../../domain/payments/refunds.ts';
import { retryRefund } from '../../../domain/payments/refund-settlement.ts';
import { toDecimal } from '../../../lib/money.ts';
import type { AppDeps } from '../../context.ts';
import { formData, submitForm } from '../../forms.ts';
import { flash, redirect, type Renderer } from '../../render.ts';

const layout = 'admin' as const;

/**
 * One payment for staff: its details, its refunds, and the refund form (issue 4 items 13/15).
 * Mounted at /admin/billing/payments.
 */
export function adminPaymentPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();
  const detail = async (c: Context) => paymentDetail(deps.db, c.get('actor')!, c.req.param('id') ?? '');

  app.get('/:id', async (c) => {
    const data = await detail(c);
    return view.page(
      c,
      'admin/payment/show',
      { ...data, values: { destination: 'paypal' }, errors: {}, message: null },
      { layout, title: 'Payment' },
    );
  });

  // A refund is a resource of the payment: POST /admin/billing/payments/:id/refunds.
  app.post('/:id/refunds', async (c) => {
    const data = await detail(c);
    const values = await formData(c);
    const options = { layout, title: 'Payment' };
    return submitForm(c, view, { template: 'admin/payment/show', values, data, options }, async () => {
      const { refund } = await refundPayment(deps, c.get('actor')!, {
        paymentId: data.payment.id,
        amount: values.amount ?? '',
        destination: values.destination ?? '',
        reason: values.reason ?? '',
      });
      const amount = `${toDecimal(refund.amount, 2)} ${data.payment.currency}`;
      if (refund.status === 'failed')
        flash(
          c,
          `PayPal refused the refund of ${amount} (${refund.failure_reason ?? 'no reason given'}); the money is back in the wallet.`,
          'error',
        );
      else if (refund.status === 'pending')
        flash(c, `Refund of ${amount} sent to PayPal and pending: it completes when PayPal confirms it.`, 'info');
      else
        flash(
          c,
          refund.destination === 'wallet' ? `Credited ${amount} to the wallet.` : `Refunded ${amount} to PayPal.`,
        );
      return redirect(c, `/admin/billing/payments/${data.payment.id}`);
    });
  });

  // "Check with PayPal" for a pending refund: asks again with the same request id (safe), or reads PayPal's state.
  app.post('/:id/refunds/:refundId/sync', async (c) => {
    const data = await detail(c);
    const mine = data.refunds.find((r) => r.id === c.req.param('refundId'));
    if (!mine) return c.notFound();
    const refund = await retryRefund(deps, c.get('actor')!, mine.id);
    const say = {
      completed: ['Refund completed.', 'success'],
      pending: ['PayPal has not completed the refund yet.', 'info'],
      failed: [
        `The refund failed (${refund.failure_reason ?? 'no reason given'}); the money is back in the wallet.`,
        'error',
      ],
    } as const;
    flash(c, say[refund.status][0], say[refund.status][1]);
    return redirect(c, `/admin/billing/payments/${data.payment.id}`);
  });

  return app;
}
