import { sql } from 'kysely';
import type { DbOrTx } from '../../db/index.ts';
import { likePattern } from '../../db/like.ts';
import { can, type Actor } from '../access/actor.ts';
import { canUseSupport } from '../support/tickets.ts';

/**
 * What the command palette finds (issue 16 item 11): the actor's servers, invoices, tickets and
 * notes in the organization they act in, and for platform staff in their own session also users
 * and organizations. Each group asks the permission its own page asks, and every lookup is
 * bound to the actor's organization, so the palette never finds what the pages would refuse:
 *
 * - servers: `vps_view`; live ones (not deleted), by label or address.
 * - invoices: `billing_view`; by number.
 * - tickets: the support rules (src/domain/support/tickets.ts): `tickets_view` or
 *   `tickets_manage` reads the organization's, `tickets_create` alone only one's own; by subject
 *   or number ("#12" or "12").
 * - notes: one's own personal notes, and the organization's with `notes_view` (an API key has no
 *   personal notes); by title or text.
 * - users and organizations: platform admins (not while impersonating: `isPlatformAdmin` is false then).
 *
 * Typed `%`, `_` and `\` match themselves (likePattern). Each group is one query with a LIMIT,
 * filtered first by the organization's index; the groups run at the same time.
 */

/** Results per group at most. */
export const GROUP_LIMIT = 6;
/** Longer searches are cut to this many characters. */
export const MAX_QUERY_LENGTH = 100;

export interface SearchHit {
  /** What the result is called (a server's label, an invoice's number…). */
  label: string;
  /** A second line: an address, a subject, an email. */
  detail: string | null;
  href: string;
}

export interface RecordResults {
  servers: SearchHit[];
  invoices: SearchHit[];
  tickets: SearchHit[];
  notes: SearchHit[];
  users: SearchHit[];
  organizations: SearchHit[];
}

/** The search text as it is searched: whitespace collapsed, trimmed, at most MAX_QUERY_LENGTH characters. */
export function normalizeQuery(raw: string | null | undefined): string {
  return (raw ?? '').replace(/\s+/g, ' ').trim().slice(0, MAX_QUERY_LENGTH);
}

const none = async (): Promise<SearchHit[]> => [];

/** The records matching `query` that `actor` may open, per group (empty groups for an empty query). */
export async function searchRecords(db: DbOrTx, actor: Actor, query: string): Promise<RecordResults> {
  const q = normalizeQuery(query);
  const org = actor.organizationId;
  const empty = q === '';
  const [servers, invoices, tickets, notes, users, organizations] = await Promise.all([
    !empty && org && can(actor, 'vps_view') ? servers_(db, org, q) : none(),
    !empty && org && can(actor, 'billing_view') ? invoices_(db, org, q) : none(),
    !empty && org && canUseSupport(actor) ? tickets_(db, actor, org, q) : none(),
    !empty && org ? notes_(db, actor, org, q) : none(),
    !empty && actor.isPlatformAdmin ? users_(db, q) : none(),
    !empty && actor.isPlatformAdmin ? organizations_(db, q) : none(),
  ]);
  return { servers, invoices, tickets, notes, users, organizations };
}

async function servers_(db: DbOrTx, orgId: string, q: string): Promise<SearchHit[]> {
  const like = likePattern(q);
  const rows = await db
    .selectFrom('servers')
    .select(['id', 'label', 'ipv4', 'ipv6'])
    .where('organization_id', '=', orgId)
    .where('deleted_at', 'is', null)
    .where((w) =>
      w.or([
        w('label', 'ilike', like),
        w(sql<string>`array_to_string(ipv4, ' ')`, 'like', like),
        w('ipv6', 'ilike', like),
      ]),
    )
    .orderBy('label')
    .orderBy('id')
    .limit(GROUP_LIMIT)
    .execute();
  return rows.map((r) => ({ label: r.label, detail: r.ipv4[0] ?? r.ipv6 ?? null, href: `/vps/${r.id}` }));
}

async function invoices_(db: DbOrTx, orgId: string, q: string): Promise<SearchHit[]> {
  const rows = await db
    .selectFrom('invoices')
    .select(['id', 'number', 'kind'])
    .where('organization_id', '=', orgId)
    .where('number', 'ilike', likePattern(q))
    .orderBy('issued_at', 'desc')
    .orderBy('id', 'desc')
    .limit(GROUP_LIMIT)
    .execute();
  return rows.map((r) => ({
    label: r.number,
    detail: r.kind === 'receipt' ? 'Receipt' : 'Monthly statement',
    href: `/invoices/${r.id}`,
  }));
}

