import { inTransaction } from '../../db/index.ts';
import { CloudError, type CloudProvider } from '../../providers/cloud.ts';
import type { Actor } from '../access/actor.ts';
import { requirePlatformAdmin } from '../access/guard.ts';
import type { Deps } from '../deps.ts';
import { COLUMNS, providerRow, record, view, type ProviderView, type Row } from './providers.ts';

/** Reaching a provider: its client (a token that cannot be opened is a provider error), and "validate now". */

/**
 * The client for a provider row. A token that cannot be opened (its encryption key is gone)
 * is reported like any provider failure, as a CloudError naming the cause for staff.
 */
export function clientFor(deps: Pick<Deps, 'clouds'>, row: Row): CloudProvider {
  try {
    return deps.clouds.forProvider(row);
  } catch (err) {
    if (err instanceof CloudError) throw err;
    const why = err instanceof Error ? err.message : String(err);
    throw new CloudError(
      'unauthorized',
      `The stored API token cannot be opened (${why}): enter the token again.`,
      'Servers cannot be managed right now. Please try again later.',
    );
  }
}

/**
 * "Validate now": asks the provider who the token belongs to. Health ok with the account's
 * label, or error with the provider's precise (staff-facing) message. Never throws for the
 * provider's answer; the result is on the returned view.
 */
export async function validateProvider(deps: Deps, actor: Actor, providerId: string): Promise<ProviderView> {
  requirePlatformAdmin(actor);
  const row = await providerRow(deps.db, providerId);
  let outcome: { health: 'ok' | 'error'; message: string | null; account: string | null };
  try {
    const { account } = await clientFor(deps, row).validate();
    outcome = { health: 'ok', message: null, account };
  } catch (err) {
    if (!(err instanceof CloudError)) throw err;
    const message = err.message;
    outcome = { health: 'error', message: message.slice(0, 1000), account: null };
  }
  const now = deps.clock.now();
  return inTransaction(deps.db, async (trx) => {
    const updated = await trx
      .updateTable('cloud_providers')
      .set({
        health: outcome.health,
        health_message: outcome.message,
        account_label: outcome.account ?? row.account_label,
        validated_at: now,
      })
      .where('id', '=', row.id)
      .returning(COLUMNS)
      .executeTakeFirstOrThrow();
    await record(trx, actor, 'admin.provider_validated', row.id, now, {
      health: outcome.health,
      message: outcome.message,
    });
    return view(updated);
  });
}
