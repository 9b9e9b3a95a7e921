import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueStatement } from '../../src/domain/invoices/statements.ts';
import { joinAs } from '../api-keys/helpers.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createPerson, signedIn } from '../helpers/people.ts';
import { after, atOneMoment, move, pdfText, setSeller, topUp } from './fixtures.ts';

let ctx: TestContext;
let ann: Awaited<ReturnType<typeof createPerson>>;
let receipt: { id: string; number: string };
let statement: { id: string; number: string };
/** When Ann's month happened (fixtures.ts `atOneMoment`): the receipt's date of issue and payment. */
let paidAt: Date;
beforeAll(async () => {
  ctx = await createTestContext();
  ann = await createPerson(ctx, 'Ann Invoice', { verified: true });
  await ctx.db
    .updateTable('organizations')
    .set({ name: 'Acme Ltd', address: '1 Market Street, Leeds', tax_id: 'GB123456789' })
    .where('id', '=', ann.organization.id)
    .execute();
  await setSeller(ctx, {
    name: 'SkyPanel Hosting GmbH',
    address: 'Hauptstraße 1, Berlin',
    tax_id: 'DE999999999',
    email: 'billing@skypanel.test',
  });
  const moment = await atOneMoment(ctx, async (deps) => {
    const paid = (await topUp(deps, ann.organization.id, 25_000_000n, { captureId: 'CAP-PAGES-1' })).invoice;
    // Enough lines for the statement's PDF to run over several pages.
    for (let h = 1; h <= 60; h++)
      await move(deps.db, ann.organization.id, 'vps_charge', -13_699n, `Server web-1, hour ${h}`);
    return paid;
  });
  ({ value: receipt, at: paidAt } = moment);
  statement = await issueStatement(
    { ...ctx.deps, clock: { now: () => after(moment.month.end, 15) } },
    ann.organization.id,
    moment.month.month,
  );
});
afterAll(async () => ctx.close());

const ids = (html: string) => [...html.matchAll(/id="invoice-([0-9a-f-]{36})"/g)].map((m) => m[1]!);