async function tickets_(db: DbOrTx, actor: Actor, orgId: string, q: string): Promise<SearchHit[]> {
  // The support rules (tickets.ts visibleTickets): all of the organization's with tickets_view or tickets_manage, else one's own.
  const seesAll = can(actor, 'tickets_view') || can(actor, 'tickets_manage');
  const number = /^#?(\d{1,18})$/.exec(q)?.[1];
  const rows = await db
    .selectFrom('tickets')
    .select(['id', 'number', 'subject'])
    .where('organization_id', '=', orgId)
    .$if(!seesAll, (b) => b.where('opened_by', '=', actor.userId))
    .where((w) =>
      number
        ? w.or([w('number', '=', number), w('subject', 'ilike', likePattern(q))])
        : w('subject', 'ilike', likePattern(q)),
    )
    .orderBy('updated_at', 'desc')
    .orderBy('id', 'desc')
    .limit(GROUP_LIMIT)
    .execute();
  return rows.map((r) => ({ label: `#${r.number}`, detail: r.subject, href: `/support/${r.id}` }));
}

async function notes_(db: DbOrTx, actor: Actor, orgId: string, q: string): Promise<SearchHit[]> {
  // The notes rules (src/domain/notes/notes.ts): one's own personal notes; the organization's with notes_view.
  const me = actor.apiKeyId ? null : actor.userId;
  const seesOrg = can(actor, 'notes_view');
  if (!me && !seesOrg) return [];
  const like = likePattern(q);
  const rows = await db
    .selectFrom('notes as n')
    .leftJoin('servers as s', 's.id', 'n.server_id')
    .select(['n.id', 'n.title', 'n.body', 'n.server_id as serverId', 's.label as serverLabel', 'n.personal_owner_id'])
    .where('n.organization_id', '=', orgId)
    .where((w) => {
      const mine = me ? [w('n.personal_owner_id', '=', me)] : [];
      return w.or(seesOrg ? [...mine, w('n.personal_owner_id', 'is', null)] : mine);
    })
    .where((w) => w.or([w('n.title', 'ilike', like), w('n.body', 'ilike', like)]))
    .orderBy('n.pinned', 'desc')
    .orderBy('n.updated_at', 'desc')
    .orderBy('n.id', 'desc')
    .limit(GROUP_LIMIT)
    .execute();
  return rows.map((r) => {
    const label = r.title || firstLine(r.body);
    const where = r.serverId
      ? `About ${r.serverLabel ?? 'a server'}`
      : r.personal_owner_id
        ? 'Personal'
        : 'Organization';
    // A server's notes sit on its page; the others are found on /notes by the same words.
    const href = r.serverId ? `/vps/${r.serverId}#notes` : `/notes?q=${encodeURIComponent(r.title || q)}`;
    return { label, detail: where, href };
  });
}

async function users_(db: DbOrTx, q: string): Promise<SearchHit[]> {
  const like = likePattern(q);
  const rows = await db
    .selectFrom('users')
    .select(['id', 'name', 'email'])
    .where((w) => w.or([w('name', 'ilike', like), w('email', 'ilike', like)]))
    .orderBy('name')
    .orderBy('id')
    .limit(GROUP_LIMIT)
    .execute();
  return rows.map((r) => ({ label: r.name, detail: r.email, href: `/admin/users/${r.id}` }));
}

async function organizations_(db: DbOrTx, q: string): Promise<SearchHit[]> {
  const rows = await db
    .selectFrom('organizations')
    .select(['id', 'name', 'personal'])
    .where('name', 'ilike', likePattern(q))
    .orderBy('name')
    .orderBy('id')
    .limit(GROUP_LIMIT)
    .execute();
  return rows.map((r) => ({
    label: r.name,
    detail: r.personal ? 'Personal organization' : null,
    href: `/admin/organizations/${r.id}`,
  }));
}

function firstLine(body: string): string {
  const line = body.split('\n').find((l) => l.trim() !== '') ?? '';
  return line.length > 80 ? `${line.slice(0, 79)}…` : line;
}
