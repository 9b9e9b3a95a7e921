import { z } from 'zod';
import type { DbOrTx } from '../../db/index.ts';
import { CATALOGUE, type DataCache } from '../../lib/data-cache.ts';
import { NotFoundError, ValidationError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import { renderMarkdown } from '../../lib/markdown.ts';
import { fieldErrors } from '../../lib/validation.ts';
import type { Actor } from '../access/actor.ts';
import { requirePlatformAdmin } from '../access/guard.ts';
import { recordActivity } from '../activity/record.ts';
import type { Deps } from '../deps.ts';

/**
 * Announcements: banners staff post on every page (issue 16 item 2). Each has a title, a
 * Markdown body (rendered on the server by src/lib/markdown.ts: raw HTML never passes, links
 * are http(s)/mailto only), a severity, an audience, an optional window (shown from `startsAt`,
 * until `endsAt`) and whether people may dismiss it.
 *
 * Audiences: `everyone`; `signed-in` (anyone signed in, staff included); `guests` (nobody signed
 * in); `admins` (platform staff in their own session: an impersonating admin sees what the
 * customer sees). A signed-in person's dismissals are kept in `announcement_dismissals`; a
 * guest's in a cookie of ids (web/pages/announcements.ts).
 *
 * Pages read the announcements not yet ended from the process's data cache (`catalogue` scope:
 * the table's NOTIFY trigger, migration 0032), and filter by the window with the clock at each
 * request, so one starting or ending needs no write to show or go.
 */

export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export const AUDIENCES = ['everyone', 'signed-in', 'guests', 'admins'] as const;
export type Severity = (typeof SEVERITIES)[number];
export type Audience = (typeof AUDIENCES)[number];
export const MAX_TITLE_LENGTH = 200;
export const MAX_BODY_LENGTH = 10_000;

export interface Announcement {
  id: string;
  title: string;
  body: string;
  severity: Severity;
  audience: Audience;
  startsAt: Date | null;
  endsAt: Date | null;
  dismissable: boolean;
  updatedBy: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** What a banner needs: the body already rendered and sanitised. */
export interface ShownAnnouncement {
  id: string;
  title: string;
  bodyHtml: string;
  severity: Severity;
  dismissable: boolean;
}

/** A `datetime-local` field's value (read as UTC, to the minute) or an ISO date; '' is none. */
const when = (label: string) =>
  z
    .string()
    .optional()
    .transform((s, ctx) => {
      const v = (s ?? '').trim();
      if (!v) return null;
      const d = new Date(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(v) ? `${v}Z` : v);
      if (Number.isNaN(d.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(v)) {
        ctx.addIssue({ code: 'custom', message: `${label} is not a date and time (YYYY-MM-DDTHH:MM, UTC).` });
        return z.NEVER;
      }
      return d;
    });

export type AnnouncementInput = z.input<typeof input>;

const input = z.object({
  title: z
    .string({ error: 'Give it a title.' })
    .transform((s) => s.replace(/\s+/g, ' ').trim())
    .pipe(
      z.string().min(1, 'Give it a title.').max(MAX_TITLE_LENGTH, `Keep the title to ${MAX_TITLE_LENGTH} characters.`),
    ),
  body: z
    .string()
    .optional()
    .transform((s) => (s ?? '').replace(/\r\n?/g, '\n').trim())
    .pipe(z.string().max(MAX_BODY_LENGTH, `Keep the text to ${MAX_BODY_LENGTH.toLocaleString('en')} characters.`)),
  severity: z.enum(SEVERITIES, { error: 'Choose info, warning or critical.' }),
  audience: z.enum(AUDIENCES, { error: 'Choose who sees it.' }),
  startsAt: when('The start'),
  endsAt: when('The end'),
  dismissable: z.boolean(),
});

/** Parses the input, every field's problem at once (the window's order too, whatever else is wrong). */
function parseAnnouncement(raw: AnnouncementInput): z.output<typeof input> {
  const result = input.safeParse(raw);
  const errors = result.success ? {} : fieldErrors(result.error);
  const starts = input.shape.startsAt.safeParse(raw.startsAt);
  const ends = input.shape.endsAt.safeParse(raw.endsAt);
  if (starts.success && ends.success && starts.data && ends.data && ends.data <= starts.data)
    errors.endsAt ??= 'The end must come after the start.';
  if (!result.success || Object.keys(errors).length) throw new ValidationError(errors);
  return result.data;
}

/** The announcement form's fields (strings; a checked `dismissable` is 'on') as input. */
export function announcementFromForm(values: Record<string, string>): AnnouncementInput {
  return {
    title: values.title ?? '',
    body: values.body ?? '',
    severity: (values.severity ?? '') as Severity,
    audience: (values.audience ?? '') as Audience,
    startsAt: values.startsAt ?? '',
    endsAt: values.endsAt ?? '',
    dismissable: values.dismissable === 'on' || values.dismissable === 'true',
  };
}

function selectAnnouncements(db: DbOrTx) {
  return db
    .selectFrom('announcements as a')
    .leftJoin('users as u', 'u.id', 'a.updated_by')
    .select([
      'a.id',
      'a.title',
      'a.body',
      'a.severity',
      'a.audience',
      'a.starts_at as startsAt',
      'a.ends_at as endsAt',
      'a.dismissable',
      'u.name as updatedBy',
      'a.created_at as createdAt',
      'a.updated_at as updatedAt',
    ]);
}

/** Every announcement, newest first (staff). */
export async function listAnnouncements(deps: Pick<Deps, 'db'>, actor: Actor): Promise<Announcement[]> {
  requirePlatformAdmin(actor);
  return selectAnnouncements(deps.db).orderBy('a.created_at', 'desc').orderBy('a.id').limit(500).execute();
}

export async function getAnnouncement(deps: Pick<Deps, 'db'>, actor: Actor, id: string): Promise<Announcement> {
  requirePlatformAdmin(actor);
  const row = isUuid(id) ? await selectAnnouncements(deps.db).where('a.id', '=', id).executeTakeFirst() : undefined;
  if (!row) throw new NotFoundError('No such announcement.');
  return row;
}

const details = (a: z.output<typeof input>) => ({
  title: a.title,
  severity: a.severity,
  audience: a.audience,
  starts_at: a.startsAt?.toISOString() ?? null,
  ends_at: a.endsAt?.toISOString() ?? null,
  dismissable: a.dismissable,
});

/** Posts an announcement (422 naming the fields); audited as `admin.announcement_saved`. */
export async function createAnnouncement(
  deps: Pick<Deps, 'db' | 'clock'>,
  actor: Actor,
  raw: AnnouncementInput,
): Promise<Announcement> {
  requirePlatformAdmin(actor);
  const a = parseAnnouncement(raw);
  const now = deps.clock.now();
  const id = await deps.db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('announcements')
      .values({
        title: a.title,
        body: a.body,
        severity: a.severity,
        audience: a.audience,
        starts_at: a.startsAt,
        ends_at: a.endsAt,
        dismissable: a.dismissable,
        created_by: actor.userId,
        updated_by: actor.userId,
        created_at: now,
        updated_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await recordActivity(trx, {
      action: 'admin.announcement_saved',
      actorUserId: actor.userId,
      target: { type: 'announcement', id: row.id },
      origin: actor.origin,
      details: { created: true, ...details(a) },
      occurredAt: now,
    });
    return row.id;
  });
  return getAnnouncement(deps, actor, id);
}

/** Changes an announcement (all fields given); dismissals are kept. */
export async function updateAnnouncement(
  deps: Pick<Deps, 'db' | 'clock'>,
  actor: Actor,
  id: string,
  raw: AnnouncementInput,
): Promise<Announcement> {
  const current = await getAnnouncement(deps, actor, id);
  const a = parseAnnouncement(raw);
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    await trx
      .updateTable('announcements')
      .set({
        title: a.title,
        body: a.body,
        severity: a.severity,
        audience: a.audience,
        starts_at: a.startsAt,
        ends_at: a.endsAt,
        dismissable: a.dismissable,
        updated_by: actor.userId,
        updated_at: now,
      })
      .where('id', '=', current.id)
      .execute();
    await recordActivity(trx, {
      action: 'admin.announcement_saved',
      actorUserId: actor.userId,
      target: { type: 'announcement', id: current.id },
      origin: actor.origin,
      details: { created: false, ...details(a) },
      occurredAt: now,
    });
  });
  return getAnnouncement(deps, actor, current.id);
}

/** Deletes an announcement and its dismissals; audited as `admin.announcement_deleted`. */
export async function deleteAnnouncement(deps: Pick<Deps, 'db' | 'clock'>, actor: Actor, id: string): Promise<void> {
  const current = await getAnnouncement(deps, actor, id);
  await deps.db.transaction().execute(async (trx) => {
    await trx.deleteFrom('announcements').where('id', '=', current.id).execute();
    await recordActivity(trx, {
      action: 'admin.announcement_deleted',
      actorUserId: actor.userId,
      target: { type: 'announcement', id: current.id },
      origin: actor.origin,
      details: { title: current.title },
      occurredAt: deps.clock.now(),
    });
  });
}

interface Live extends ShownAnnouncement {
  audience: Audience;
  startsAt: Date | null;
  endsAt: Date | null;
}

/** The announcements not ended at `now`, bodies rendered, newest first; kept in the data cache. */
async function liveAnnouncements(db: DbOrTx, now: Date, cache?: DataCache): Promise<Live[]> {
  const load = async (): Promise<Live[]> => {
    const rows = await db
      .selectFrom('announcements')
      .select(['id', 'title', 'body', 'severity', 'audience', 'starts_at', 'ends_at', 'dismissable'])
      .where((eb) => eb.or([eb('ends_at', 'is', null), eb('ends_at', '>', now)]))
      .orderBy('created_at', 'desc')
      .orderBy('id')
      .limit(50)
      .execute();
    return rows.map((r) => ({
      id: r.id,
      title: r.title,
      bodyHtml: r.body ? renderMarkdown(r.body) : '',
      severity: r.severity,
      audience: r.audience,
      startsAt: r.starts_at,
      endsAt: r.ends_at,
      dismissable: r.dismissable,
    }));
  };
  return cache ? cache.read('announcements', [CATALOGUE], load) : load();
}

/** Who is looking: nobody signed in, someone signed in, or platform staff in their own session. */
export interface Viewer {
  userId: string | null;
  isPlatformAdmin: boolean;
  /** Ids a guest dismissed (their cookie). */
  dismissedIds?: readonly string[];
}

const sees = (audience: Audience, v: Viewer) =>
  audience === 'everyone' ||
  (audience === 'signed-in' && v.userId !== null) ||
  (audience === 'guests' && v.userId === null) ||
  (audience === 'admins' && v.isPlatformAdmin);

/**
 * The banners `viewer` sees now: in their window, for their audience, not dismissed (a
 * signed-in person's dismissals are asked for only when a dismissable one would show).
 */
export async function announcementsFor(
  deps: Pick<Deps, 'db' | 'clock'> & { cache?: DataCache },
  viewer: Viewer,
): Promise<ShownAnnouncement[]> {
  const now = deps.clock.now();
  const live = (await liveAnnouncements(deps.db, now, deps.cache)).filter(
    (a) => (!a.startsAt || a.startsAt <= now) && (!a.endsAt || a.endsAt > now) && sees(a.audience, viewer),
  );
  if (!live.length) return [];
  let dismissed = new Set(viewer.dismissedIds ?? []);
  const dismissable = live.filter((a) => a.dismissable).map((a) => a.id);
  if (viewer.userId && dismissable.length) {
    const rows = await deps.db
      .selectFrom('announcement_dismissals')
      .select('announcement_id')
      .where('user_id', '=', viewer.userId)
      .where('announcement_id', 'in', dismissable)
      .execute();
    dismissed = new Set(rows.map((r) => r.announcement_id));
  }
  return live
    .filter((a) => !(a.dismissable && dismissed.has(a.id)))
    .map(({ id, title, bodyHtml, severity, dismissable: d }) => ({ id, title, bodyHtml, severity, dismissable: d }));
}

/**
 * Whether `id` names a dismissable announcement (the dismiss route answers 404 otherwise), and
 * for a signed-in person, remembers the dismissal.
 */
export async function dismissAnnouncement(
  deps: Pick<Deps, 'db' | 'clock'>,
  userId: string | null,
  id: string,
): Promise<void> {
  const row = isUuid(id)
    ? await deps.db.selectFrom('announcements').select(['id', 'dismissable']).where('id', '=', id).executeTakeFirst()
    : undefined;
  if (!row) throw new NotFoundError('No such announcement.');
  if (!row.dismissable) throw new ValidationError({}, 'This announcement cannot be dismissed.');
  if (!userId) return;
  await deps.db
    .insertInto('announcement_dismissals')
    .values({ announcement_id: row.id, user_id: userId, dismissed_at: deps.clock.now() })
    .onConflict((oc) => oc.doNothing())
    .execute();
}
