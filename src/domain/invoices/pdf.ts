import type PDFKitDocument from 'pdfkit';
import { formatMoney } from '../../lib/money.ts';
import { KIND_LABELS } from '../ledger/kinds.ts';
import { lineDigits } from './lines.ts';
import { invoiceSections, periodLabel, type Invoice } from './query.ts';
import type { Party } from './parties.ts';

/**
 * An invoice as a PDF (A4, the standard Helvetica fonts): the same content as the HTML view
 * (views/portal/invoices/_document.eta — change the two together). Money is formatted here
 * because this is a view. Dates are UTC calendar dates, as on the HTML document.
 */
export async function renderInvoicePdf(invoice: Invoice, opts: { compress?: boolean } = {}): Promise<Buffer> {
  // pdfkit (with its fonts and layout engine) is the heaviest module we have: it loads on the
  // first PDF, not at start-up.
  const PDFDocument: typeof PDFKitDocument = (await import('pdfkit')).default;
  const doc = new PDFDocument({
    size: 'A4',
    margin: MARGIN,
    compress: opts.compress ?? true,
    info: {
      Title: `${title(invoice)} ${invoice.number}`,
      Author: invoice.seller.name,
      Subject: invoice.buyer.name,
      CreationDate: invoice.issued_at,
    },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  write(doc, invoice);
  doc.end();
  return done;
}

const MARGIN = 50;
const WIDTH = 595.28 - 2 * MARGIN;
const day = (d: Date) => d.toISOString().slice(0, 10);
const title = (i: Invoice) => (i.kind === 'receipt' ? 'Receipt' : 'Statement');

type Column = { label: string; width: number; align?: 'left' | 'right' };

function write(doc: PDFKit.PDFDocument, inv: Invoice) {
  const money = (m: bigint) => formatMoney(m, inv.currency);
  const amount = (m: bigint) => formatMoney(m, inv.currency, lineDigits(m));
  const top = doc.y;
  party(doc, inv.seller, MARGIN, top, WIDTH / 2, 14);
  const facts: Array<[string, string]> = [
    ['Number', inv.number],
    ['Issued', day(inv.issued_at)],
  ];
  if (inv.period_start && inv.period_end)
    facts.push([
      'Period',
      `${periodLabel(inv.period_start)} (${day(inv.period_start)} to ${day(new Date(inv.period_end.getTime() - 1))})`,
    ]);
  doc
    .font('Helvetica-Bold')
    .fontSize(20)
    .text(title(inv), MARGIN + WIDTH / 2, top, { width: WIDTH / 2, align: 'right' });
  doc.font('Helvetica').fontSize(10);
  for (const [k, v] of facts) doc.text(`${k}: ${v}`, MARGIN + WIDTH / 2, doc.y, { width: WIDTH / 2, align: 'right' });
  doc.y = Math.max(doc.y, top + 90);

  doc
    .font('Helvetica-Bold')
    .fontSize(10)
    .text('Billed to', MARGIN, doc.y + 10);
  party(doc, inv.buyer, MARGIN, doc.y, WIDTH, 11);
  doc.moveDown(1.5);

  const s = invoiceSections(inv.lines);
  if (inv.kind === 'receipt') {
    const cols: Column[] = [
      { label: 'Date', width: 80 },
      { label: 'Description', width: WIDTH - 180 },
      { label: 'Amount', width: 100, align: 'right' },
    ];
    table(
      doc,
      cols,
      s.items.map((l) => [l.date ? day(l.date) : day(inv.issued_at), l.description, amount(l.amount)]),
    );
    totals(doc, [[`Total paid (${inv.currency})`, money(inv.total)]]);
  } else {
    const cols: Column[] = [
      { label: 'Date', width: 65 },
      { label: 'Description', width: WIDTH - 65 - 90 - 75 - 80 },
      { label: 'Type', width: 90 },
      { label: 'Amount', width: 75, align: 'right' },
      { label: 'Balance', width: 80, align: 'right' },
    ];
    const rows: string[][] = [];
    if (s.opening) rows.push([day(s.opening.date), s.opening.description, '', '', money(s.opening.balance)]);
    for (const t of s.transactions)
      rows.push([day(t.date), t.description, KIND_LABELS[t.kind] ?? t.kind, amount(t.amount), money(t.balance)]);
    for (const l of s.servers) rows.push([day(l.date), l.description, 'Server usage', amount(l.amount), '']);
    if (s.closing)
      rows.push([day(new Date(s.closing.date.getTime() - 1)), s.closing.description, '', '', money(s.closing.balance)]);
    table(doc, cols, rows);
    totals(doc, [
      ...(s.opening ? [['Opening balance', money(s.opening.balance)] as [string, string]] : []),
      ...s.totals.map((t) => [t.description, money(t.amount)] as [string, string]),
      ...(s.closing ? [['Closing balance', money(s.closing.balance)] as [string, string]] : []),
      [`Charges this month (${inv.currency})`, money(inv.total)],
    ]);
  }
  doc
    .moveDown(2)
    .font('Helvetica')
    .fontSize(8)
    .fillColor('#555555')
    .text(
      `Amounts in ${inv.currency}. Dates are UTC. ${inv.kind === 'receipt' ? 'Paid in full; the amount was credited to the prepaid wallet.' : 'This statement lists the movements of the prepaid wallet; each top-up has its own receipt.'}${inv.kind === 'statement' && s.servers.length ? ' Hourly server charges are summed per server for the month (hours and amount); the balance column is the wallet balance after each other movement.' : ''}`,
      MARGIN,
      doc.y,
      { width: WIDTH },
    );
}

function party(doc: PDFKit.PDFDocument, p: Party, x: number, y: number, width: number, size: number) {
  doc.font('Helvetica-Bold').fontSize(size).text(p.name, x, y, { width });
  doc.font('Helvetica').fontSize(10);
  if (p.address) doc.text(p.address, x, doc.y, { width });
  if (p.tax_id) doc.text(`Tax ID: ${p.tax_id}`, x, doc.y, { width });
  if (p.email) doc.text(p.email, x, doc.y, { width });
}

/** Rows of cells under a header, starting a new page (with the header again) when full. */
function table(doc: PDFKit.PDFDocument, cols: Column[], rows: string[][]) {
  const bottom = doc.page.height - MARGIN;
  const line = (cells: string[], bold: boolean) => {
    doc.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(9);
    const height = Math.max(...cells.map((c, i) => doc.heightOfString(c || ' ', { width: cols[i]!.width - 6 })));
    if (doc.y + height > bottom) {
      doc.addPage();
      if (!bold)
        line(
          cols.map((c) => c.label),
          true,
        );
      doc.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(9);
    }
    const y = doc.y;
    let x = MARGIN;
    cells.forEach((cell, i) => {
      // 6pt between columns: left-aligned cells give it up on their right, right-aligned on their left.
      const right = cols[i]!.align === 'right';
      doc.text(cell, right ? x + 6 : x, y, { width: cols[i]!.width - 6, align: right ? 'right' : 'left' });
      x += cols[i]!.width;
    });
    doc.y = y + height + 4;
    if (bold)
      doc
        .moveTo(MARGIN, doc.y - 2)
        .lineTo(MARGIN + WIDTH, doc.y - 2)
        .lineWidth(0.5)
        .strokeColor('#999999')
        .stroke();
  };
  line(
    cols.map((c) => c.label),
    true,
  );
  for (const r of rows) line(r, false);
}

function totals(doc: PDFKit.PDFDocument, rows: Array<[string, string]>) {
  doc.moveDown(0.5);
  const x = MARGIN + WIDTH / 2;
  rows.forEach(([label, value], i) => {
    if (doc.y + 14 > doc.page.height - MARGIN) doc.addPage();
    const last = i === rows.length - 1;
    const y = doc.y;
    doc.font(last ? 'Helvetica-Bold' : 'Helvetica').fontSize(10);
    doc.text(label, x, y, { width: WIDTH / 2 - 100 });
    doc.text(value, x + WIDTH / 2 - 100, y, { width: 100, align: 'right' });
    doc.y = Math.max(doc.y, y + 14);
  });
}
