import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { refundPayment } from '../../../../domain/payments/refunds.ts';
import { NotFoundError } from '../../../../lib/errors.ts';
import { toDecimal } from '../../../../lib/money.ts';
import type { AppDeps } from '../../../context.ts';
import { caller } from '../bearer-auth.ts';
import { idempotentRoute, idempotencyKeyHeader, replayedHeader } from '../idempotency.ts';
import { errorResponses, json } from '../schemas.ts';
import { RefundBody, RefundCreated } from './schemas.ts';

const IdempotencyHeaders = idempotencyKeyHeader(
  'Any unique string (a UUID): a retry with the same key and body replays the first answer instead of refunding twice.',
);

/** Platform-admin only: 404 for everyone else (as the staff pages), API keys included. */
const requireStaff: MiddlewareHandler = async (c, next) => {
  const actor = c.get('actor');
  if (!actor?.isPlatformAdmin || actor.apiKeyId) throw new NotFoundError();
  return next();
};

/** Staff refunds of PayPal top-ups (a platform admin's access token; see domain/payments/refunds.ts). */
export function refundRoutes(deps: AppDeps) {
  const app = new OpenAPIHono();
  const keyed = idempotentRoute(deps, { guards: [requireStaff] });

  const createRefund = createRoute({
    method: 'post',
    path: '/admin/refunds',
    tags: ['admin'],
    operationId: 'createRefund',
    summary: 'Refund a payment to PayPal or as wallet credit (platform admins only)',
    ...keyed,
    request: { headers: IdempotencyHeaders, body: { required: true, ...json(RefundBody) } },
    responses: {
      201: { description: 'The refund and where it stands.', headers: replayedHeader, ...json(RefundCreated) },
      ...errorResponses([400, 401, 404, 409, 422, 429, 503], {
        404: 'No such payment, or the caller is not a platform admin with an access token (API keys never are).',
        409: 'A request with the same Idempotency-Key is still running.',
        422: 'Validation failed, the payment is not refundable, the amount exceeds what is left, or the wallet does not hold the money a PayPal refund takes back.',
        503: 'No payment provider is configured.',
      }),
    },
  });
  app.openapi(createRefund, async (c) => {
    const body = c.req.valid('json');
    const { refund, currency } = await refundPayment(deps, caller(c), {
      paymentId: body.payment_id,
      amount: body.amount,
      destination: body.destination,
      reason: body.reason,
    });
    return c.json(
      RefundCreated.parse({
        id: refund.id,
        status: refund.status,
        amount: toDecimal(refund.amount, 2),
        destination: refund.destination,
        currency,
      }),
      201,
    );
  });

  return app;
}
