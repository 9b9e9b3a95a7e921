import { CATALOGUE, type DataCache } from '../../lib/data-cache.ts';
import { sql } from 'kysely';
import { z } from 'zod';
import { keysetPage, uuidCursor, type PageRequest } from '../../db/paging.ts';
import { likePattern } from '../../db/like.ts';
import type { ServerStatus } from '../../db/types.ts';
import type { CloudStats, CloudTransfer } from '../../providers/cloud.ts';
import type { CloudReads } from '../../providers/cloud-reads.ts';
import { NotFoundError, ValidationError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/organization.ts';
import type { Deps } from '../deps.ts';
import { compiledOnce, slot } from './compiled.ts';
import { NO_SUCH_SERVER, serverFor, type ServerRecord } from './find.ts';
import { serverPage, type ServerCosts } from './page.ts';
import { cloudFor, providerFailure } from './provider.ts';
import { SERVER_STATUSES } from './status.ts';
import { serverRows, toActionView, toServerView, type ActionView, type ServerView } from './view.ts';

/**
 * Reading an organization's servers (vps_view). Lists leave deleted servers out unless the
 * status filter asks for them; a failed create stays listed (with its reason) until dismissed.
 */

export interface ServerFilters {
  /** Part of the label or an IPv4 address. */
  q?: string;
  status?: string;
  region?: string;
}

const filterSchema = z.object({
  q: z.string().trim().max(100, 'At most 100 characters.').optional(),
  status: z.enum(SERVER_STATUSES, { error: 'Choose a status from the list.' }).optional(),
  region: z.string().trim().max(64).optional(),
});

type Reader = Pick<Deps, 'db'> & { cache?: DataCache };

/**
 * The list's query for one combination of filters (`shape`: s status, r region, q search, c
 * cursor), compiled once (compiled.ts): at most 16 of them.
 */
function listQuery(shape: string) {
  return compiledOnce((db) => {
    let q = serverRows(db).where('s.organization_id', '=', slot<string>('orgId'));
    q = shape.includes('s')
      ? q.where('s.status', '=', slot<ServerStatus>('status'))
      : q.where('s.status', '!=', 'deleted');
    if (shape.includes('r')) q = q.where('s.region', '=', slot<string>('region'));
    if (shape.includes('q')) {
      const pattern = slot<string>('pattern');
      q = q.where((eb) =>
        eb.or([eb('s.label', 'ilike', pattern), eb(sql<string>`array_to_string(s.ipv4, ' ')`, 'like', pattern)]),
      );
    }
    if (shape.includes('c'))
      q = q.where(
        sql<boolean>`(s.created_at, s.id) < (select created_at, id from servers where id = ${slot('cursor')} and organization_id = ${slot('orgId')})`,
      );
    return q.orderBy('s.created_at', 'desc').orderBy('s.id', 'desc').limit(slot<number>('limit'));
  });
}
const listQueries = new Map<string, ReturnType<typeof listQuery>>();

/** One keyset page of the organization's servers, newest first, and the next page's cursor. */
export async function listServers(
  deps: Reader,
  actor: Actor,
  filters: ServerFilters,
  page: PageRequest,
): Promise<{ items: ServerView[]; nextCursor: string | null }> {
  const orgId = authorize(actor, 'vps_view');
  const present = Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== '' && v !== undefined));
  const parsed = filterSchema.safeParse(present);
  if (!parsed.success)
    throw new ValidationError(Object.fromEntries(parsed.error.issues.map((i) => [String(i.path[0]), i.message])));
  const f = parsed.data;
  const cursor = uuidCursor(page);
  const shape = `${f.status ? 's' : ''}${f.region ? 'r' : ''}${f.q ? 'q' : ''}${cursor ? 'c' : ''}`;
  let query = listQueries.get(shape);
  if (!query) listQueries.set(shape, (query = listQuery(shape)));
  const params = {
    orgId,
    limit: page.limit + 1,
    ...(f.status ? { status: f.status } : {}),
    ...(f.region ? { region: f.region } : {}),
    ...(f.q ? { pattern: likePattern(f.q) } : {}),
    ...(cursor ? { cursor } : {}),
  };
  const read = async () => {
    const { rows, nextCursor } = keysetPage(await query(deps.db, params), page.limit, (r) => r.id);
    return { items: rows.map(toServerView), nextCursor };
  };
  // With the data cache: the page as shown, kept until one of the organization's servers or the
  // catalogue changes (a price coming into force later shows within the cache's 30 s).
  return deps.cache ? deps.cache.read(`servers:${shape}:${JSON.stringify(params)}`, [orgId, CATALOGUE], read) : read();
}

