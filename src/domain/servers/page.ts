import { sql } from 'kysely';
import { CATALOGUE, type DataCache } from '../../lib/data-cache.ts';
import { NotFoundError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import { cachedReads, type CloudReads } from '../../providers/cloud-reads.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/organization.ts';
import type { CloudProviderRow, Deps } from '../deps.ts';
import { compiledOnce, slot } from './compiled.ts';
import { NO_SUCH_SERVER } from './find.ts';
import { serverRows, toServerView, type ActionView, type ServerView } from './view.ts';

/**
 * A server's page in as few round trips as it can be: one query finds the server through the
 * actor's organization (another's id, an unknown or malformed one: 404) and brings along what
 * the page shows from our own tables beside it — its cost this month, its newest actions, the
 * backups add-on's price, whether it has firewalls or notes at all, its provider's row — and
 * the change mark the provider reads are cached under.
 *
 * The change mark moves with every write the app makes to the server: a new action (power,
 * rename, rDNS, backups, snapshot, restore, rebuild, resize, delete, dunning's), an action
 * accepted, completed or failed, and a change of the row (`updated_at`, status changes).
 * Provider reads cached under it (providers/cloud-reads.ts) are therefore never older than
 * the customer's own last change, on any process.
 */

export interface ServerCosts {
  thisMonth: bigint;
  hours: number;
  hourly: bigint;
  currency: string;
}

/** How many of the server's actions the page lists (newest first). */
export const RECENT_ACTIONS = 20;

/** A server_actions row as json_agg writes it (times as ISO text). */
interface ActionJson {
  id: string;
  type: ActionView['type'];
  status: ActionView['status'];
  error: string | null;
  created_at: string;
  finished_at: string | null;
}

export interface ServerPage {
  server: ServerView;
  costs: ServerCosts;
  /** Its RECENT_ACTIONS newest actions, newest first. */
  actions: ActionView[];
  /** The backups add-on's monthly price in force now (0 when the plan has none). */
  backupsMonthly: bigint;
  /** False when no firewall guards the server / no note is about it; true when some may. */
  mayHave: { firewalls: boolean; notes: boolean };
  /** What the provider reads need (query.ts `…Of`, addresses.ts, backups.ts). */
  instance: {
    id: string;
    provider_instance_id: string | null;
    status: ServerView['status'];
    backups_enabled: boolean;
  };
  provider: CloudProviderRow;
  /** Changes with every write to the server (see above). */
  mark: string;
}

const month = sql<Date>`date_trunc('month', now())`;

/** The page's one query (compiled once: its text never changes). */
const pageRow = compiledOnce((db) =>
  serverRows(db)
    .innerJoin('cloud_providers as cp', 'cp.id', 's.provider_id')
    .leftJoinLateral(
      (eb) =>
        eb
          .selectFrom('server_charges as ch')
          .select([sql<string>`coalesce(sum(ch.amount), 0)`.as('charged'), sql<number>`count(*)::int`.as('hours')])
          .whereRef('ch.server_id', '=', 's.id')
          .where('ch.hour_start', '>=', month)
          .as('ch'),
      (j) => j.onTrue(),
    )
    .leftJoinLateral(
      (eb) =>
        eb
          .selectFrom('server_charge_refunds as re')
          .select(sql<string>`coalesce(sum(re.amount), 0)`.as('refunded'))
          .whereRef('re.server_id', '=', 's.id')
          .where('re.hour_start', '>=', month)
          .as('re'),
      (j) => j.onTrue(),
    )
    .leftJoinLateral(
      // Every action adds one to the count; accepting one takes one off the pending; finishing one adds a finished.
      (eb) =>
        eb
          .selectFrom('server_actions as a')
          .select(
            sql<string>`count(*) || '/' || count(a.finished_at) || '/' || count(*) filter (where a.status = 'pending')`.as(
              'actions_mark',
            ),
          )
          .whereRef('a.server_id', '=', 's.id')
          .as('am'),
      (j) => j.onTrue(),
    )
    .select(
      sql<ActionJson[] | null>`(select json_agg(r order by r.created_at desc, r.id desc) from (
      select a.id, a.type, a.status, a.error, a.created_at, a.finished_at from server_actions a
      where a.server_id = s.id order by a.created_at desc, a.id desc limit ${RECENT_ACTIONS}) r)`.as('recent_actions'),
    )
    .select([
      // Whether anything could be there: never false when it is (firewalls/firewalls.ts and
      // notes/notes.ts read what is), so a page skips two reads for a server with neither.
      sql<boolean>`exists (select 1 from firewall_servers fs where fs.server_id = s.id)`.as('may_have_firewalls'),
      sql<boolean>`exists (select 1 from notes n where n.organization_id = s.organization_id and n.server_id = s.id)`.as(
        'may_have_notes',
      ),
      's.updated_at',
      'cp.kind as cp_kind',
      'cp.emulated as cp_emulated',
      'cp.base_url as cp_base_url',
      'cp.token_ciphertext as cp_token_ciphertext',
      'cp.updated_at as cp_updated_at',
      'ch.charged',
      'ch.hours',
      're.refunded',
      'am.actions_mark',
    ])
    .where('s.id', '=', slot<string>('id'))
    .where('s.organization_id', '=', slot<string>('orgId')),
);

type PageRow = Awaited<ReturnType<typeof pageRow>>[number];

/**
 * The organization's server `id` and what its page shows from our tables (vps_view), in one
 * query. With the data cache it is kept per (organization, server) until the organization's
 * data or the catalogue changes: every table the query reads names the organization when
 * written (migrations 0021 and 0047), so a change shows on the next view, on every process. The
 * month's costs roll over within the cache's 30 s. The page is shared: treat it as read-only.
 */
export async function serverPage(
  deps: Pick<Deps, 'db'> & { cache?: DataCache },
  actor: Actor,
  id: string,
): Promise<ServerPage> {
  const orgId = authorize(actor, 'vps_view');
  if (typeof id !== 'string' || !isUuid(id)) throw new NotFoundError(NO_SUCH_SERVER);
  const read = async () => {
    const [row] = await pageRow(deps.db, { id, orgId });
    return row ? pageOf(row) : null;
  };
  // Keyed by the organization too: another organization's id finds nothing, cached or not.
  const page = deps.cache
    ? await deps.cache.read(`server-page:${orgId}:${id}`, [orgId, CATALOGUE], read)
    : await read();
  if (!page) throw new NotFoundError(NO_SUCH_SERVER);
  return page;
}

function pageOf(row: PageRow): ServerPage {
  const server = toServerView(row);
  return {
    server,
    costs: {
      thisMonth: BigInt(row.charged ?? 0) - BigInt(row.refunded ?? 0),
      hours: row.hours ?? 0,
      hourly: server.status !== 'deleted' && server.status !== 'failed' ? server.hourlyPrice : 0n,
      currency: server.currency,
    },
    actions: (row.recent_actions ?? []).map((a) => ({
      id: a.id,
      type: a.type,
      status: a.status,
      error: a.error,
      createdAt: new Date(a.created_at),
      finishedAt: a.finished_at === null ? null : new Date(a.finished_at),
    })),
    backupsMonthly: row.backups_monthly ?? 0n,
    mayHave: { firewalls: row.may_have_firewalls, notes: row.may_have_notes },
    instance: {
      id: row.id,
      provider_instance_id: row.provider_instance_id,
      status: row.status,
      backups_enabled: row.backups_enabled,
    },
    provider: {
      id: row.provider_id,
      kind: row.cp_kind,
      emulated: row.cp_emulated,
      base_url: row.cp_base_url,
      token_ciphertext: row.cp_token_ciphertext,
      updated_at: row.cp_updated_at,
    },
    mark: `${row.updated_at.getTime()}:${row.actions_mark ?? ''}`,
  };
}

/**
 * How the page's provider reads reach the provider: its client (a CloudError when it cannot
 * be reached, as cloudFor), answering from memory for a few seconds under the page's mark.
 */
export function pageReach(deps: Pick<Deps, 'clouds'>, page: ServerPage): () => CloudReads {
  return () => cachedReads(deps.clouds.forProvider(page.provider), page.mark);
}
