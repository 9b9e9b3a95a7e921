import { sql } from 'kysely';
import type { DbOrTx } from '../../db/index.ts';
import { fetchSize, uuidCursor, type PageRequest } from '../../db/paging.ts';
import { NotFoundError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/organization.ts';
import { storedRules, type Rules } from './rules.ts';

/**
 * Cloud firewalls of an organization: a label, rules (rules.ts), and the organization's
 * servers it guards. `vps_view` reads them, `vps_manage` changes them. Each lives at one
 * provider (a provider firewall guards only that provider's instances): the provider of the
 * first server it is created with, else the provider of the organization's newest live
 * server, else the first active provider in display order. At the provider it is named
 * `sp-fw-<our id>` (labels are unique per provider account, which every customer shares);
 * the customer's label stays with us, unique in the organization.
 *
 * Reads are here; creating, changing and deleting in changes.ts; servers in attachments.ts.
 * Changes go to the provider first and are stored once it agreed, in the transaction that
 * locks the firewall row, so concurrent edits apply one after the other (a create writes its
 * row first, so a taken label is refused before the provider is asked, and removes it if the
 * provider refuses). A provider failure is answered in white-label words (servers/provider.ts).
 * Another organization's firewall or server is not found (404), whatever the route.
 */

export interface FirewallServer {
  id: string;
  label: string;
  status: string;
  ipv4: string[];
}
export interface Firewall {
  id: string;
  label: string;
  rules: Rules;
  providerId: string;
  /** False only if a create was interrupted before the provider answered: the next save creates it there. */
  atProvider: boolean;
  servers: FirewallServer[];
  createdAt: Date;
  updatedAt: Date;
}

export const NO_SUCH_FIREWALL = 'No such firewall.';

function selectFirewalls(db: DbOrTx, orgId: string) {
  return db
    .selectFrom('firewalls')
    .select(['id', 'label', 'rules', 'provider_id', 'provider_firewall_id', 'created_at', 'updated_at'])
    .where('organization_id', '=', orgId)
    .where('deleted_at', 'is', null);
}
type FirewallRow = Awaited<ReturnType<ReturnType<typeof selectFirewalls>['executeTakeFirstOrThrow']>>;

/** The live servers each firewall guards (deleted servers left out). */
async function serversOf(db: DbOrTx, firewallIds: string[]): Promise<Map<string, FirewallServer[]>> {
  const out = new Map<string, FirewallServer[]>(firewallIds.map((id) => [id, []]));
  if (!firewallIds.length) return out;
  const rows = await db
    .selectFrom('firewall_servers as fs')
    .innerJoin('servers as s', 's.id', 'fs.server_id')
    .select(['fs.firewall_id', 's.id', 's.label', 's.status', 's.ipv4'])
    .where('fs.firewall_id', 'in', firewallIds)
    .where('s.deleted_at', 'is', null)
    .orderBy('s.label')
    .execute();
  for (const r of rows) out.get(r.firewall_id)!.push({ id: r.id, label: r.label, status: r.status, ipv4: r.ipv4 });
  return out;
}

async function present(db: DbOrTx, rows: FirewallRow[]): Promise<Firewall[]> {
  const servers = await serversOf(
    db,
    rows.map((r) => r.id),
  );
  return rows.map((r) => ({
    id: r.id,
    label: r.label,
    rules: storedRules(r.rules),
    providerId: r.provider_id,
    atProvider: r.provider_firewall_id !== null,
    servers: servers.get(r.id)!,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }));
}

/**
 * The organization's firewalls, by label (needs `vps_view`); with `serverId`, only those
 * guarding that server (one of the organization's, else 404). With `page`, up to
 * `page.limit + 1` (the extra one only says there are more).
 */
export async function listFirewalls(
  db: DbOrTx,
  actor: Actor,
  opts: { serverId?: string; page?: PageRequest } = {},
): Promise<Firewall[]> {
  const orgId = authorize(actor, 'vps_view');
  let q = selectFirewalls(db, orgId);
  if (opts.serverId !== undefined) {
    const server = isUuid(opts.serverId)
      ? await db
          .selectFrom('servers')
          .select('id')
          .where('id', '=', opts.serverId)
          .where('organization_id', '=', orgId)
          .executeTakeFirst()
      : undefined;
    if (!server) throw new NotFoundError('No such server.');
    q = q.where('id', 'in', db.selectFrom('firewall_servers').select('firewall_id').where('server_id', '=', server.id));
  }
  const cursor = uuidCursor(opts.page);
  if (cursor)
    q = q.where(
      sql<boolean>`(lower(label), id) > (select lower(label), id from firewalls where organization_id = ${orgId} and id = ${cursor})`,
    );
  const limit = fetchSize(opts.page);
  const rows = await q
    .orderBy(sql`lower(label)`)
    .orderBy('id')
    .$if(limit !== null, (b) => b.limit(limit!))
    .execute();
  return present(db, rows);
}

/**
 * The firewalls of organization `orgId` guarding server `serverId`, without looking the server
 * up (the caller finds it through the same organization, possibly at the same time: a server
 * of another organization is guarded by none of this organization's firewalls, so it reads as
 * none). The server page's read (web/pages/portal/servers/extras.ts).
 */
export async function firewallsGuarding(db: DbOrTx, orgId: string, serverId: string): Promise<Firewall[]> {
  if (!isUuid(serverId)) return [];
  const rows = await selectFirewalls(db, orgId)
    .where('id', 'in', db.selectFrom('firewall_servers').select('firewall_id').where('server_id', '=', serverId))
    .orderBy(sql`lower(label)`)
    .orderBy('id')
    .execute();
  return present(db, rows);
}

/** One firewall of the organization, with the servers it guards (needs `vps_view`). */
export async function getFirewall(db: DbOrTx, actor: Actor, id: string): Promise<Firewall> {
  return firewallOf(db, authorize(actor, 'vps_view'), id);
}

/** Firewall `id` of organization `orgId` as a write answers it (the writer's own permission was checked). */
export async function firewallOf(db: DbOrTx, orgId: string, id: string): Promise<Firewall> {
  return (await present(db, [await firewallRow(db, orgId, id)]))[0]!;
}

/** The organization's live firewall row `id` (locked when asked), or NotFound. */
export async function firewallRow(db: DbOrTx, orgId: string, id: string, opts: { lock?: boolean } = {}) {
  if (typeof id !== 'string' || !isUuid(id)) throw new NotFoundError(NO_SUCH_FIREWALL);
  let q = selectFirewalls(db, orgId).where('id', '=', id);
  if (opts.lock) q = q.forUpdate();
  const row = await q.executeTakeFirst();
  if (!row) throw new NotFoundError(NO_SUCH_FIREWALL);
  return row;
}

/** The provider label of firewall `id`: unique on the provider account, 32 characters. */
export const providerLabel = (id: string) => `sp-fw-${id.replace(/-/g, '')}`.slice(0, 32);