const oneServer = compiledOnce((db) =>
  serverRows(db).where('s.id', '=', slot<string>('id')).where('s.organization_id', '=', slot<string>('orgId')),
);

/** One of the organization's servers (deleted ones read as deleted), in one round trip. */
export async function getServer(deps: Reader, actor: Actor, id: string): Promise<ServerView> {
  const orgId = authorize(actor, 'vps_view');
  if (typeof id !== 'string' || !isUuid(id)) throw new NotFoundError(NO_SUCH_SERVER);
  const [row] = await oneServer(deps.db, { id, orgId });
  if (!row) throw new NotFoundError(NO_SUCH_SERVER);
  return toServerView(row);
}

/** What the server has cost this calendar month (charges less refunds, DB clock), the hours charged, and its hourly rate now. */
export async function serverCosts(deps: Reader, actor: Actor, id: string): Promise<ServerCosts> {
  return (await serverPage(deps, actor, id)).costs;
}

/** The parts of an (already found and authorized) server its provider reads need. */
export type InstanceRef = Pick<ServerRecord, 'id' | 'provider_instance_id' | 'status' | 'backups_enabled'>;

/** How a read reaches the provider: the client, looked up only when the server has an instance. */
type Reach = () => CloudReads | Promise<CloudReads>;

/** Transfer used this month, from the provider; null while the server has no instance. */
export async function serverTransfer(
  deps: Pick<Deps, 'db' | 'clouds' | 'log'>,
  actor: Actor,
  id: string,
): Promise<CloudTransfer | null> {
  const server = await serverFor(deps.db, actor, id, 'vps_view');
  return transferOf(deps, server, () => cloudFor(deps, deps.db, server.provider_id));
}

/** serverTransfer of a server the caller found. */
export async function transferOf(
  deps: Pick<Deps, 'log'>,
  server: InstanceRef,
  reach: Reach,
): Promise<CloudTransfer | null> {
  if (!server.provider_instance_id || server.status === 'deleted') return null;
  const cloud = await reach();
  try {
    return await cloud.transfer(server.provider_instance_id);
  } catch (err) {
    throw providerFailure(deps.log, err, { serverId: server.id, op: 'transfer' });
  }
}

/** The last day's graphs, from the provider; null while there are none yet (or no instance). */
export async function serverStats(
  deps: Pick<Deps, 'db' | 'clouds' | 'log'>,
  actor: Actor,
  id: string,
): Promise<CloudStats | null> {
  const server = await serverFor(deps.db, actor, id, 'vps_view');
  return statsOf(deps, server, () => cloudFor(deps, deps.db, server.provider_id));
}

/** serverStats of a server the caller found. */
export async function statsOf(deps: Pick<Deps, 'log'>, server: InstanceRef, reach: Reach): Promise<CloudStats | null> {
  if (!server.provider_instance_id || server.status === 'deleted') return null;
  const cloud = await reach();
  try {
    return await cloud.stats(server.provider_instance_id);
  } catch (err) {
    throw providerFailure(deps.log, err, { serverId: server.id, op: 'stats' });
  }
}

/** The server's actions, newest first (at most `limit`, default 50). */
export async function serverActions(
  deps: Reader,
  actor: Actor,
  id: string,
  opts: { limit?: number } = {},
): Promise<ActionView[]> {
  const server = await serverFor(deps.db, actor, id, 'vps_view');
  const rows = await deps.db
    .selectFrom('server_actions')
    .selectAll()
    .where('server_id', '=', server.id)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(Math.min(Math.max(opts.limit ?? 50, 1), 200))
    .execute();
  return rows.map(toActionView);
}
