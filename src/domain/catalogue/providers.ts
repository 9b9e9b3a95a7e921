import { z } from 'zod';
import { inTransaction, type DbOrTx } from '../../db/index.ts';
import { encryptSecret } from '../../lib/crypto.ts';
import { NotFoundError, ValidationError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import { isServiceBaseUrl, parseInput, SERVICE_URL_RULE } from '../../lib/validation.ts';
import type { Actor } from '../access/actor.ts';
import { requirePlatformAdmin } from '../access/guard.ts';
import { recordActivity, type ActivityAction } from '../activity/record.ts';
import type { Deps } from '../deps.ts';
import { checkbox, displayOrder, label } from './input.ts';

/**
 * Server providers (staff only): the cloud accounts servers are bought from. The API token is
 * sealed with the install's encryption keys (AES-256-GCM, key version inside) and never read
 * back out to a page or an answer: staff see only whether one is set. Kinds: `linode`.
 */

export interface ProviderView {
  id: string;
  kind: string;
  name: string;
  emulated: boolean;
  baseUrl: string | null;
  tokenSet: boolean;
  active: boolean;
  displayOrder: number;
  health: 'unknown' | 'ok' | 'error';
  healthMessage: string | null;
  accountLabel: string | null;
  validatedAt: Date | null;
  catalogueRefreshedAt: Date | null;
  createdAt: Date;
}

export const COLUMNS = [
  'id',
  'kind',
  'name',
  'emulated',
  'base_url',
  'token_ciphertext',
  'active',
  'display_order',
  'health',
  'health_message',
  'account_label',
  'validated_at',
  'catalogue_refreshed_at',
  'created_at',
  'updated_at',
] as const;

export type Row = {
  id: string;
  kind: string;
  name: string;
  emulated: boolean;
  base_url: string | null;
  token_ciphertext: string | null;
  active: boolean;
  display_order: number;
  health: 'unknown' | 'ok' | 'error';
  health_message: string | null;
  account_label: string | null;
  validated_at: Date | null;
  catalogue_refreshed_at: Date | null;
  created_at: Date;
  updated_at: Date;
};

export function view(r: Row): ProviderView {
  return {
    id: r.id,
    kind: r.kind,
    name: r.name,
    emulated: r.emulated,
    baseUrl: r.base_url,
    tokenSet: r.token_ciphertext !== null,
    active: r.active,
    displayOrder: r.display_order,
    health: r.health,
    healthMessage: r.health_message,
    accountLabel: r.account_label,
    validatedAt: r.validated_at,
    catalogueRefreshedAt: r.catalogue_refreshed_at,
    createdAt: r.created_at,
  };
}

/** The provider row as the connector needs it (token sealed); NotFoundError for unknown or malformed ids. */
export async function providerRow(db: DbOrTx, providerId: string): Promise<Row> {
  if (!isUuid(providerId)) throw new NotFoundError('No such provider.');
  const row = await db.selectFrom('cloud_providers').select(COLUMNS).where('id', '=', providerId).executeTakeFirst();
  if (!row) throw new NotFoundError('No such provider.');
  return row;
}

/** Every provider, in display order (staff). */
export async function listProviders(db: DbOrTx, actor: Actor): Promise<ProviderView[]> {
  requirePlatformAdmin(actor);
  const rows = await db
    .selectFrom('cloud_providers')
    .select(COLUMNS)
    .orderBy('display_order')
    .orderBy('name')
    .execute();
  return rows.map(view);
}

export async function getProvider(db: DbOrTx, actor: Actor, providerId: string): Promise<ProviderView> {
  requirePlatformAdmin(actor);
  return view(await providerRow(db, providerId));
}

/**
 * A base URL staff may point a provider at: https, or http only to this machine (an emulator
 * or a local proxy). No credentials, query or fragment in it.
 */
const baseUrl = z
  .string()
  .optional()
  .transform((v, ctx) => {
    const s = (v ?? '').trim();
    if (s === '') return null;
    let url: URL;
    try {
      url = new URL(s);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'Enter a URL such as https://api.example.com/v4, or leave it empty.' });
      return z.NEVER;
    }
    if (!isServiceBaseUrl(url)) {
      ctx.addIssue({ code: 'custom', message: SERVICE_URL_RULE });
      return z.NEVER;
    }
    return url.toString().replace(/\/+$/, '');
  });

