import { sql } from 'kysely';
import { z } from 'zod';
import type { DbOrTx } from '../../db/index.ts';
import { publish } from '../../db/notify.ts';
import { invalidCursor, keysetPage, type PageRequest } from '../../db/paging.ts';
import { type DataCache, userScope } from '../../lib/data-cache.ts';
import { NotFoundError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Deps } from '../deps.ts';
import { NOTIFICATION_CATEGORIES, type NotificationCategory } from './kinds.ts';

/**
 * A person's notifications (issue 14 item 7): the bell's unread count and latest ten, the
 * /notifications list with its filters, and marking read. Everything is found through the
 * person (`userId`): another person's notification is simply not found (404).
 *
 * A notification about an organization is shown only while the person is still a member of
 * it: someone removed from a team stops seeing its servers' news.
 *
 * Reading one (or all) announces `notification.read` to the person's other tabs, whose bells
 * then re-read their count.
 */
export const READ_TOPIC = 'notification.read';

export interface NotificationFilter {
  category?: NotificationCategory;
  unread?: boolean;
}

export const notificationFilterInput = z.object({
  category: z.enum(NOTIFICATION_CATEGORIES, { error: 'Choose a category from the list.' }).optional(),
  unread: z
    .union([z.boolean(), z.enum(['true', 'false', '1', '0', 'on'])], { error: 'Say true or false.' })
    .transform((v) => v === true || v === 'true' || v === '1' || v === 'on')
    .optional(),
});

/** Filter fields as typed (query strings: blanks mean "any"). */
export function parseNotificationFilter(raw: Record<string, unknown>): NotificationFilter {
  const present = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== '' && v !== undefined && v !== null));
  const f = parseInput(notificationFilterInput, present);
  return { category: f.category, unread: f.unread || undefined };
}

function visible(db: DbOrTx, userId: string) {
  return db
    .selectFrom('notifications as n')
    .where('n.user_id', '=', userId)
    .where((eb) =>
      eb.or([
        eb('n.organization_id', 'is', null),
        eb.exists(
          eb
            .selectFrom('organization_members as m')
            .select('m.user_id')
            .whereRef('m.organization_id', '=', 'n.organization_id')
            .whereRef('m.user_id', '=', 'n.user_id'),
        ),
      ]),
    );
}

function selectNotifications(db: DbOrTx, userId: string) {
  return visible(db, userId).select([
    'n.id',
    'n.organization_id',
    'n.category',
    'n.kind',
    'n.data',
    'n.created_at',
    'n.read_at',
    sql<string>`to_char(n.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as('cursor_at'),
  ]);
}

export type NotificationRow = Awaited<ReturnType<ReturnType<typeof selectNotifications>['execute']>>[number];

const CURSOR_AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const encodeCursor = (r: { cursor_at: string; id: string }) =>
  Buffer.from(`${r.cursor_at}|${r.id}`).toString('base64url');
function decodeCursor(cursor: string): { at: string; id: string } {
  const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (!at || !id || !CURSOR_AT.test(at) || !isUuid(id)) throw invalidCursor();
  return { at, id };
}

/** One page of the person's notifications, newest first, and the cursor of the next page. */
export async function listNotifications(
  db: DbOrTx,
  userId: string,
  filter: NotificationFilter,
  page: PageRequest,
): Promise<{ rows: NotificationRow[]; nextCursor: string | null }> {
  let q = selectNotifications(db, userId);
  if (filter.category) q = q.where('n.category', '=', filter.category);
  if (filter.unread) q = q.where('n.read_at', 'is', null);
  if (page.cursor) {
    const c = decodeCursor(page.cursor);
    q = q.where(sql<boolean>`(n.created_at, n.id) < (${c.at}::timestamptz, ${c.id}::uuid)`);
  }
  const rows = await q
    .orderBy('n.created_at', 'desc')
    .orderBy('n.id', 'desc')
    .limit(page.limit + 1)
    .execute();
  return keysetPage(rows, page.limit, encodeCursor);
}

/** The bell's count stops here ("99+"): counting further would only cost time. */
export const UNREAD_CAP = 100;

/**
 * How many unread notifications the person has (at most UNREAD_CAP). With `cache`, kept per
 * person until their notifications or memberships change (migration 0024's trigger).
 */
export async function unreadCount(db: DbOrTx, userId: string, opts: { cache?: DataCache } = {}): Promise<number> {
  const load = async () => {
    const row = await db
      .selectFrom(visible(db, userId).where('n.read_at', 'is', null).select('n.id').limit(UNREAD_CAP).as('u'))
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  };
  if (!opts.cache) return load();
  return opts.cache.read(`inbox:${userId}`, [`inbox:${userId}`, userScope(userId)], load);
}

/** Marks one of the person's notifications read (again: no change); NotFoundError when it is not theirs. */
export async function markRead(deps: Pick<Deps, 'db'>, userId: string, id: string): Promise<NotificationRow> {
  if (!isUuid(id)) throw new NotFoundError('No such notification.');
  const found = await selectNotifications(deps.db, userId).where('n.id', '=', id).executeTakeFirst();
  if (!found) throw new NotFoundError('No such notification.');
  if (found.read_at) return found;
  const updated = await deps.db
    .updateTable('notifications')
    .set({ read_at: sql`now()` })
    .where('id', '=', id)
    .where('user_id', '=', userId)
    .where('read_at', 'is', null)
    .returning('read_at')
    .executeTakeFirst();
  await publish(deps.db, { topic: READ_TOPIC, audience: { userId }, data: { id } });
  return { ...found, read_at: updated?.read_at ?? new Date() };
}

/** Marks every unread notification of the person read; returns how many were. */
export async function markAllRead(deps: Pick<Deps, 'db'>, userId: string): Promise<number> {
  const res = await deps.db
    .updateTable('notifications')
    .set({ read_at: sql`now()` })
    .where('user_id', '=', userId)
    .where('read_at', 'is', null)
    .executeTakeFirst();
  const n = Number(res.numUpdatedRows);
  if (n > 0) await publish(deps.db, { topic: READ_TOPIC, audience: { userId }, data: { all: true } });
  return n;
}

/** How long notifications are kept, read or not (the purge job deletes older ones). */
export const KEEP_DAYS = 365;

/**
 * Deletes notifications older than KEEP_DAYS (maintenance.purge-expired); returns how many.
 * Their keys go with them: an event of the same name a year later (a sign-in from a device
 * last told of a year ago) is told again.
 */
export async function purgeNotifications(db: DbOrTx, now: Date): Promise<number> {
  const res = await db
    .deleteFrom('notifications')
    .where('created_at', '<', new Date(now.getTime() - KEEP_DAYS * 86_400_000))
    .executeTakeFirst();
  return Number(res.numDeletedRows);
}
