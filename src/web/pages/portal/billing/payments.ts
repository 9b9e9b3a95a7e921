import { Hono, type Context } from 'hono';
import { cancelTopUp, captureTopUp, findPayment } from '../../../../domain/payments/top-ups.ts';
import { receiptOf } from '../../../../domain/invoices/receipts.ts';
import { authorize } from '../../../../domain/access/organization.ts';
import { AppError } from '../../../../lib/errors.ts';
import type { AppDeps } from '../../../context.ts';
import { redirect, type Renderer } from '../../../render.ts';
import { actorOf } from '../../../actor.ts';

/**
 * Where PayPal sends the buyer back (`return_url` / `cancel_url`, with `?token=<order id>`).
 * Coming back approved captures and credits the payment, once however often the page is
 * loaded (the same credit path as the webhook and the API). Both need `billing_manage`.
 */
export function paymentReturnPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();
  const opts = { layout: 'portal' as const, title: 'Payment' };

  app.get('/payment/success', async (c) => {
    authorize(actorOf(c), 'billing_manage');
    const token = c.req.query('token');
    if (!token) return redirect(c, '/billing');
    try {
      const result = await captureTopUp(deps, actorOf(c), { orderId: token });
      const payment = await findPayment(deps.db, actorOf(c), { id: result.paymentId });
      const receipt = result.status === 'completed' ? await receiptOf(deps.db, payment.id) : null;
      return view.page(
        c,
        'portal/billing/payment',
        { state: result.status, payment, balance: result.balance, receipt },
        opts,
      );
    } catch (err) {
      return failed(c, err);
    }
  });

  app.get('/payment/cancel', async (c) => {
    authorize(actorOf(c), 'billing_manage');
    const token = c.req.query('token');
    if (!token) return redirect(c, '/billing');
    const payment = await cancelTopUp(deps, actorOf(c), token);
    return view.page(
      c,
      'portal/billing/payment',
      { state: payment.status, payment, balance: null, receipt: null },
      opts,
    );
  });

  /** A capture that could not be settled now: say why, and that nothing was charged twice. */
  function failed(c: Context, err: unknown) {
    if (!(err instanceof AppError) || err.status === 404 || err.status === 403) throw err;
    return view.page(
      c,
      'portal/billing/payment',
      { state: 'error', message: err.message, payment: null, balance: null, receipt: null },
      { ...opts, status: err.status === 503 ? 503 : err.status === 422 ? 422 : 409 },
    );
  }

  return app;
}
