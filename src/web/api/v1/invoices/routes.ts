import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { renderInvoicePdf } from '../../../../domain/invoices/pdf.ts';
import { getInvoice, listInvoices, pdfFilename } from '../../../../domain/invoices/query.ts';
import type { AppDeps } from '../../../context.ts';
import { caller, secured } from '../bearer-auth.ts';
import { listOf, listPage, PageQuery } from '../pagination.ts';
import { errorResponses, json } from '../schemas.ts';
import { Invoice, InvoiceParams, InvoiceSummary, presentInvoice, presentSummary } from './schemas.ts';

const FORBIDDEN = {
  403: 'The caller lacks `billing_view` in the acting organization.',
  404: 'No such invoice in the acting organization (or `X-Organization-Id` names one the caller is not in).',
};

/** The acting organization's invoices (needs `billing_view`), as JSON and as PDF; the portal pages (pages/portal/invoices.ts) ask the same. */
export function invoiceRoutes(deps: AppDeps) {
  const app = new OpenAPIHono();

  const listRoute = createRoute({
    method: 'get',
    path: '/invoices',
    tags: ['invoices'],
    operationId: 'listInvoices',
    summary: 'Receipts and monthly statements, newest first (needs `billing_view`)',
    ...secured,
    request: { query: PageQuery },
    responses: {
      200: { description: 'One page of invoices.', ...json(listOf(InvoiceSummary).openapi('InvoiceList')) },
      ...errorResponses([401, 403, 404, 422, 429], FORBIDDEN),
    },
  });
  app.openapi(listRoute, async (c) => {
    const { limit, cursor } = c.req.valid('query');
    const rows = await listInvoices(deps.db, caller(c), { limit, cursor });
    return c.json(
      listPage(rows, limit, presentSummary, (r) => r.id),
      200,
    );
  });

  const getRoute = createRoute({
    method: 'get',
    path: '/invoices/{id}',
    tags: ['invoices'],
    operationId: 'getInvoice',
    summary: 'One invoice with its lines (needs `billing_view`)',
    ...secured,
    request: { params: InvoiceParams },
    responses: {
      200: { description: 'The invoice, as issued.', ...json(Invoice) },
      ...errorResponses([401, 403, 404, 429], FORBIDDEN),
    },
  });
  app.openapi(getRoute, async (c) =>
    c.json(presentInvoice(await getInvoice(deps.db, caller(c), c.req.valid('param').id)), 200),
  );

  const pdfRoute = createRoute({
    method: 'get',
    path: '/invoices/{id}/pdf',
    tags: ['invoices'],
    operationId: 'getInvoicePdf',
    summary: 'One invoice as a PDF download (needs `billing_view`)',
    ...secured,
    request: { params: InvoiceParams },
    responses: {
      200: {
        description: 'The PDF, as an attachment named after the invoice number (`INV-2026-000042.pdf`).',
        content: { 'application/pdf': { schema: z.string().openapi({ format: 'binary' }) } },
        headers: {
          'Content-Disposition': { description: '`attachment; filename="<number>.pdf"`', schema: { type: 'string' } },
        },
      },
      ...errorResponses([401, 403, 404, 429], FORBIDDEN),
    },
  });
  app.openapi(pdfRoute, async (c) => {
    const invoice = await getInvoice(deps.db, caller(c), c.req.valid('param').id);
    const pdf = await renderInvoicePdf(invoice);
    return c.body(new Uint8Array(pdf), 200, {
      'Content-Type': 'application/pdf',
      'Content-Disposition': `attachment; filename="${pdfFilename(invoice)}"`,
      'Cache-Control': 'private, no-store',
    });
  });

  return app;
}
