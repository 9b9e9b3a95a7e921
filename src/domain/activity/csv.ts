import type { DbOrTx } from '../../db/index.ts';
import { actionLabel, targetLabel } from './describe.ts';
import { eachActivity, type ActivityFilter, type ActivityRow, type ActivityScope } from './query.ts';

/**
 * Activity as CSV (RFC 4180: every cell quoted, quotes doubled, CRLF line ends). A cell that
 * a spreadsheet would read as a formula (= + - @, tab, carriage return first) gets a leading
 * apostrophe: names, user agents and details are typed by users (CSV injection).
 */
export function csvCell(value: string | null | undefined): string {
  let v = value ?? '';
  if (/^[=+\-@\t\r]/.test(v)) v = `'${v}`;
  return `"${v.replace(/"/g, '""')}"`;
}

export function csvLine(cells: (string | null | undefined)[]): string {
  return cells.map(csvCell).join(',') + '\r\n';
}

export const ACTIVITY_CSV_HEADER = csvLine([
  'occurred_at',
  'action',
  'description',
  'actor_name',
  'actor_email',
  'impersonator_email',
  'organization',
  'target_type',
  'target_id',
  'target',
  'ip',
  'user_agent',
  'details',
]);

export function activityCsvLine(r: ActivityRow): string {
  return csvLine([
    r.occurred_at.toISOString(),
    r.action,
    actionLabel(r.action),
    r.actor_name,
    r.actor_email,
    r.impersonator_email,
    r.organization_name,
    r.target_type,
    r.target_id,
    targetLabel(r),
    r.ip,
    r.user_agent,
    JSON.stringify(r.details ?? {}),
  ]);
}

/** The whole export as text chunks: the header, then one chunk per batch of rows. */
export async function* activityCsv(
  db: DbOrTx,
  scope: ActivityScope,
  filter: ActivityFilter,
  batch = 500,
): AsyncGenerator<string> {
  yield ACTIVITY_CSV_HEADER;
  let chunk = '';
  let n = 0;
  for await (const row of eachActivity(db, scope, filter, batch)) {
    chunk += activityCsvLine(row);
    if (++n % batch === 0) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}
