import type { Selectable } from 'kysely';
import type { DbOrTx, Tx } from '../../db/index.ts';
import type { ServersTable } from '../../db/types.ts';
import { NotFoundError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/organization.ts';
import type { Permission } from '../access/permissions.ts';

/**
 * How every customer-facing server function finds its server: through the actor's
 * organization, after checking the permission (403), so another organization's id, an
 * unknown one or a malformed one is simply not found (404).
 */
export type ServerRecord = Selectable<ServersTable>;

export const NO_SUCH_SERVER = 'No such server.';

/** The organization's server `id` (deleted ones included), after checking `permission`. */
export async function serverFor(
  db: DbOrTx,
  actor: Actor,
  id: string,
  permission: Permission,
  opts: { lock?: boolean } = {},
): Promise<ServerRecord> {
  const orgId = authorize(actor, permission);
  if (typeof id !== 'string' || !isUuid(id)) throw new NotFoundError(NO_SUCH_SERVER);
  let q = db.selectFrom('servers').selectAll().where('id', '=', id).where('organization_id', '=', orgId);
  if (opts.lock) q = q.forUpdate();
  const row = await q.executeTakeFirst();
  if (!row) throw new NotFoundError(NO_SUCH_SERVER);
  return row;
}

/** A server by id whoever owns it (staff and jobs), locked in `trx` when asked. */
export async function serverById(db: DbOrTx | Tx, id: string, opts: { lock?: boolean } = {}): Promise<ServerRecord> {
  if (typeof id !== 'string' || !isUuid(id)) throw new NotFoundError(NO_SUCH_SERVER);
  let q = db.selectFrom('servers').selectAll().where('id', '=', id);
  if (opts.lock) q = q.forUpdate();
  const row = await q.executeTakeFirst();
  if (!row) throw new NotFoundError(NO_SUCH_SERVER);
  return row;
}
