import type { DbOrTx } from '../../db/index.ts';
import { AppError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/log.ts';
import { CloudError, type CloudProvider } from '../../providers/cloud.ts';
import type { Deps } from '../deps.ts';

/**
 * Reaching a server's provider, and what its failures mean to people. Customers read
 * `CloudError.customerMessage` (white label: it never names the provider); the precise
 * message goes to the log and to staff (server_actions.details.provider_error).
 */

/** Marks every instance this platform creates, so reconciliation can tell ours from others. */
export const PLATFORM_TAG = 'skypanel';

/** The client of provider row `providerId`. */
export async function cloudFor(deps: Pick<Deps, 'clouds'>, db: DbOrTx, providerId: string): Promise<CloudProvider> {
  const row = await db
    .selectFrom('cloud_providers')
    .select(['id', 'kind', 'emulated', 'base_url', 'token_ciphertext', 'updated_at'])
    .where('id', '=', providerId)
    .executeTakeFirstOrThrow();
  return deps.clouds.forProvider(row);
}

/** Failures after which the provider may still have done what was asked (a create: look it up by its tag). */
export function isUncertain(err: unknown): boolean {
  return !(err instanceof CloudError) || err.kind === 'timeout' || err.kind === 'network' || err.kind === 'unavailable';
}

/** The words a customer reads for a provider failure. */
export function customerMessageOf(err: unknown): string {
  return err instanceof CloudError
    ? err.customerMessage
    : 'The server platform gave an unexpected answer; try again in a few minutes.';
}

/** The precise words, for the log and staff. */
export function staffMessageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A provider failure as the error a customer gets (logged precisely first). */
export function providerFailure(log: Logger, err: unknown, context: Record<string, unknown>): AppError {
  log.warn(
    { ...context, err: staffMessageOf(err), kind: err instanceof CloudError ? err.kind : 'bug' },
    'provider call failed',
  );
  const message = customerMessageOf(err);
  if (!(err instanceof CloudError)) return new AppError('provider_error', 503, message);
  switch (err.kind) {
    case 'validation':
      return new AppError('provider_refused', 422, message, { _: message });
    case 'busy':
      return new AppError('server_busy', 409, message);
    case 'not_found':
      return new AppError('provider_not_found', 409, message);
    case 'rate_limited':
      return new AppError('provider_rate_limited', 503, message);
    default:
      return new AppError('provider_unavailable', 503, message);
  }
}
