import { sql } from 'kysely';
import { inTransaction, type DbOrTx } from '../../src/db/index.ts';
import { post } from '../../src/domain/ledger/post.ts';

/**
 * Billing history for the surfaces' tests, written as the hourly engine writes it: one ledger
 * posting per organization and hour (kind `vps_charge`, wallet → vps_revenue) whose
 * `server_charges` rows reference it; zero charges (the monthly cap reached) unposted.
 */

/** The database clock's current hour, `offset` hours away. */
export async function dbHour(db: DbOrTx, offset = 0): Promise<Date> {
  const r = await sql<{ h: Date }>`select date_trunc('hour', now()) + make_interval(hours => ${offset}) as h`.execute(
    db,
  );
  return r.rows[0]!.h;
}

/** Charges `hour` for each of `servers` (id → amount) of `organizationId` in one posting; zero amounts unposted. */
export async function chargeHour(
  db: DbOrTx,
  organizationId: string,
  hour: Date,
  servers: Array<{ id: string; amount: bigint; rate: bigint }>,
): Promise<string | null> {
  return inTransaction(db, async (trx) => {
    const wallet = await trx
      .selectFrom('wallets')
      .select('id')
      .where('organization_id', '=', organizationId)
      .executeTakeFirstOrThrow();
    const total = servers.reduce((t, s) => t + s.amount, 0n);
    const posted =
      total > 0n
        ? await post(trx, {
            idempotencyKey: `test:vps:hour:${organizationId}:${hour.toISOString()}`,
            kind: 'vps_charge',
            organizationId,
            currency: 'USD',
            description: `Servers: ${hour.toISOString().slice(0, 13)}:00 UTC`,
            allowNegative: true,
            lines: [
              { walletId: wallet.id, amount: -total },
              { account: 'vps_revenue', amount: total },
            ],
          })
        : null;
    for (const s of servers)
      await trx
        .insertInto('server_charges')
        .values({
          server_id: s.id,
          hour_start: hour,
          organization_id: organizationId,
          amount: s.amount,
          rate: s.rate,
          currency: 'USD',
          ledger_transaction_id: s.amount > 0n ? (posted?.transactionId ?? null) : null,
        })
        .execute();
    return posted?.transactionId ?? null;
  });
}
