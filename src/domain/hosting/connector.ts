import { decryptSecret } from '../../lib/crypto.ts';
import { AppError } from '../../lib/errors.ts';
import { createEnhanceClient } from '../../providers/enhance/index.ts';
import type { EnhanceClient } from '../../providers/enhance/index.ts';
import type { Deps } from '../deps.ts';
import type { IntegrationRow } from './integration.ts';

/**
 * What the hosting domain needs: the database, clock and config, and in demo mode the Enhance
 * emulator this process serves (src/services.ts `emulators.enhance`; AppDeps and Services
 * carry it).
 */
export interface HostingDeps extends Pick<Deps, 'db' | 'clock' | 'config'> {
  emulators?: {
    enhance?: {
      app: { fetch(req: Request): Response | Promise<Response> };
      token: string;
      masterOrgId: string;
    } | null;
  };
}

/**
 * The client for the stored integration. A demo row is answered in process by the demo
 * emulator (its app serves /api at its root: no network, no port); a real one by the panel at
 * its URL with the decrypted token. A token that cannot be opened (its key is gone) is an
 * error for staff, never a crash.
 */
export function hostingClient(deps: HostingDeps, row: IntegrationRow): EnhanceClient {
  if (row.demo) {
    const emu = deps.emulators?.enhance;
    if (!emu)
      throw new AppError(
        'hosting_unavailable',
        503,
        'The demo hosting panel is emulated, but no emulator runs in this process (EMULATORS_ENABLED is off).',
      );
    return createEnhanceClient({
      baseUrl: 'http://enhance-demo.invalid',
      token: emu.token,
      masterOrgId: emu.masterOrgId,
      fetch: (async (input: RequestInfo | URL, init?: RequestInit) =>
        emu.app.fetch(new Request(input, init))) as typeof fetch,
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