describe('the invoices pages', () => {
  it('list Ann’s receipts and statements, newest first, each with its PDF', async () => {
    const browser = await signedIn(ctx, ann.email);
    expect((await browser.get('/invoices')).status).toBe(200);
    const html = browser.lastHtml;
    expect(ids(html)).toEqual([statement.id, receipt.id]);
    expect(html).toContain(receipt.number);
    expect(html).toContain('$25.00');
    expect(html).toContain(`href="/invoices/${receipt.id}/pdf"`);
  });

  it('show a receipt as a document: seller, buyer, number, date, line and total', async () => {
    const browser = await signedIn(ctx, ann.email);
    expect((await browser.get(`/invoices/${receipt.id}`)).status).toBe(200);
    const html = browser.lastHtml;
    for (const text of [
      'Receipt',
      receipt.number,
      'SkyPanel Hosting GmbH',
      'Hauptstraße 1, Berlin',
      'DE999999999',
      'Acme Ltd',
      '1 Market Street, Leeds',
      'GB123456789',
      'Wallet top-up (PayPal capture CAP-PAGES-1)',
      'Total paid (USD)',
      '$25.00',
    ]) {
      expect(html).toContain(text);
    }
    // Issued, and paid, on the day of the moment it happened (UTC), both shown as that date.
    const day = paidAt.toISOString().slice(0, 10);
    expect(html).toContain(
      `<dt class="text-slate-500 dark:text-slate-400">Issued</dt><dd><time datetime="${paidAt.toISOString()}">${day}</time></dd>`,
    );
    expect(html).toMatch(
      new RegExp(
        `<td[^>]*>${day}</td><td[^>]*>Wallet top-up \\(PayPal capture CAP-PAGES-1\\)</td><td[^>]*>\\$25\\.00</td>`,
      ),
    );
  });

  it('show a statement with its running balance, totals and closing balance', async () => {
    const browser = await signedIn(ctx, ann.email);
    expect((await browser.get(`/invoices/${statement.id}`)).status).toBe(200);
    const html = browser.lastHtml;
    // An hourly charge of $0.013699 shows as $0.0137 (4 decimals, as rates); balances and totals with 2.
    for (const text of [
      'Statement',
      statement.number,
      'Opening balance',
      'Server web-1, hour 60',
      'Server charge',
      '-$0.0137',
      'Closing balance',
      '$24.18',
      'Charges this month (USD)',
      '$0.82',
    ])
      expect(html).toContain(text);
  });

  it('download an invoice as a real PDF named after its number, with the same content', async () => {
    const browser = await signedIn(ctx, ann.email);
    const res = await browser.get(`/invoices/${receipt.id}/pdf`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${receipt.number}.pdf"`);
    const pdf = new Uint8Array(await res.arrayBuffer());
    expect(Buffer.from(pdf.subarray(0, 5)).toString()).toBe('%PDF-');
    const text = pdfText(pdf);
    for (const t of [
      receipt.number,
      'SkyPanel Hosting GmbH',
      'Hauptstraße 1, Berlin',
      'Acme Ltd',
      'Tax ID: GB123456789',
      'Wallet top-up (PayPal capture CAP-PAGES-1)',
      '$25.00',
    ])
      expect(text).toContain(t);

    const long = new Uint8Array(await (await browser.get(`/invoices/${statement.id}/pdf`)).arrayBuffer());
    const statementText = pdfText(long);
    expect(statementText).toContain(statement.number);
    expect(statementText).toContain('Server web-1, hour 60');
    expect(statementText).toContain('Closing balance');
    expect(statementText).toContain('-$0.0137');
    expect(
      Buffer.from(long)
        .toString('latin1')
        .match(/\/Type \/Page\b/g)!.length,
    ).toBeGreaterThan(1);
  });

  it('are refused to Vic, a viewer without billing_view', async () => {
    const vic = await createPerson(ctx, 'Vic Viewer', { verified: true });
    await joinAs(ctx, ann.organization.id, vic.id, 'viewer');
    const browser = await signedIn(ctx, vic.email);
    for (const path of ['/invoices', `/invoices/${receipt.id}`, `/invoices/${receipt.id}/pdf`])
      expect((await browser.get(path)).status, path).toBe(403);
    expect(browser.lastHtml).not.toContain(receipt.number);
  });

  it('do not find Ann’s invoices for Bob, who holds billing_view only in his own organization', async () => {
    const bob = await createPerson(ctx, 'Bob Other', { verified: true });
    const browser = await signedIn(ctx, bob.email);
    for (const path of [`/invoices/${receipt.id}`, `/invoices/${receipt.id}/pdf`, '/invoices/not-a-uuid'])
      expect((await browser.get(path)).status, path).toBe(404);
    await browser.get('/invoices');
    expect(ids(browser.lastHtml)).toEqual([]);
    expect(browser.lastHtml).toContain('No invoices yet');
  });

  it('page through many invoices, and answer an htmx page request with the list alone', async () => {
    const cat = await createPerson(ctx, 'Cat Many', { verified: true });
    for (let i = 0; i < 27; i++) await topUp(ctx.deps, cat.organization.id, 1_000_000n);
    const browser = await signedIn(ctx, cat.email);
    await browser.get('/invoices');
    const first = ids(browser.lastHtml);
    expect(first).toHaveLength(25);
    const older = /href="(\/invoices\?cursor=[^"]+)"/.exec(browser.lastHtml)![1]!.replace(/&amp;/g, '&');
    const res = await browser.get(older, { 'hx-request': 'true', 'hx-target': 'invoice-rows' });
    const partial = await res.text();
    expect(partial).not.toContain('<html');
    const second = ids(partial);
    expect(second).toHaveLength(2);
    expect(new Set([...first, ...second]).size).toBe(27);
    expect(partial).not.toMatch(/>Older</);
  });

  it('send signed-out visitors to sign in', async () => {
    const res = await ctx.app.request(`/invoices/${receipt.id}/pdf`);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/login?next=${encodeURIComponent(`/invoices/${receipt.id}/pdf`)}`);
  });
});
