import { z } from '@hono/zod-openapi';
import { Money } from '../schemas.ts';

export const WalletAdjustment = z
  .object({
    id: z.uuid().openapi({ description: 'The adjustment (its ledger idempotency key).' }),
    balance: Money.openapi({ description: 'The wallet balance after it.' }),
    currency: z.string().length(3),
  })
  .openapi('WalletAdjustment');

export const AdjustmentRequest = z.object({
  amount: z.string().openapi({ example: '10.00', description: 'Positive decimal string, at most 6 decimals.' }),
  direction: z.enum(['credit', 'debit']),
  reason: z.string().openapi({ description: 'Required; kept with the ledger entry and in the activity log.' }),
  allow_negative: z
    .boolean()
    .optional()
    .openapi({ description: 'A debit may take the balance below zero (default false: 422 `insufficient_funds`).' }),
});
