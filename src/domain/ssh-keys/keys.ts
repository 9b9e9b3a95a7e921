import { sql } from 'kysely';
import { z } from 'zod';
import { inTransaction, type DbOrTx } from '../../db/index.ts';
import { fetchSize, uuidCursor, type PageRequest } from '../../db/paging.ts';
import { ConflictError, NotFoundError, ValidationError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/organization.ts';
import { activityBy, recordActivity } from '../activity/record.ts';
import type { Deps } from '../deps.ts';
import { MAX_KEY_LENGTH, parsePublicKey } from './parse.ts';

/**
 * An organization's SSH public keys: any member with `ssh_keys_view` sees them, `ssh_keys_manage`
 * adds and deletes them. They are offered when a server is created or rebuilt, and sent to the
 * provider only with that one create or rebuild (`publicKeysFor`); they are never uploaded to
 * the reseller's own profile at the provider, where every customer's keys would meet.
 * A key is unique per organization by fingerprint.
 */

export interface SshKey {
  id: string;
  name: string;
  publicKey: string;
  fingerprint: string;
  /** The key's algorithm (`ssh-ed25519`), read from the key. */
  type: string;
  createdAt: Date;
  createdBy: string | null;
}

export const sshKeyInput = z.object({
  name: z.string({ error: 'Enter a name.' }).trim().max(100, 'Use at most 100 characters.').optional(),
  publicKey: z
    .string({ error: 'Paste a public key.' })
    .max(MAX_KEY_LENGTH, 'This is too long for a public key.')
    .optional()
    .default(''),
});

const present = (r: {
  id: string;
  name: string;
  public_key: string;
  fingerprint: string;
  created_at: Date;
  creator: string | null;
}): SshKey => ({
  id: r.id,
  name: r.name,
  publicKey: r.public_key,
  fingerprint: r.fingerprint,
  type: r.public_key.split(' ')[0]!,
  createdAt: r.created_at,
  createdBy: r.creator,
});

function selectKeys(db: DbOrTx, orgId: string) {
  return db
    .selectFrom('ssh_keys as k')
    .leftJoin('users as u', 'u.id', 'k.created_by')
    .select(['k.id', 'k.name', 'k.public_key', 'k.fingerprint', 'k.created_at', 'u.name as creator'])
    .where('k.organization_id', '=', orgId);
}

/**
 * The organization's keys, newest first (needs `ssh_keys_view`). With `page`, up to
 * `page.limit + 1` rows from after the cursor (the extra one only says there are more).
 */
export async function listSshKeys(db: DbOrTx, actor: Actor, page?: PageRequest): Promise<SshKey[]> {
  const orgId = authorize(actor, 'ssh_keys_view');
  const cursor = uuidCursor(page);
  let q = selectKeys(db, orgId);
  if (cursor)
    q = q.where(
      sql<boolean>`(k.created_at, k.id) < (select created_at, id from ssh_keys where organization_id = ${orgId} and id = ${cursor})`,
    );
  const limit = fetchSize(page);
  const rows = await q
    .orderBy('k.created_at', 'desc')
    .orderBy('k.id', 'desc')
    .$if(limit !== null, (b) => b.limit(limit!))
    .execute();
  return rows.map(present);
}

/** One key of the organization (needs `ssh_keys_view`); another organization's is not found. */
export async function getSshKey(db: DbOrTx, actor: Actor, id: string): Promise<SshKey> {
  const orgId = authorize(actor, 'ssh_keys_view');
  const row = isUuid(id) ? await selectKeys(db, orgId).where('k.id', '=', id).executeTakeFirst() : undefined;
  if (!row) throw new NotFoundError('No such SSH key.');
  return present(row);
}

/**
 * Adds a key (needs `ssh_keys_manage`). The name defaults to the key's comment. A key the
 * organization already has (same fingerprint) is a ConflictError naming the key it has.
 */
export async function addSshKey(
  deps: Pick<Deps, 'db' | 'clock'>,
  actor: Actor,
  raw: { name?: string; publicKey?: string },
): Promise<SshKey> {
  const orgId = authorize(actor, 'ssh_keys_manage');
  const input = parseInput(sshKeyInput, raw);
  const key = parsePublicKey(input.publicKey);
  const name = input.name || key.comment?.slice(0, 100) || '';
  if (!name) throw new ValidationError({ name: 'Enter a name, e.g. “Olive’s laptop”.' });
  const now = deps.clock.now();
  try {
    return await inTransaction(deps.db, async (trx) => {
      const row = await trx
        .insertInto('ssh_keys')
        .values({
          organization_id: orgId,
          name,
          public_key: key.publicKey,
          fingerprint: key.fingerprint,
          created_by: actor.userId,
          created_at: now,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await recordActivity(
        trx,
        activityBy(actor, 'ssh_key.added', {
          target: { type: 'ssh_key', id: row.id },
          details: { name, fingerprint: key.fingerprint, type: key.type },
          occurredAt: now,
        }),
      );
      return present((await selectKeys(trx, orgId).where('k.id', '=', row.id).executeTakeFirst())!);
    });
  } catch (err) {
    if ((err as { code?: string }).code !== '23505') throw err;
    const existing = await deps.db
      .selectFrom('ssh_keys')
      .select('name')
      .where('organization_id', '=', orgId)
      .where('fingerprint', '=', key.fingerprint)
      .executeTakeFirst();
    throw new DuplicateSshKeyError(existing?.name ?? name);
  }
}

/** The organization already has this key: 409 in the API, the form again (422) with the message on `public_key`. */
export class DuplicateSshKeyError extends ConflictError {
  override readonly fields: Record<string, string>;
  constructor(existingName: string) {
    super(`Your organization already has this key, as “${existingName}”.`);
    this.fields = { public_key: this.message };
  }
}

/** Deletes a key (needs `ssh_keys_manage`). Servers made with it keep it: it was written to them at creation. */
export async function deleteSshKey(deps: Pick<Deps, 'db' | 'clock'>, actor: Actor, id: string): Promise<void> {
  const orgId = authorize(actor, 'ssh_keys_manage');
  if (!isUuid(id)) throw new NotFoundError('No such SSH key.');
  const now = deps.clock.now();
  await inTransaction(deps.db, async (trx) => {
    const row = await trx
      .deleteFrom('ssh_keys')
      .where('id', '=', id)
      .where('organization_id', '=', orgId)
      .returning(['id', 'name', 'fingerprint'])
      .executeTakeFirst();
    if (!row) throw new NotFoundError('No such SSH key.');
    await recordActivity(
      trx,
      activityBy(actor, 'ssh_key.deleted', {
        target: { type: 'ssh_key', id: row.id },
        details: { name: row.name, fingerprint: row.fingerprint },
        occurredAt: now,
      }),
    );
  });
}

/**
 * The public key lines of `ids`, in the order given (repeats once), for a server create or
 * rebuild in `organizationId`. Any id that is not one of that organization's keys (another
 * organization's, deleted, malformed) is a ValidationError on `ssh_key_ids`, the same for all.
 * The caller checks its own permission (vps_create, vps_manage).
 */
export async function publicKeysFor(db: DbOrTx, organizationId: string, ids: readonly string[]): Promise<string[]> {
  const unique = [...new Set(ids)];
  if (!unique.length) return [];
  if (unique.length > 50) throw new ValidationError({ ssh_key_ids: 'Choose at most 50 SSH keys.' });
  if (!unique.every(isUuid)) throw new ValidationError({ ssh_key_ids: UNKNOWN_KEYS });
  const rows = await db
    .selectFrom('ssh_keys')
    .select(['id', 'public_key'])
    .where('organization_id', '=', organizationId)
    .where('id', 'in', unique)
    .execute();
  if (rows.length !== unique.length) throw new ValidationError({ ssh_key_ids: UNKNOWN_KEYS });
  const byId = new Map(rows.map((r) => [r.id, r.public_key]));
  return unique.map((id) => byId.get(id)!);
}

const UNKNOWN_KEYS = 'Choose SSH keys from your organization’s list; one of these is not there (was it deleted?).';
