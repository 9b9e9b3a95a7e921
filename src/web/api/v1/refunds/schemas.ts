import { z } from '@hono/zod-openapi';
import { Money } from '../schemas.ts';

export const RefundCreated = z
  .object({
    id: z.uuid(),
    status: z.enum(['pending', 'completed', 'failed']).openapi({
      description:
        '`completed`; `pending` (PayPal has not confirmed it yet, or did not answer: it is retried with the same request id); `failed` (PayPal refused: the money is back in the wallet).',
    }),
    amount: Money,
    destination: z.enum(['paypal', 'wallet']),
    currency: z.string().length(3),
  })
  .openapi('Refund');

export const RefundBody = z.object({
  payment_id: z.string().openapi({ format: 'uuid', description: 'The payment (a completed PayPal top-up).' }),
  amount: z.string().openapi({
    example: '10.00',
    description:
      'Decimal string, at most 2 decimals. PayPal and wallet refunds together never exceed the captured amount.',
  }),
  destination: z.enum(['paypal', 'wallet']).openapi({
    description:
      '`paypal`: back to the buyer (taken out of the wallet, which must hold it); `wallet`: a credit note to the wallet.',
  }),
  reason: z
    .string()
    .openapi({ example: 'Customer request', description: '1–500 characters; kept in the activity log.' }),
});
