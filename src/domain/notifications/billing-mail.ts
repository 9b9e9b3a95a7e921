import type { DbOrTx } from '../../db/index.ts';
import { formatMoney } from '../../lib/money.ts';
import type { Deps } from '../deps.ts';
import type { InvoiceLine } from '../invoices/lines.ts';
import { emailBillingContacts, organizationLink } from './contacts.ts';

/**
 * The money emails of an event (issue 12 item 9), queued in the transaction of the event so a
 * rolled-back credit or refund sends nothing, to the organization's billing contacts who keep
 * billing mail on (contacts.ts). Links point into the portal (sign-in required) and carry no
 * token; the invoice PDF is linked, not attached. Callers: payments/settlement.ts (top-up
 * credited), payments/refunds.ts and refund-settlement.ts (refund to the wallet at once, to
 * PayPal once PayPal completes it), invoices/statements.ts (monthly statement issued).
 */
type MailDeps = Pick<Deps, 'config' | 'queue'>;

async function organizationOf(db: DbOrTx, organizationId: string) {
  return db
    .selectFrom('organizations as o')
    .innerJoin('wallets as w', 'w.organization_id', 'o.id')
    .select(['o.name', 'w.balance', 'w.currency'])
    .where('o.id', '=', organizationId)
    .executeTakeFirstOrThrow();
}

/** A credited top-up: amount, new balance and a link to its receipt's PDF. */
export async function mailTopUpReceipt(
  deps: MailDeps,
  db: DbOrTx,
  input: { organizationId: string; amount: bigint; invoice: { id: string; number: string } },
): Promise<number> {
  const org = await organizationOf(db, input.organizationId);
  return emailBillingContacts(deps, db, input.organizationId, 'top_up_receipt', (contact) => ({
    name: contact.name,
    organization: org.name,
    amount: formatMoney(input.amount, org.currency),
    balance: formatMoney(org.balance, org.currency),
    invoiceNumber: input.invoice.number,
    invoiceUrl: organizationLink(deps.config.publicUrl, input.organizationId, `/invoices/${input.invoice.id}/pdf`),
  }));
}

/** A refund made: to the wallet as credit, or to PayPal (once PayPal completed it). */
export async function mailRefundIssued(
  deps: MailDeps,
  db: DbOrTx,
  input: { organizationId: string; amount: bigint; destination: 'wallet' | 'paypal' },
): Promise<number> {
  const org = await organizationOf(db, input.organizationId);
  return emailBillingContacts(deps, db, input.organizationId, 'refund_issued', (contact) => ({
    name: contact.name,
    organization: org.name,
    amount: formatMoney(input.amount, org.currency),
    destination: input.destination,
    balance: formatMoney(org.balance, org.currency),
    billingUrl: organizationLink(deps.config.publicUrl, input.organizationId, '/billing'),
  }));
}

/** A monthly statement issued: its month, balances and totals (from its lines), and links. */
export async function mailStatementReady(
  deps: MailDeps,
  db: DbOrTx,
  input: {
    organizationId: string;
    invoice: { id: string; number: string };
    periodStart: Date;
    currency: string;
    lines: InvoiceLine[];
  },
): Promise<number> {
  const org = await organizationOf(db, input.organizationId);
  const money = (n: bigint) => formatMoney(n, input.currency);
  const balance = (type: 'opening_balance' | 'closing_balance') => {
    const line = input.lines.find((l) => l.type === type);
    return line && 'balance' in line ? line.balance : 0n;
  };
  const total = (category: string) => {
    const line = input.lines.find((l) => l.type === 'total' && l.category === category);
    return line?.type === 'total' ? line.amount : 0n;
  };
  const month = input.periodStart.toLocaleString('en-US', { month: 'long', year: 'numeric', timeZone: 'UTC' });
  const path = `/invoices/${input.invoice.id}`;
  return emailBillingContacts(deps, db, input.organizationId, 'statement_ready', (contact) => ({
    name: contact.name,
    organization: org.name,
    month,
    number: input.invoice.number,
    opening: money(balance('opening_balance')),
    credits: money(total('credits')),
    charges: money(total('charges')),
    refunds: money(total('refunds')),
    closing: money(balance('closing_balance')),
    statementUrl: organizationLink(deps.config.publicUrl, input.organizationId, path),
    pdfUrl: organizationLink(deps.config.publicUrl, input.organizationId, `${path}/pdf`),
  }));
}
