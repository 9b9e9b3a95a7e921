import { sql } from 'kysely';
import { z } from 'zod';
import { inTransaction, type DbOrTx } from '../../db/index.ts';
import { encryptSecret } from '../../lib/crypto.ts';
import { CATALOGUE, type DataCache } from '../../lib/data-cache.ts';
import { AppError, ValidationError } from '../../lib/errors.ts';
import { isServiceBaseUrl, parseInput, SERVICE_URL_RULE } from '../../lib/validation.ts';
import type { Actor } from '../access/actor.ts';
import { requirePlatformAdmin } from '../access/guard.ts';
import { recordActivity, type ActivityAction } from '../activity/record.ts';
import type { Deps } from '../deps.ts';
import { hostingClient, type HostingDeps } from './connector.ts';

/**
 * The Enhance integration (staff only; one `hosting_integration` row, migration 0038): the
 * panel's API URL, master organization, default server group and access token (sealed with
 * the install's keyring, never read back to a page: staff see only whether one is set), the
 * on/off switch the hosting store follows, and the last health check. A demo integration
 * (`npm start` with the emulators on, src/domain/hosting/demo.ts) is answered by the emulator
 * this process serves; saving real settings ends the demo.
 */

export interface HostingIntegrationView {
  enabled: boolean;
  demo: boolean;
  apiUrl: string | null;
  masterOrgId: string | null;
  defaultServerGroupId: string | null;
  tokenSet: boolean;
  /** Enough to reach a panel: the demo, or URL, master organization and token. */
  configured: boolean;
  health: 'unknown' | 'ok' | 'error';
  healthMessage: string | null;
  checkedAt: Date | null;
  plansSyncedAt: Date | null;
  updatedAt: Date | null;
}

export const COLUMNS = [
  'enabled',
  'demo',
  'api_url',
  'master_org_id',
  'default_server_group_id',
  'token_ciphertext',
  'health',
  'health_message',
  'checked_at',
  'plans_synced_at',
  'updated_at',
] as const;

export interface IntegrationRow {
  enabled: boolean;
  demo: boolean;
  api_url: string | null;
  master_org_id: string | null;
  default_server_group_id: string | null;
  token_ciphertext: string | null;
  health: 'unknown' | 'ok' | 'error';
  health_message: string | null;
  checked_at: Date | null;
  plans_synced_at: Date | null;
  updated_at: Date;
}

export function isConfigured(r: IntegrationRow | null | undefined): boolean {
  return !!r && (r.demo || (r.api_url !== null && r.master_org_id !== null && r.token_ciphertext !== null));
}

function view(r: IntegrationRow | null | undefined): HostingIntegrationView {
  return {
    enabled: r?.enabled ?? false,
    demo: r?.demo ?? false,
    apiUrl: r?.api_url ?? null,
    masterOrgId: r?.master_org_id ?? null,
    defaultServerGroupId: r?.default_server_group_id ?? null,
    tokenSet: !!r?.token_ciphertext,
    configured: isConfigured(r),
    health: r?.health ?? 'unknown',
    healthMessage: r?.health_message ?? null,
    checkedAt: r?.checked_at ?? null,
    plansSyncedAt: r?.plans_synced_at ?? null,
    updatedAt: r?.updated_at ?? null,
  };
}

/** The row, or undefined before anything was saved. */
export async function integrationRow(db: DbOrTx): Promise<IntegrationRow | undefined> {
  return db.selectFrom('hosting_integration').select(COLUMNS).where('id', '=', 1).executeTakeFirst();
}

/**
 * Whether hosting is on: the store, the customer's hosting pages and the API's hosting
 * resources exist only while it is (later sessions). Catalogue data: kept per process until
 * the integration or the plans change (src/lib/data-cache.ts).
 */
export async function hostingEnabled(db: DbOrTx, opts: { cache?: DataCache } = {}): Promise<boolean> {
  if (opts.cache) return opts.cache.read('hosting-enabled', [CATALOGUE], () => hostingEnabled(db));
  const row = await integrationRow(db);
  return !!row?.enabled && isConfigured(row);
}

/** The integration as staff see it (never the token). */
export async function getIntegration(db: DbOrTx, actor: Actor): Promise<HostingIntegrationView> {
  requirePlatformAdmin(actor);
  return view(await integrationRow(db));
}

