import { z } from '@hono/zod-openapi';
import { LEDGER_KINDS } from '../../../../domain/ledger/kinds.ts';
import type { WalletLine } from '../../../../domain/wallets/wallet.ts';
import { toDecimal } from '../../../../lib/money.ts';
import { Money, Timestamp } from '../schemas.ts';

/** Line amounts exactly (hourly charges are fractions of a cent): 2 digits when whole cents, else all 6. */
const exact = (m: bigint) => toDecimal(m, m % 10_000n === 0n ? 2 : 6);

export const Wallet = z
  .object({
    organization_id: z.uuid(),
    balance: Money,
    currency: z.string().length(3).openapi({ example: 'USD' }),
    spent_this_month: Money.openapi({ description: 'Usage charges net of their refunds, this calendar month (UTC).' }),
    spent_all_time: Money,
    last_top_up_at: Timestamp.nullable(),
  })
  .openapi('Wallet');

export const WalletTransaction = z
  .object({
    id: z.uuid().openapi({ description: 'The ledger transaction.' }),
    kind: z.enum(LEDGER_KINDS).openapi({ example: 'top_up' }),
    description: z.string(),
    amount: Money.openapi({
      description: 'Signed: positive added to the wallet. Exact: 2 decimals, or 6 when not whole cents.',
    }),
    balance_after: Money.openapi({ description: 'The wallet balance right after this line (running balance).' }),
    created_at: Timestamp,
  })
  .openapi('WalletTransaction');

export const TopUp = z
  .object({
    id: z.uuid(),
    status: z.enum(['created', 'held']).openapi({
      description: '`created`: send the buyer to `approve_url`; `held`: under review, no PayPal order yet.',
    }),
    approve_url: z
      .string()
      .nullable()
      .openapi({ description: "PayPal's approval page for the buyer; null while held." }),
    amount: Money,
    currency: z.string().length(3),
  })
  .openapi('TopUp');

export const CaptureResult = z
  .object({
    id: z.uuid(),
    status: z.string().openapi({
      example: 'completed',
      description:
        '`completed` (credited), `pending` (PayPal holds it; credited when it clears), `denied`, or the payment’s later status.',
    }),
    balance: Money.openapi({ description: 'The wallet balance now.' }),
    currency: z.string().length(3),
  })
  .openapi('TopUpCapture');

export const TransactionQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(25).openapi({ description: '1–100, default 25.' }),
  cursor: z.string().max(20).optional(),
  kind: z.enum(LEDGER_KINDS).optional().openapi({ description: 'Only this kind of transaction.' }),
  from: z.iso.date().optional().openapi({ description: 'First day (UTC), inclusive.', example: '2026-01-01' }),
  to: z.iso.date().optional().openapi({ description: 'Last day (UTC), inclusive.', example: '2026-01-31' }),
});
export function presentLine(l: WalletLine): z.infer<typeof WalletTransaction> {
  return WalletTransaction.parse({
    id: l.transactionId,
    kind: l.kind,
    description: l.description,
    amount: exact(l.amount),
    balance_after: toDecimal(l.balanceAfter, 2),
    created_at: l.createdAt.toISOString(),
  });
}