const token = z
  .string()
  .optional()
  .transform((v) => (v ?? '').trim())
  .refine((s) => s === '' || /^[\x21-\x7e]{8,200}$/.test(s), 'The API token is 8 to 200 printable characters.');

const providerInput = z.object({
  name: label('name'),
  kind: z.literal('linode', { error: 'Choose the kind of provider.' }).optional().default('linode'),
  token,
  base_url: baseUrl,
  active: checkbox,
  display_order: displayOrder,
});

export async function record(
  db: DbOrTx,
  actor: Actor,
  action: ActivityAction,
  providerId: string,
  now: Date,
  details: Record<string, string | number | boolean | null>,
) {
  await recordActivity(db, {
    action,
    actorUserId: actor.userId,
    target: { type: 'cloud_provider', id: providerId },
    origin: actor.origin,
    occurredAt: now,
    details,
  });
}

/** Staff add a provider: name, kind, API token (required, sealed), optional base URL, active, order. */
export async function addProvider(deps: Pick<Deps, 'db' | 'clock' | 'config'>, actor: Actor, raw: unknown) {
  requirePlatformAdmin(actor);
  const input = parseInput(providerInput, raw);
  if (input.token === '') throw new ValidationError({ token: 'Enter the API token.' });
  const now = deps.clock.now();
  return inTransaction(deps.db, async (trx) => {
    const row = await trx
      .insertInto('cloud_providers')
      .values({
        kind: input.kind,
        name: input.name,
        token_ciphertext: encryptSecret(deps.config.encryptionKeys, input.token),
        base_url: input.base_url,
        active: input.active,
        display_order: input.display_order,
        created_at: now,
        updated_at: now,
      })
      .returning(COLUMNS)
      .executeTakeFirstOrThrow();
    await record(trx, actor, 'admin.provider_added', row.id, now, { name: row.name, kind: row.kind });
    return view(row);
  });
}

/**
 * Staff edit a provider. An empty token keeps the one set; a new one replaces it (and the
 * health goes back to unknown until validated). The demo provider keeps no token or URL.
 */
export async function updateProvider(
  deps: Pick<Deps, 'db' | 'clock' | 'config'>,
  actor: Actor,
  input: { providerId: string; values: unknown },
) {
  requirePlatformAdmin(actor);
  const current = await providerRow(deps.db, input.providerId);
  const values = parseInput(providerInput, input.values);
  const now = deps.clock.now();
  const newToken = !current.emulated && values.token !== '';
  return inTransaction(deps.db, async (trx) => {
    const row = await trx
      .updateTable('cloud_providers')
      .set({
        name: values.name,
        base_url: current.emulated ? null : values.base_url,
        active: values.active,
        display_order: values.display_order,
        // The connector caches clients by updated_at: a new token or URL takes effect at once.
        updated_at: now > current.updated_at ? now : new Date(current.updated_at.getTime() + 1),
        ...(newToken
          ? {
              token_ciphertext: encryptSecret(deps.config.encryptionKeys, values.token),
              health: 'unknown' as const,
              health_message: null,
              account_label: null,
              validated_at: null,
            }
          : {}),
      })
      .where('id', '=', current.id)
      .returning(COLUMNS)
      .executeTakeFirstOrThrow();
    await record(trx, actor, 'admin.provider_updated', row.id, now, {
      name: row.name,
      active: row.active,
      token_replaced: newToken,
      base_url: row.base_url,
    });
    return view(row);
  });
}