export async function record(
  db: DbOrTx,
  actor: Actor | null,
  action: ActivityAction,
  target: { type: 'hosting_integration' | 'hosting_plan'; id: string },
  now: Date,
  details: Record<string, string | number | boolean | null>,
) {
  await recordActivity(db, {
    action,
    actorUserId: actor?.userId ?? null,
    target,
    origin: actor?.origin ?? null,
    occurredAt: now,
    details,
  });
}

/** The advisory lock every hosting write takes (settings, on/off, sync, plan edits, the demo seed). */
export const HOSTING_LOCK = 724180;

export const INTEGRATION_TARGET = { type: 'hosting_integration', id: 'enhance' } as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The panel's URL: https, or http only to this machine (an emulator or a local proxy); no
 * credentials, query or fragment. A trailing `/api` is kept (the client adds it otherwise).
 */
const apiUrl = z
  .string({ error: 'Enter the control panel URL.' })
  .optional()
  .transform((v, ctx) => {
    const s = (v ?? '').trim();
    if (s === '') {
      ctx.addIssue({ code: 'custom', message: 'Enter the control panel URL, such as https://panel.example.com.' });
      return z.NEVER;
    }
    let url: URL;
    try {
      url = new URL(s);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'Enter a URL such as https://panel.example.com.' });
      return z.NEVER;
    }
    if (!isServiceBaseUrl(url) || s.length > 500) {
      ctx.addIssue({ code: 'custom', message: SERVICE_URL_RULE });
      return z.NEVER;
    }
    return url.toString().replace(/\/+$/, '');
  });

const uuid = (what: string, required: boolean) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      const s = (v ?? '').trim().toLowerCase();
      if (s === '' && !required) return null;
      if (!UUID.test(s)) {
        ctx.addIssue({
          code: 'custom',
          message: `Enter the ${what} as a UUID such as 3fa85f64-5717-4562-b3fc-2c963f66afa6${required ? '' : ', or leave it empty'}.`,
        });
        return z.NEVER;
      }
      return s;
    });

const settingsInput = z.object({
  api_url: apiUrl,
  master_org_id: uuid('master organization id', true),
  default_server_group_id: uuid('default server group id', false),
  token: z
    .string()
    .optional()
    .transform((v) => (v ?? '').trim().replace(/^Bearer\s+/i, ''))
    .refine((s) => s === '' || /^[\x21-\x7e]{8,2000}$/.test(s), 'The access token is 8 to 2000 printable characters.'),
});

/**
 * Staff save the connection settings. An empty token keeps the one stored; a new one replaces
 * it. A change of URL, master organization or token sets the health back to "not checked".
 * Saving real settings ends the demo (a token is then required). Audited without the token.
 */
export async function saveSettings(
  deps: Pick<Deps, 'db' | 'clock' | 'config'>,
  actor: Actor,
  raw: unknown,
): Promise<HostingIntegrationView> {
  requirePlatformAdmin(actor);
  const input = parseInput(settingsInput, raw);
  const now = deps.clock.now();
  return inTransaction(deps.db, async (trx) => {
    await sql`select pg_advisory_xact_lock(${HOSTING_LOCK})`.execute(trx);
    const current = await integrationRow(trx);
    const keepToken = input.token === '' && !!current?.token_ciphertext && !current.demo;
    if (input.token === '' && !keepToken) throw new ValidationError({ token: 'Enter the access token.' });
    const connectionChanged =
      !current ||
      current.demo ||
      input.token !== '' ||
      current.api_url !== input.api_url ||
      current.master_org_id !== input.master_org_id;
    const values = {
      api_url: input.api_url,
      master_org_id: input.master_org_id,
      default_server_group_id: input.default_server_group_id,
      demo: false,
      ...(keepToken ? {} : { token_ciphertext: encryptSecret(deps.config.encryptionKeys, input.token) }),
      ...(connectionChanged ? { health: 'unknown' as const, health_message: null, checked_at: null } : {}),
      updated_at: now,
    };
    const row = current
      ? await trx
          .updateTable('hosting_integration')
          .set(values)
          .where('id', '=', 1)
          .returning(COLUMNS)
          .executeTakeFirstOrThrow()
      : await trx
          .insertInto('hosting_integration')
          .values({ id: 1, ...values, created_at: now })
          .returning(COLUMNS)
          .executeTakeFirstOrThrow();
    // Plans of another master organization (the demo's, a previous panel's) stop being sold at once.
    const retired = await trx
      .updateTable('hosting_plans')
      .set({ active: false, updated_at: now })
      .where('active', '=', true)
      .where('master_org_id', '<>', input.master_org_id)
      .executeTakeFirst();
    await record(trx, actor, 'admin.hosting_settings_saved', INTEGRATION_TARGET, now, {
      plans_deactivated: Number(retired.numUpdatedRows),
      api_url: row.api_url,
      master_org_id: row.master_org_id,
      default_server_group_id: row.default_server_group_id,
      token_replaced: !keepToken,
      demo_ended: !!current?.demo,
    });
    return view(row);
  });
}

