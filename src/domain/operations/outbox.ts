import type { Db } from '../../db/index.ts';
import { likePattern } from '../../db/like.ts';
import { offsetOf } from '../../db/paging.ts';
import { isUuid } from '../../lib/ids.ts';

const PAGE = 50;

/** Emails newest first, optionally only those to addresses containing `to` (staff outbox). */
export async function listOutbox(db: Db, filter: { to: string; page: number }) {
  let q = db.selectFrom('emails').select(['id', 'to_address', 'subject', 'template', 'status', 'transport', 'created_at', 'sent_at']);
  if (filter.to) q = q.where('to_address', 'like', likePattern(filter.to));
  const { limit, offset } = offsetOf(filter.page, PAGE);
  const rows = await q.orderBy('created_at', 'desc').orderBy('id').limit(limit + 1).offset(offset).execute();
  return { emails: rows.slice(0, PAGE), hasMore: rows.length > PAGE };
}

export async function getOutboxEmail(db: Db, id: string) {
  return isUuid(id) ? db.selectFrom('emails').selectAll().where('id', '=', id).executeTakeFirst() : undefined;
}

/** The latest recorded runs of scheduled jobs (what each did, or why it failed). */
export async function recentJobRuns(db: Db, limit = 100) {
  return db.selectFrom('job_runs').selectAll().orderBy('started_at', 'desc').limit(limit).execute();
}
