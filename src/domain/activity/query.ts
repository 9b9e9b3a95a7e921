import { sql } from 'kysely';
import { z } from 'zod';
import type { DbOrTx } from '../../db/index.ts';
import { likePattern } from '../../db/like.ts';
import { invalidCursor, keysetPage, type PageRequest } from '../../db/paging.ts';
import { ValidationError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import { parseInput } from '../../lib/validation.ts';
import { startOfDay } from './dates.ts';
import { ACTIVITY_ACTIONS, type ActivityAction } from './record.ts';

/**
 * Reading the activity log, newest first, with keyset pagination on (occurred_at, id).
 * The cursor carries occurred_at as text with microseconds: a JS Date would round it to
 * milliseconds and skip or repeat rows at page edges.
 */

/** Whose events: one organization's (portal and API), or everyone's (platform staff only). */
export type ActivityScope = { organizationId: string } | 'platform';

export interface ActivityFilter {
  action?: ActivityAction;
  /** Inclusive lower bound. */
  from?: Date;
  /** Exclusive upper bound. */
  before?: Date;
  /** Platform scope only: part of the actor's email address. */
  actorEmail?: string;
  /** Platform scope only: an organization id, or part of its name. */
  organization?: string;
}

const when = z.union([z.iso.date(), z.iso.datetime({ offset: true })], {
  error: 'Use a date (YYYY-MM-DD) or an ISO 8601 date-time.',
});
export const activityFilterInput = z.object({
  action: z.enum(ACTIVITY_ACTIONS, { error: 'Choose an action from the list.' }).optional(),
  from: when.optional(),
  to: when.optional(),
});
export const platformActivityFilterInput = activityFilterInput.extend({
  email: z.string().trim().max(254).optional(),
  organization: z.string().trim().max(100).optional(),
});

/**
 * Filter fields as typed (query strings: blanks mean "any") into a filter. A date is a whole
 * day in `timeZone`, so `to` includes its day; a date-time is an exact instant, `to` inclusive.
 */
export function parseActivityFilter(
  raw: Record<string, unknown>,
  timeZone: string,
  opts: { platform?: boolean } = {},
): ActivityFilter {
  const present = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== '' && v !== undefined && v !== null));
  const input = parseInput(opts.platform ? platformActivityFilterInput : activityFilterInput, present) as z.infer<
    typeof platformActivityFilterInput
  >;
  const from = input.from
    ? input.from.length === 10
      ? startOfDay(input.from, timeZone)
      : new Date(input.from)
    : undefined;
  const before = input.to
    ? input.to.length === 10
      ? startOfDay(input.to, timeZone, 1)
      : new Date(new Date(input.to).getTime() + 1)
    : undefined;
  if (from && before && before <= from) throw new ValidationError({ to: 'The end is before the start.' });
  return {
    action: input.action,
    from,
    before,
    actorEmail: input.email || undefined,
    organization: input.organization || undefined,
  };
}

const CURSOR_AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

export function encodeCursor(row: { cursor_at: string; id: string }): string {
  return Buffer.from(`${row.cursor_at}|${row.id}`).toString('base64url');
}

function decodeCursor(cursor: string): { at: string; id: string } {
  const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (!at || !id || !CURSOR_AT.test(at) || !isUuid(id)) throw invalidCursor();
  return { at, id };
}

function selectActivity(db: DbOrTx, scope: ActivityScope, f: ActivityFilter) {
  let q = db
    .selectFrom('activity_log as a')
    .leftJoin('users as u', 'u.id', 'a.actor_user_id')
    .leftJoin('users as i', 'i.id', 'a.impersonator_user_id')
    .leftJoin('organizations as o', 'o.id', 'a.organization_id')
    .select([
      'a.id',
      'a.occurred_at',
      'a.action',
      'a.organization_id',
      'a.target_type',
      'a.target_id',
      'a.ip',
      'a.user_agent',
      'a.details',
      'a.actor_user_id',
      'u.name as actor_name',
      'u.email as actor_email',
      'a.impersonator_user_id',
      'i.name as impersonator_name',
      'i.email as impersonator_email',
      'o.name as organization_name',
      sql<string>`to_char(a.occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as('cursor_at'),
    ]);
  if (scope !== 'platform') q = q.where('a.organization_id', '=', scope.organizationId);
  if (f.action) q = q.where('a.action', '=', f.action);
  if (f.from) q = q.where('a.occurred_at', '>=', f.from);
  if (f.before) q = q.where('a.occurred_at', '<', f.before);
  if (scope === 'platform' && f.actorEmail) q = q.where('u.email', 'ilike', likePattern(f.actorEmail));
  if (scope === 'platform' && f.organization) {
    q = isUuid(f.organization)
      ? q.where('a.organization_id', '=', f.organization)
      : q.where('o.name', 'ilike', likePattern(f.organization));
  }
  return q;
}

export type ActivityRow = Awaited<ReturnType<ReturnType<typeof selectActivity>['execute']>>[number];

/** One page of events, newest first, and the cursor of the next page (null on the last). */
export async function listActivity(
  db: DbOrTx,
  scope: ActivityScope,
  filter: ActivityFilter,
  page: PageRequest,
): Promise<{ rows: ActivityRow[]; nextCursor: string | null }> {
  let q = selectActivity(db, scope, filter);
  if (page.cursor) {
    const c = decodeCursor(page.cursor);
    q = q.where(sql<boolean>`(a.occurred_at, a.id) < (${c.at}::timestamptz, ${c.id}::uuid)`);
  }
  const rows = await q
    .orderBy('a.occurred_at', 'desc')
    .orderBy('a.id', 'desc')
    .limit(page.limit + 1)
    .execute();
  return keysetPage(rows, page.limit, encodeCursor);
}

/** Every matching event, newest first, fetched a batch at a time (for exports of any size). */
export async function* eachActivity(
  db: DbOrTx,
  scope: ActivityScope,
  filter: ActivityFilter,
  batch = 500,
): AsyncGenerator<ActivityRow> {
  let cursor: string | null = null;
  do {
    const page: { rows: ActivityRow[]; nextCursor: string | null } = await listActivity(db, scope, filter, {
      limit: batch,
      cursor,
    });
    yield* page.rows;
    cursor = page.nextCursor;
  } while (cursor);
}