/**
 * Staff turn hosting on or off. On needs a connection (the demo, or URL, master organization
 * and token); off hides the store at once (existing services, later, keep running).
 */
export async function setEnabled(
  deps: Pick<Deps, 'db' | 'clock'>,
  actor: Actor,
  raw: unknown,
): Promise<HostingIntegrationView> {
  requirePlatformAdmin(actor);
  const { enabled } = parseInput(
    z.object({
      enabled: z
        .union([z.boolean(), z.string()], { error: 'Say whether hosting is on.' })
        .transform((v) => v === true || v === 'on' || v === 'true' || v === '1'),
    }),
    raw,
  );
  const now = deps.clock.now();
  return inTransaction(deps.db, async (trx) => {
    await sql`select pg_advisory_xact_lock(${HOSTING_LOCK})`.execute(trx);
    const current = await integrationRow(trx);
    if (enabled && !isConfigured(current))
      throw new AppError(
        'hosting_not_configured',
        422,
        'Save the connection settings (URL, master organization and access token) before turning hosting on.',
      );
    if (!current) return view(current);
    if (current.enabled === enabled) return view(current);
    const row = await trx
      .updateTable('hosting_integration')
      .set({ enabled, updated_at: now })
      .where('id', '=', 1)
      .returning(COLUMNS)
      .executeTakeFirstOrThrow();
    await record(trx, actor, enabled ? 'admin.hosting_enabled' : 'admin.hosting_disabled', INTEGRATION_TARGET, now, {
      demo: row.demo,
    });
    return view(row);
  });
}

/**
 * "Check now": asks the panel for the master organization (GET /orgs/{MO}). Stores ok, or the
 * error with a message for staff (the token is never in it), and when. Never throws for the
 * panel's answer; the result is on the returned view.
 */
export async function checkHealth(deps: HostingDeps, actor: Actor): Promise<HostingIntegrationView> {
  requirePlatformAdmin(actor);
  const current = await integrationRow(deps.db);
  if (!isConfigured(current))
    throw new AppError('hosting_not_configured', 422, 'Save the connection settings before checking them.');
  let outcome: { health: 'ok' | 'error'; message: string | null };
  try {
    const result = await hostingClient(deps, current!).health();
    outcome = result.ok ? { health: 'ok', message: null } : { health: 'error', message: result.message };
  } catch (err) {
    outcome = { health: 'error', message: adminMessage(err) };
  }
  const now = deps.clock.now();
  return inTransaction(deps.db, async (trx) => {
    const row = await trx
      .updateTable('hosting_integration')
      .set({ health: outcome.health, health_message: outcome.message?.slice(0, 1000) ?? null, checked_at: now })
      .where('id', '=', 1)
      .returning(COLUMNS)
      .executeTakeFirstOrThrow();
    await record(trx, actor, 'admin.hosting_health_checked', INTEGRATION_TARGET, now, {
      health: outcome.health,
      message: row.health_message,
    });
    return view(row);
  });
}

/** A failure in words for staff: the client's admin message (method, path, status), never the token. */
export function adminMessage(err: unknown): string {
  if (err && typeof err === 'object' && 'adminMessage' in err && typeof err.adminMessage === 'string')
    return err.adminMessage;
  if (err instanceof AppError) return err.message;
  return `The control panel could not be reached: ${err instanceof Error ? err.message : String(err)}`;
}
