import { decryptSecret } from '../../lib/crypto.ts';
import { AppError } from '../../lib/errors.ts';
import { createEnhanceClient, ENHANCE_EMULATOR_PATH } from '../../providers/enhance/index.ts';
import type { EnhanceClient } from '../../providers/enhance/index.ts';
import type { Deps } from '../deps.ts';
import type { IntegrationRow } from './integration.ts';

/**
 * What the hosting domain needs: the database, clock and config, and in demo mode the
 * emulators this process serves (src/services.ts `emulators.mounted`; AppDeps and Services
 * carry them). Tests may pass `enhanceFetch` to reach their own emulator in process.
 */
export interface HostingDeps extends Pick<Deps, 'db' | 'clock' | 'config'> {
  log?: Deps['log'];
  emulators?: { mounted: { path: string; app: { fetch(req: Request): Response | Promise<Response> } }[] };
}

/**
 * The client for the stored integration. A demo row is answered in process by the mounted
 * demo emulator with its own token; a real one by the panel at its URL with the decrypted
 * token. A token that cannot be opened (its key is gone) is an error for staff, never a crash.
 */
export function hostingClient(deps: HostingDeps, row: IntegrationRow): EnhanceClient {
  if (row.demo) {
    const mounted = deps.emulators?.mounted.find((m) => m.path === ENHANCE_EMULATOR_PATH);
    if (!mounted || !row.master_org_id || !row.token_ciphertext)
      throw new AppError(
        'hosting_unavailable',
        503,
        'The demo hosting panel is emulated, but no emulator runs in this process (EMULATORS_ENABLED is off).',
      );
    // The demo emulator's token was sealed at seeding like a real one; only the transport differs.
    return createEnhanceClient({
      baseUrl: 'http://enhance-demo.invalid',
      token: openToken(deps, row.token_ciphertext),
      masterOrgId: row.master_org_id,
      fetch: ((input: RequestInfo | URL, init?: RequestInit) =>
        Promise.resolve(mounted.app.fetch(new Request(input, init)))) as typeof fetch,
    });
  }
  if (!row.api_url || !row.master_org_id || !row.token_ciphertext)
    throw new AppError('hosting_not_configured', 422, 'Save the connection settings first.');
  return createEnhanceClient({
    baseUrl: row.api_url,
    token: openToken(deps, row.token_ciphertext),
    masterOrgId: row.master_org_id,
  });
}

function openToken(deps: Pick<HostingDeps, 'config'>, sealed: string): string {
  try {
    return decryptSecret(deps.config.encryptionKeys, sealed);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new AppError(
      'hosting_token_unreadable',
      422,
      `The stored access token cannot be opened (${why}): enter the token again.`,
    );
  }
}
