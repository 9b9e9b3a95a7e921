import { Hono, type Context } from 'hono';
import { keysetPage } from '../../../db/paging.ts';
import { renderInvoicePdf } from '../../../domain/invoices/pdf.ts';
import { getInvoice, invoiceSections, listInvoices, pdfFilename, periodLabel } from '../../../domain/invoices/query.ts';
import { KIND_LABELS } from '../../../domain/ledger/kinds.ts';
import { lineDigits } from '../../../domain/invoices/lines.ts';
import { formatMoney } from '../../../lib/money.ts';
import type { AppDeps } from '../../context.ts';
import type { Renderer } from '../../render.ts';

const PAGE = 25;

/**
 * /invoices (mounted there by portal/index.ts): the active organization's receipts and monthly statements, each as a printable
 * page and a PDF download. Needs `billing_view` (403 without it); another organization's
 * invoice is 404. The JSON API (api/v1/invoices/) serves the same over the same domain.
 */
export function invoicePages(deps: AppDeps, view: Renderer) {
  const app = new Hono();
  app.get('/', async (c) => {
    const cursor = c.req.query('cursor') || undefined;
    const rows = await listInvoices(deps.db, c.get('actor')!, { limit: PAGE, cursor });
    const page = keysetPage(rows, PAGE, (r) => r.id);
    const data = { invoices: page.rows, nextCursor: page.nextCursor, first: !cursor, periodLabel };
    return view.page(c, 'portal/invoices/index', data, {
      layout: 'portal',
      title: 'Invoices',
      region: { id: 'invoice-rows', partial: 'portal/invoices/_rows' },
    });
  });

  app.get('/:id', async (c) => {
    const invoice = await getInvoice(deps.db, c.get('actor')!, c.req.param('id'));
    const data = {
      invoice,
      sections: invoiceSections(invoice.lines),
      period: invoice.period_start ? periodLabel(invoice.period_start) : null,
      kinds: KIND_LABELS,
      lineMoney,
    };
    return view.page(c, 'portal/invoices/show', data, { layout: 'portal', title: invoice.number });
  });

  app.get('/:id/pdf', async (c) => pdfResponse(c, await getInvoice(deps.db, c.get('actor')!, c.req.param('id'))));

  return app;
}

/** A line's amount for people: 4 decimals when it is not whole cents (the view calls it, like it.h.money). */
const lineMoney = (m: bigint, currency: string) => formatMoney(m, currency, lineDigits(m));

/** An invoice's PDF as a download named after its number (api/v1/invoices/routes.ts answers the same way). */
async function pdfResponse(c: Context, invoice: Parameters<typeof renderInvoicePdf>[0]) {
  const pdf = await renderInvoicePdf(invoice);
  return c.body(new Uint8Array(pdf), 200, {
    'Content-Type': 'application/pdf',
    'Content-Disposition': `attachment; filename="${pdfFilename(invoice)}"`,
    'Cache-Control': 'private, no-store',
    'X-Content-Type-Options': 'nosniff',
  });
}
