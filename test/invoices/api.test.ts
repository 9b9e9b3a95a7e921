import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueStatement, type Month } from '../../src/domain/invoices/statements.ts';
import { joinAs } from '../api-keys/helpers.ts';
import { apiClient, ISO_UTC, person, tokenFor } from '../api/client.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { after, atOneMoment, move, pdfText, setSeller, topUp } from './fixtures.ts';

let ctx: TestContext;
let olga: Awaited<ReturnType<typeof person>>;
let token: string;
let receipts: Array<{ id: string; number: string }>;
let statement: { id: string; number: string };
let month: Month;
beforeAll(async () => {
  ctx = await createTestContext();
  olga = await person(ctx, 'Olga Owner');
  await ctx.db
    .updateTable('organizations')
    .set({ name: 'Olga Ltd', address: '2 Dock Road', tax_id: 'GB222' })
    .where('id', '=', olga.organizationId)
    .execute();
  await setSeller(ctx, { name: 'SkyPanel Hosting GmbH', address: 'Berlin', tax_id: 'DE999', email: null });
  // The month's money at one moment (fixtures.ts), its receipts issued a millisecond apart, in order.
  const moment = await atOneMoment(ctx, async (deps, at) => {
    const issued = [];
    for (const [i, amount] of [10_000_000n, 25_500_000n, 100_000_000n].entries()) {
      issued.push(
        (
          await topUp(deps, olga.organizationId, amount, {
            captureId: `CAP-OLGA-${amount}`,
            issuedAt: new Date(at.getTime() + i + 1),
          })
        ).invoice,
      );
    }
    await move(deps.db, olga.organizationId, 'vps_charge', -13_699n, 'Server api-1, one hour');
    return issued;
  });
  ({ value: receipts, month } = moment);
  statement = await issueStatement(
    { ...ctx.deps, clock: { now: () => after(month.end, 15) } },
    olga.organizationId,
    month.month,
  );
  token = await tokenFor(ctx, olga.email, '198.51.100.90');
});
afterAll(async () => ctx.close());

const call = () => apiClient(ctx, '198.51.100.90');
const pdf = (path: string, bearer: string) =>
  ctx.app.request(`/api/v1${path}`, {
    headers: { authorization: `Bearer ${bearer}`, 'x-forwarded-for': '198.51.100.90' },
  });

