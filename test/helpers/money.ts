import { randomUUID } from 'node:crypto';
import { inTransaction, type DbOrTx } from '../../src/db/index.ts';
import { post } from '../../src/domain/ledger/post.ts';

/** Puts money in (or, negative, takes it out of) an organization's wallet the only way there is: a balanced ledger posting. */
export async function fundWallet(db: DbOrTx, organizationId: string, amount: bigint): Promise<void> {
  await inTransaction(db, async (trx) => {
    const wallet = await trx
      .selectFrom('wallets')
      .select(['id', 'currency'])
      .where('organization_id', '=', organizationId)
      .executeTakeFirstOrThrow();
    await post(trx, {
      idempotencyKey: `test-funding:${randomUUID()}`,
      kind: 'adjustment',
      organizationId,
      currency: wallet.currency,
      description: 'Test funding',
      allowNegative: true,
      lines: [
        { walletId: wallet.id, amount },
        { account: 'adjustments', amount: -amount },
      ],
    });
  });
}
