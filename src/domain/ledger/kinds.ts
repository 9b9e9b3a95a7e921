import type { LedgerKind } from '../../db/types.ts';
import { share } from '../../lib/shared-values.ts';

/**
 * What a ledger transaction is (`ledger_transactions.kind`). The set is closed: it is the CHECK
 * constraint of the ledger migration and `LedgerKind` in src/db/types.ts; change the three
 * together (a new kind is a new migration). test/status/ checks this list against the database.
 */

/**
 * How each kind reads to people: on the wallet pages, statements and their PDFs. Shared (frozen):
 * a page given it is named by its identity, not by its ten labels spelled out on every view.
 */
export const KIND_LABELS: Record<LedgerKind, string> = share({
  top_up: 'Top-up',
  top_up_reversal: 'Top-up reversal',
  refund: 'Refund',
  adjustment: 'Adjustment',
  promotional_credit: 'Promotional credit',
  vps_charge: 'Server charge',
  vps_refund: 'Server refund',
  egress_charge: 'Transfer charge',
  hosting_charge: 'Hosting charge',
  hosting_refund: 'Hosting refund',
});

/** Every ledger kind, in the order a filter offers them. */
export const LEDGER_KINDS = Object.keys(KIND_LABELS) as [LedgerKind, ...LedgerKind[]];