describe('GET /api/v1/invoices', () => {
  it('pages through the organization’s invoices newest first, amounts as decimal strings', async () => {
    const seen: Array<{ id: string; number: string; total: string; kind: string; issued_at: string }> = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: Awaited<ReturnType<ReturnType<typeof call>>> = await call()(
        'GET',
        `/invoices?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        { token },
      );
      expect(res.status).toBe(200);
      expect(res.body.has_more).toBe(res.body.next_cursor !== null);
      seen.push(...res.body.data);
      cursor = res.body.next_cursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(2);
    expect(seen.map((i) => i.id)).toEqual([statement.id, ...[...receipts].reverse().map((r) => r.id)]);
    expect(seen.map((i) => i.total)).toEqual(['0.01', '100.00', '25.50', '10.00']);
    expect(seen[1]).toMatchObject({
      number: receipts[2]!.number,
      kind: 'receipt',
      currency: 'USD',
      period_start: null,
      payment_id: expect.any(String),
    });
    expect(seen[1]!.issued_at).toMatch(ISO_UTC);
  });

  it('refuses a malformed cursor with 422', async () => {
    const res = await call()('GET', '/invoices?cursor=nope', { token });
    expect(res.status).toBe(422);
    expect(res.body.error.fields.cursor).toBeDefined();
  });
});

describe('GET /api/v1/invoices/{id}', () => {
  it('answers a receipt with its seller, buyer and line as issued', async () => {
    const res = await call()('GET', `/invoices/${receipts[1]!.id}`, { token });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      number: receipts[1]!.number,
      kind: 'receipt',
      total: '25.50',
      seller: { name: 'SkyPanel Hosting GmbH', address: 'Berlin', tax_id: 'DE999', email: null },
      buyer: { name: 'Olga Ltd', address: '2 Dock Road', tax_id: 'GB222', email: null },
      lines: [
        {
          type: 'item',
          description: 'Wallet top-up (PayPal capture CAP-OLGA-25500000)',
          kind: null,
          amount: '25.50',
          balance: null,
        },
      ],
      opening_balance: null,
      closing_balance: null,
      totals: null,
    });
  });

  it('answers a statement with exact line amounts, running balances and totals', async () => {
    const res = await call()('GET', `/invoices/${statement.id}`, { token });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      kind: 'statement',
      total: '0.01',
      opening_balance: '0.00',
      closing_balance: '135.49',
      totals: { credits: '135.50', charges: '-0.01', refunds: '0.00' },
    });
    expect(res.body).toMatchObject({
      period_start: month.start.toISOString(),
      period_end: month.end.toISOString(),
      issued_at: after(month.end, 15).toISOString(),
    });
    expect(
      res.body.lines.map((l: { kind: string; amount: string; balance: string }) => [l.kind, l.amount, l.balance]),
    ).toEqual([
      ['top_up', '10.00', '10.00'],
      ['top_up', '25.50', '35.50'],
      ['top_up', '100.00', '135.50'],
      ['vps_charge', '-0.013699', '135.49'],
    ]);
  });

  it('answers the PDF as an attachment named after the number', async () => {
    const res = await pdf(`/invoices/${receipts[0]!.id}/pdf`, token);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${receipts[0]!.number}.pdf"`);
    const body = new Uint8Array(await res.arrayBuffer());
    expect(Buffer.from(body.subarray(0, 5)).toString()).toBe('%PDF-');
    expect(pdfText(body)).toContain(receipts[0]!.number);
    expect(pdfText(body)).toContain('$10.00');
  });

  it('refuses a member without billing_view with 403, also for the PDF', async () => {
    const vera = await person(ctx, 'Vera Viewer');
    await joinAs(ctx, olga.organizationId, vera.id, 'viewer');
    const viewer = await tokenFor(ctx, vera.email, '198.51.100.91');
    for (const path of ['/invoices', `/invoices/${receipts[0]!.id}`]) {
      const res = await call()('GET', path, { token: viewer });
      expect(res.status, path).toBe(403);
      expect(res.body.error.code).toBe('forbidden');
    }
    expect((await pdf(`/invoices/${receipts[0]!.id}/pdf`, viewer)).status).toBe(403);
  });

  it('does not find another organization’s invoice, nor a malformed id (404)', async () => {
    const sam = await person(ctx, 'Sam Stranger');
    const stranger = await tokenFor(ctx, sam.email, '198.51.100.92');
    for (const path of [`/invoices/${receipts[0]!.id}`, '/invoices/not-a-uuid']) {
      const res = await call()('GET', path, { token: stranger });
      expect(res.status, path).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    }
    expect((await pdf(`/invoices/${receipts[0]!.id}/pdf`, stranger)).status).toBe(404);
    expect((await call()('GET', '/invoices', { token: stranger })).body.data).toEqual([]);
  });

  it('requires a token (401)', async () => {
    expect((await call()('GET', '/invoices')).status).toBe(401);
  });

  it('is documented, the PDF as application/pdf', async () => {
    const doc = (await call()('GET', '/openapi.json')).body;
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/invoices', '/invoices/{id}', '/invoices/{id}/pdf']),
    );
    expect(doc.paths['/invoices/{id}/pdf'].get.responses['200'].content['application/pdf']).toBeDefined();
    expect(doc.paths['/invoices/{id}'].get.responses['403'].content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/ErrorEnvelope',
    });
    expect(doc.components.schemas.InvoiceSummary.properties.total).toMatchObject({
      type: 'string',
      pattern: expect.any(String),
    });
  });
});
