import { z } from 'zod';
import { inTransaction, type DbOrTx } from '../../db/index.ts';
import { hashToken, randomToken } from '../../lib/crypto.ts';
import { ForbiddenError, NotFoundError, ValidationError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import { parseInput } from '../../lib/validation.ts';
import { membershipOf, type Actor } from '../access/actor.ts';
import { startOfDay } from '../activity/dates.ts';
import { activityBy, recordActivity, type ActivitySource } from '../activity/record.ts';
import type { Deps } from '../deps.ts';
import { PERMISSIONS, type Permission } from '../access/permissions.ts';

/**
 * API keys: `spk_` + 256 random bits, shown once, stored as SHA-256. A key acts in one
 * organization with a subset of its creator's permissions there, checked again on every
 * request against the creator's current role (see authenticate.ts). Keys are managed only
 * by their owner through a browser session or an access token — never with a key, and never
 * while impersonated.
 */
export const API_KEY_PREFIX = 'spk_';
/** How much of a key is kept in clear to recognise it in lists: `spk_` and 8 characters. */
const SHOWN_PREFIX = 12;

export const createApiKeyInput = z.object({
  name: z.string({ error: 'Enter a name.' }).trim().min(1, 'Enter a name.').max(100, 'Use at most 100 characters.'),
  organization_id: z.string({ error: 'Choose an organization.' }).max(64),
  permissions: z
    .array(z.string().max(64), { error: 'Choose at least one permission.' })
    .min(1, 'Choose at least one permission.')
    .max(100),
  expires_at: z
    .union([z.iso.date(), z.iso.datetime({ offset: true })], {
      error: 'Use a date (YYYY-MM-DD) or an ISO 8601 date-time.',
    })
    .nullable()
    .optional(),
});

export type ApiKeyRow = Awaited<ReturnType<typeof listApiKeys>>[number];

function refuseKeysAndImpersonation(actor: Actor) {
  if (actor.apiKeyId)
    throw new ForbiddenError('API keys are managed with an access token or in the browser, not with an API key.');
  if (actor.impersonatorUserId) throw new ForbiddenError('API keys cannot be changed while impersonating a user.');
}

/**
 * Creates a key; returns it with the secret (the only time it exists outside the caller).
 * A date-only expiry means the end of that day in `timeZone`.
 */
export async function createApiKey(deps: Deps, actor: Actor, raw: unknown, opts: { timeZone?: string } = {}) {
  refuseKeysAndImpersonation(actor);
  const input = parseInput(createApiKeyInput, raw);
  const now = deps.clock.now();
  // One message for "no such organization" and "not yours": nothing learnt about other tenants.
  const membership = isUuid(input.organization_id)
    ? await membershipOf(deps.db, actor.userId, input.organization_id)
    : null;
  if (!membership) throw new ValidationError({ organization_id: 'Choose one of your organizations.' });
  const known = new Set<string>(PERMISSIONS);
  const unknown = input.permissions.find((p) => !known.has(p));
  if (unknown) throw new ValidationError({ permissions: `“${unknown.slice(0, 40)}” is not a permission.` });
  const lacking = input.permissions.find((p) => !membership.permissions.has(p as Permission));
  if (lacking)
    throw new ValidationError({
      permissions: `You do not have ${lacking} in this organization, so a key cannot have it.`,
    });
  let expiresAt: Date | null = null;
  if (input.expires_at) {
    expiresAt =
      input.expires_at.length === 10
        ? startOfDay(input.expires_at, opts.timeZone ?? 'UTC', 1)
        : new Date(input.expires_at);
    if (expiresAt <= now) throw new ValidationError({ expires_at: 'Choose an expiry in the future.' });
  }
  const permissions = PERMISSIONS.filter((p) => input.permissions.includes(p));
  const key = API_KEY_PREFIX + randomToken(32);
  const row = await inTransaction(deps.db, async (trx) => {
    const created = await trx
      .insertInto('api_keys')
      .values({
        user_id: actor.userId,
        organization_id: membership.organizationId,
        name: input.name,
        prefix: key.slice(0, SHOWN_PREFIX),
        key_hash: hashToken(key),
        permissions,
        created_at: now,
        expires_at: expiresAt,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await recordActivity(
      trx,
      activityBy(actor, 'api_key.created', {
        organizationId: membership.organizationId,
        target: { type: 'api_key', id: created.id },
        details: {
          name: input.name,
          prefix: key.slice(0, SHOWN_PREFIX),
          permissions: permissions.join(' '),
          expires_at: expiresAt?.toISOString() ?? null,
        },
        occurredAt: now,
      }),
    );
    return (await findOwnKey(trx, actor.userId, created.id))!;
  });
  return { key, apiKey: row };
}

function selectKeys(db: DbOrTx, userId: string) {
  return db
    .selectFrom('api_keys as k')
    .innerJoin('organizations as o', 'o.id', 'k.organization_id')
    .select([
      'k.id',
      'k.name',
      'k.prefix',
      'k.organization_id',
      'o.name as organization_name',
      'k.permissions',
      'k.created_at',
      'k.expires_at',
      'k.last_used_at',
    ])
    .where('k.user_id', '=', userId)
    .where('k.revoked_at', 'is', null);
}

async function findOwnKey(db: DbOrTx, userId: string, id: string) {
  return selectKeys(db, userId).where('k.id', '=', id).executeTakeFirst();
}

/**
 * The actor's own live (not revoked) keys in every organization, newest first; expired ones
 * included. Readable while impersonated (support may look), never with a key.
 */
export async function listApiKeys(db: DbOrTx, actor: Actor) {
  if (actor.apiKeyId) refuseKeysAndImpersonation(actor);
  return selectKeys(db, actor.userId).orderBy('k.created_at', 'desc').orderBy('k.id').execute();
}

/** Revokes one of the actor's own keys; someone else's, or an already revoked one, is not found. */
export async function revokeApiKey(deps: Deps, actor: Actor, id: string): Promise<void> {
  refuseKeysAndImpersonation(actor);
  if (!isUuid(id)) throw new NotFoundError('No such API key.');
  const now = deps.clock.now();
  await inTransaction(deps.db, async (trx) => {
    const key = await trx
      .updateTable('api_keys')
      .set({ revoked_at: now })
      .where('id', '=', id)
      .where('user_id', '=', actor.userId)
      .where('revoked_at', 'is', null)
      .returning(['id', 'name', 'prefix', 'organization_id'])
      .executeTakeFirst();
    if (!key) throw new NotFoundError('No such API key.');
    await recordActivity(
      trx,
      activityBy(actor, 'api_key.revoked', {
        organizationId: key.organization_id,
        target: { type: 'api_key', id: key.id },
        details: { name: key.name, prefix: key.prefix },
        occurredAt: now,
      }),
    );
  });
}

/**
 * Revokes every live key of a user whose password was just changed or reset, inside that
 * transaction: a key made by whoever knew the old password must not outlive it. Each key's
 * revocation is recorded in its organization. Returns how many were revoked.
 */
export async function revokeKeysOnPasswordChange(
  trx: DbOrTx,
  userId: string,
  how: { reason: 'password_changed' | 'password_reset'; source: ActivitySource },
  now: Date,
): Promise<number> {
  const keys = await trx
    .updateTable('api_keys')
    .set({ revoked_at: now })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .returning(['id', 'name', 'prefix', 'organization_id'])
    .execute();
  for (const key of keys) {
    await recordActivity(trx, {
      action: 'api_key.revoked',
      actorUserId: userId,
      impersonatorUserId: how.source.impersonatorUserId,
      origin: how.source.origin,
      organizationId: key.organization_id,
      target: { type: 'api_key', id: key.id },
      details: { name: key.name, prefix: key.prefix, reason: how.reason },
      occurredAt: now,
    });
  }
  return keys.length;
}
