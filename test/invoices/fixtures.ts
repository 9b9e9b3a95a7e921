import { inflateSync } from 'node:zlib';
import { sql } from 'kysely';
import { inTransaction, type DbOrTx } from '../../src/db/index.ts';
import type { LedgerKind, PlatformAccount } from '../../src/db/types.ts';
import type { ReceiptOptions } from '../../src/domain/invoices/receipts.ts';
import { parseMonth, type Month } from '../../src/domain/invoices/statements.ts';
import { post } from '../../src/domain/ledger/post.ts';
import { settledTopUp } from '../billing/payments.ts';
import type { TestContext } from '../helpers/context.ts';

/** Money and invoices for the invoice tests: top-ups as the PayPal path makes them, ledger postings, moments, PDF text. */

type AppDeps = TestContext['deps'];

export async function walletOf(db: DbOrTx, organizationId: string) {
  return db
    .selectFrom('wallets')
    .select(['id', 'balance'])
    .where('organization_id', '=', organizationId)
    .executeTakeFirstOrThrow();
}

/**
 * A completed PayPal top-up of `amount` micro-units through the production credit path
 * (`settledTopUp`): the payment, the wallet credit and the receipt in one transaction. The
 * receipt is issued as the app issues it, or at `issuedAt` / with `brandName` when given.
 */
export async function topUp(
  deps: AppDeps,
  organizationId: string,
  amount: bigint,
  opts: ReceiptOptions & { captureId?: string } = {},
) {
  const { issuedAt, brandName, captureId } = opts;
  const settled = await settledTopUp(deps, organizationId, amount, {
    captureId,
    receipt: { issuedAt, ...(brandName ? { brandName } : {}) },
  });
  const invoice = await deps.db
    .selectFrom('invoices')
    .select(['id', 'number'])
    .where('payment_id', '=', settled.paymentId)
    .executeTakeFirstOrThrow();
  return { ...settled, invoice };
}

const ACCOUNT: Partial<Record<LedgerKind, PlatformAccount>> = {
  vps_charge: 'vps_revenue',
  vps_refund: 'vps_revenue',
  egress_charge: 'egress_revenue',
  hosting_charge: 'hosting_revenue',
  hosting_refund: 'hosting_revenue',
  adjustment: 'adjustments',
  promotional_credit: 'promotional_credit',
  refund: 'refunds',
};

/** A balanced posting moving `amount` (signed, for the wallet) of `kind`, as the billing code would. */
export async function move(db: DbOrTx, organizationId: string, kind: LedgerKind, amount: bigint, description: string) {
  const wallet = await walletOf(db, organizationId);
  return inTransaction(db, (trx) =>
    post(trx, {
      idempotencyKey: `${kind}:${crypto.randomUUID()}`,
      kind,
      organizationId,
      currency: 'USD',
      description,
      allowNegative: true,
      lines: [
        { walletId: wallet.id, amount },
        { account: ACCOUNT[kind] ?? 'adjustments', amount: -amount },
      ],
    }),
  );
}

export interface Moment<T> {
  value: T;
  /** The instant everything happened, by the database clock. */
  at: Date;
  /** Its UTC calendar month. */
  month: Month;
}

/**
 * Runs `fn` as one moment: in one database transaction, whose clock (`now()`, which stamps
 * ledger rows and receipts) stands still, with an app clock that reads the same instant. So
 * everything it posts lands in one calendar month whenever the test runs — across midnight of
 * the 1st or New Year too — and the test takes that month from here, never from a wall clock.
 */
export async function atOneMoment<T>(
  ctx: TestContext,
  fn: (deps: AppDeps, at: Date) => Promise<T>,
): Promise<Moment<T>> {
  return inTransaction(ctx.db, async (trx) => {
    const at = (await sql<{ at: Date }>`select now() as at`.execute(trx)).rows[0]!.at;
    const value = await fn({ ...ctx.deps, db: trx, clock: { now: () => new Date(at) } }, at);
    return { value, at, month: parseMonth(at.toISOString().slice(0, 7)) };
  });
}

/** `d` moved by `minutes`. */
export const after = (d: Date, minutes: number) => new Date(d.getTime() + minutes * 60_000);

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
      out.push(
        [...strings]
          .map((s) =>
            s[1] !== undefined ? Buffer.from(s[1], 'hex').toString('latin1') : s[2]!.replace(/\\(.)/g, '$1'),
          )
          .join(''),
      );
    }
  }
  return out.join('\n');
}
