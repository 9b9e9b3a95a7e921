import { inflateSync } from 'node:zlib';
import { sql } from 'kysely';
import { inTransaction } from '../../src/db/index.ts';
import type { LedgerKind, PlatformAccount } from '../../src/db/types.ts';
import { issueReceipt, type ReceiptOptions } from '../../src/domain/invoices/receipts.ts';
import { post } from '../../src/domain/ledger/post.ts';
import type { TestContext } from '../helpers/context.ts';

/** Money and invoices for the invoice tests: top-ups as the PayPal path will make them, ledger postings, PDF text. */

let captures = 0;

export async function walletOf(ctx: TestContext, organizationId: string) {
  return ctx.db.selectFrom('wallets').select(['id', 'balance']).where('organization_id', '=', organizationId).executeTakeFirstOrThrow();
}

/**
 * A completed PayPal top-up of `amount` micro-units: the payment, the wallet credit and the
 * receipt in one transaction, as the top-up path does it.
 */
export async function topUp(ctx: TestContext, organizationId: string, amount: bigint, opts: ReceiptOptions & { captureId?: string } = {}) {
  const captureId = opts.captureId ?? `CAPTURE-${++captures}-${Math.random().toString(36).slice(2, 8)}`;
  const wallet = await walletOf(ctx, organizationId);
  return inTransaction(ctx.db, async (trx) => {
    const payment = await trx
      .insertInto('payments')
      .values({ organization_id: organizationId, provider_order_id: `ORDER-${captureId}`, capture_id: captureId, amount, currency: 'USD', status: 'completed', completed_at: new Date() })
      .returning('id')
      .executeTakeFirstOrThrow();
    await post(trx, {
      idempotencyKey: `paypal:${captureId}`, kind: 'top_up', organizationId, currency: 'USD', description: `PayPal top-up ${captureId}`,
      lines: [{ walletId: wallet.id, amount }, { account: 'paypal_clearing', amount: -amount }],
    });
    const invoice = await issueReceipt(trx, payment.id, opts);
    return { paymentId: payment.id, captureId, invoice };
  });
}

const ACCOUNT: Partial<Record<LedgerKind, PlatformAccount>> = {
  vps_charge: 'vps_revenue', vps_refund: 'vps_revenue', egress_charge: 'egress_revenue', hosting_charge: 'hosting_revenue',
  hosting_refund: 'hosting_revenue', adjustment: 'adjustments', promotional_credit: 'promotional_credit', refund: 'refunds',
};

/** A balanced posting moving `amount` (signed, for the wallet) of `kind`, as the billing code would. */
export async function move(ctx: TestContext, organizationId: string, kind: LedgerKind, amount: bigint, description: string) {
  const wallet = await walletOf(ctx, organizationId);
  return inTransaction(ctx.db, (trx) =>
    post(trx, {
      idempotencyKey: `${kind}:${description}:${Math.random()}`, kind, organizationId, currency: 'USD', description, allowNegative: true,
      lines: [{ walletId: wallet.id, amount }, { account: ACCOUNT[kind] ?? 'adjustments', amount: -amount }],
    }),
  );
}

/** The current calendar month by the database clock (what ledger rows are stamped with), and the instant the next one starts. */
export async function databaseMonth(ctx: TestContext): Promise<{ month: string; next: Date }> {
  const { rows } = await sql<{ month: string; next: Date }>`
    select to_char(now() at time zone 'UTC', 'YYYY-MM') as month,
           (date_trunc('month', now() at time zone 'UTC') + interval '1 month') at time zone 'UTC' as next`.execute(ctx.db);
  return rows[0]!;
}

export async function setSeller(ctx: TestContext, seller: Record<string, string | null>) {
  await ctx.db
    .insertInto('platform_settings')
    .values({ key: 'seller', value: JSON.stringify(seller) })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value: JSON.stringify(seller) }))
    .execute();
}

/**
 * The text a PDF shows, simply: every content stream (inflated when compressed), with the
 * strings of its text operators (`(..) Tj`, `[<..> 80 <..>] TJ`) decoded as single-byte
 * (WinAnsi) text, one line per operator.
 */
export function pdfText(pdf: Uint8Array): string {
  const raw = Buffer.from(pdf).toString('latin1');
  const out: string[] = [];
  for (const m of raw.matchAll(/stream\r?\n([\s\S]*?)\r?\nendstream/g)) {
    const bytes = Buffer.from(m[1]!, 'latin1');
    let content: string;
    try {
      content = inflateSync(bytes).toString('latin1');
    } catch {
      content = m[1]!;
    }
    for (const op of content.matchAll(/\[((?:[^\]\\]|\\.)*)\]\s*TJ|(<[0-9a-fA-F]*>|\((?:[^)\\]|\\.)*\))\s*Tj/g)) {
      const strings = (op[1] ?? op[2]!).matchAll(/<([0-9a-fA-F]*)>|\(((?:[^)\\]|\\.)*)\)/g);
      out.push([...strings].map((s) => (s[1] !== undefined ? Buffer.from(s[1], 'hex').toString('latin1') : s[2]!.replace(/\\(.)/g, '$1'))).join(''));
    }
  }
  return out.join('\n');
}
