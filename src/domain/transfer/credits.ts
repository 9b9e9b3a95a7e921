import type { Tx } from '../../db/index.ts';

/**
 * Drawing prepaid transfer credit, oldest first, inside the caller's transaction (which holds
 * the organization's wallet lock, so two draws of one organization take turns). Returns the
 * bytes taken from credits and the per-credit draws to record.
 */
export async function drawCredits(
  trx: Tx,
  organizationId: string,
  bytes: bigint,
): Promise<{ taken: bigint; draws: Array<{ creditId: string; bytes: bigint }> }> {
  if (bytes <= 0n) return { taken: 0n, draws: [] };
  const open = await trx
    .selectFrom('transfer_credits')
    .select(['id', 'remaining_bytes'])
    .where('organization_id', '=', organizationId)
    .where('remaining_bytes', '>', 0n)
    .orderBy('created_at')
    .orderBy('id')
    .forUpdate()
    .execute();
  let left = bytes;
  const draws: Array<{ creditId: string; bytes: bigint }> = [];
  for (const c of open) {
    if (left <= 0n) break;
    const take = c.remaining_bytes < left ? c.remaining_bytes : left;
    draws.push({ creditId: c.id, bytes: take });
    left -= take;
  }
  for (const d of draws) {
    await trx
      .updateTable('transfer_credits')
      .set((eb) => ({ remaining_bytes: eb('remaining_bytes', '-', d.bytes) }))
      .where('id', '=', d.creditId)
      .execute();
  }
  return { taken: bytes - left, draws };
}
