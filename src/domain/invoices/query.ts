import { sql } from 'kysely';
import type { DbOrTx } from '../../db/index.ts';
import { ForbiddenError, NotFoundError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import { can, type Actor } from '../access/actor.ts';
import { orgOf } from '../access/organization.ts';
import { fetchSize, uuidCursor, type PageRequest } from '../../db/paging.ts';
import { readLines, type InvoiceLine, type TotalCategory } from './lines.ts';
import { readParty, type Party } from './parties.ts';

/**
 * Reading the actor's organization's invoices: `billing_view` is needed (403 without it), and
 * another organization's invoice is simply not found (404). Newest first, keyset-paginated
 * on (issued_at, id) with the last row's id as cursor.
 */

export interface InvoiceSummary {
  id: string;
  number: string;
  kind: 'receipt' | 'statement';
  currency: string;
  total: bigint;
  period_start: Date | null;
  period_end: Date | null;
  payment_id: string | null;
  issued_at: Date;
}

export interface Invoice extends InvoiceSummary {
  organization_id: string;
  seller: Party;
  buyer: Party;
  lines: InvoiceLine[];
}

/** The actor's organization, if the actor may see its billing. */
function billingOrganization(actor: Actor): string {
  const orgId = orgOf(actor);
  if (!can(actor, 'billing_view'))
    throw new ForbiddenError("Seeing the organization's invoices needs the billing_view permission.");
  return orgId;
}

const SUMMARY = [
  'id',
  'number',
  'kind',
  'currency',
  'total',
  'period_start',
  'period_end',
  'payment_id',
  'issued_at',
] as const;

/** Up to `page.limit + 1` invoices (the extra one only says there are more). */
export async function listInvoices(db: DbOrTx, actor: Actor, page: PageRequest): Promise<InvoiceSummary[]> {
  const orgId = billingOrganization(actor);
  const cursor = uuidCursor(page);
  let q = db
    .selectFrom('invoices')
    .select([...SUMMARY])
    .where('organization_id', '=', orgId);
  if (cursor)
    q = q.where(
      sql<boolean>`(issued_at, id) < (select issued_at, id from invoices where organization_id = ${orgId} and id = ${cursor})`,
    );
  const rows = await q.orderBy('issued_at', 'desc').orderBy('id', 'desc').limit(fetchSize(page)!).execute();
  return rows;
}

/** One invoice of the actor's organization. */
export async function getInvoice(db: DbOrTx, actor: Actor, id: string): Promise<Invoice> {
  const orgId = billingOrganization(actor);
  const row = isUuid(id)
    ? await db
        .selectFrom('invoices')
        .selectAll()
        .where('organization_id', '=', orgId)
        .where('id', '=', id)
        .executeTakeFirst()
    : undefined;
  if (!row) throw new NotFoundError('No such invoice.');
  return { ...row, seller: readParty(row.seller), buyer: readParty(row.buyer), lines: readLines(row.lines) };
}

/** An invoice's lines grouped for display (HTML, PDF and API alike). */
export function invoiceSections(lines: InvoiceLine[]) {
  const of = <T extends InvoiceLine['type']>(type: T) =>
    lines.filter((l): l is Extract<InvoiceLine, { type: T }> => l.type === type);
  const totals = Object.fromEntries(of('total').map((t) => [t.category, t])) as Partial<
    Record<TotalCategory, Extract<InvoiceLine, { type: 'total' }>>
  >;
  return {
    items: of('item'),
    transactions: of('transaction'),
    servers: of('server_usage'),
    opening: of('opening_balance')[0] ?? null,
    closing: of('closing_balance')[0] ?? null,
    totals: of('total'),
    totalOf: (c: TotalCategory) => totals[c]?.amount ?? 0n,
  };
}

/** "November 2026" for a statement's period (UTC). */
export function periodLabel(start: Date): string {
  return new Intl.DateTimeFormat('en-GB', { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(start);
}

/** The PDF's file name: the invoice number. */
export const pdfFilename = (invoice: { number: string }) => `${invoice.number}.pdf`;
