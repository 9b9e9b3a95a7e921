import { z } from 'zod';
import type { DbOrTx } from '../../db/index.ts';
import type { IncidentImpact, IncidentKind, IncidentUpdateStatus } from '../../db/types.ts';
import { NotFoundError, ValidationError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import { fieldErrors } from '../../lib/validation.ts';
import type { Actor } from '../access/actor.ts';
import { requirePlatformAdmin } from '../access/guard.ts';
import { recordActivity } from '../activity/record.ts';
import type { Deps } from '../deps.ts';

/**
 * Incidents and maintenance windows staff post on /status (issue 16 items 1 and 4).
 *
 * An incident (`kind` incident) is open until resolved; a maintenance window (`kind`
 * maintenance) is upcoming until `startsAt`, in progress from then until completed, and has a
 * planned end (`endsAt`). Each has an impact (none, minor, major, critical), the regions it
 * affects (provider region ids from the catalogue, or 'platform': everything) and a timeline
 * of updates; an update whose status is `resolved` (incidents) or `completed` (maintenance)
 * closes it. /status shows what is open, what is planned, and the last 90 days' history.
 */

export const KINDS = ['incident', 'maintenance'] as const satisfies readonly IncidentKind[];
export const IMPACTS = ['none', 'minor', 'major', 'critical'] as const satisfies readonly IncidentImpact[];
export const INCIDENT_STATUSES = ['investigating', 'identified', 'monitoring', 'resolved'] as const;
export const MAINTENANCE_STATUSES = ['scheduled', 'in_progress', 'completed'] as const;
export const PLATFORM = 'platform';
export const HISTORY_DAYS = 90;
export const MAX_TITLE = 200;
export const MAX_UPDATE = 5000;

export const UPDATE_LABELS: Record<IncidentUpdateStatus, string> = {
  investigating: 'Investigating',
  identified: 'Identified',
  monitoring: 'Monitoring',
  resolved: 'Resolved',
  scheduled: 'Scheduled',
  in_progress: 'In progress',
  completed: 'Completed',
};

const statusesOf = (kind: IncidentKind): readonly IncidentUpdateStatus[] =>
  kind === 'incident' ? INCIDENT_STATUSES : MAINTENANCE_STATUSES;
const closes = (s: IncidentUpdateStatus) => s === 'resolved' || s === 'completed';

export interface IncidentUpdate {
  id: string;
  status: IncidentUpdateStatus;
  message: string;
  at: Date;
}

export interface Incident {
  id: string;
  title: string;
  kind: IncidentKind;
  impact: IncidentImpact;
  affectedRegions: string[];
  startsAt: Date;
  endsAt: Date | null;
  resolvedAt: Date | null;
  createdAt: Date;
  /** Newest first. */
  updates: IncidentUpdate[];
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

const regionId = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const incidentInput = z.object({
  title: z
    .string()
    .optional()
    .transform((s) => (s ?? '').replace(/\s+/g, ' ').trim())
    .pipe(z.string().min(1, 'Give it a title.').max(MAX_TITLE, `Keep the title to ${MAX_TITLE} characters.`)),
  kind: z.enum(KINDS, { error: 'Choose incident or maintenance.' }),
  impact: z.enum(IMPACTS, { error: 'Choose the impact.' }),
  regions: z
    .array(z.string())
    .optional()
    .transform((a) => [...new Set((a ?? []).map((r) => r.trim()).filter(Boolean))])
    .pipe(
      z
        .array(z.string().regex(regionId, 'That is not a region.'))
        .min(1, 'Choose what it affects: the whole platform or some regions.')
        .max(100),
    ),
  startsAt: when('The start'),
  endsAt: when('The planned end'),
});

export interface IncidentInput {
  title?: string;
  kind?: string;
  impact?: string;
  regions?: string[];
  startsAt?: string;
  endsAt?: string;
  /** New incidents: the first update's status and text. */
  status?: string;
  message?: string;
}

function parseIncident(raw: IncidentInput, now: Date) {
  const r = incidentInput.safeParse(raw);
  const errors = r.success ? {} : fieldErrors(r.error);
  if (r.success) {
    const starts = r.data.startsAt ?? now;
    if (r.data.endsAt && r.data.endsAt <= starts) errors.endsAt = 'The planned end must come after the start.';
  }
  if (!r.success || Object.keys(errors).length) throw new ValidationError(errors);
  return r.data;
}

function parseUpdate(kind: IncidentKind, raw: { status?: string; message?: string }, required: boolean) {
  const errors: Record<string, string> = {};
  const status = (raw.status ?? '') as IncidentUpdateStatus;
  if (!statusesOf(kind).includes(status))
    errors.status = `Choose ${statusesOf(kind)
      .map((s) => UPDATE_LABELS[s].toLowerCase())
      .join(', ')}.`;
  const message = (raw.message ?? '').replace(/\r\n?/g, '\n').trim();
  if (required && !message) errors.message = 'Say what is going on.';
  if (message.length > MAX_UPDATE) errors.message = `Keep it to ${MAX_UPDATE.toLocaleString('en')} characters.`;
  if (Object.keys(errors).length) throw new ValidationError(errors);
  return { status, message };
}

// --- reading ---------------------------------------------------------------------------------

async function load(db: DbOrTx, where: (q: ReturnType<typeof base>) => ReturnType<typeof base>): Promise<Incident[]> {
  const rows = await where(base(db)).execute();
  if (!rows.length) return [];
  const updates = await db
    .selectFrom('status_incident_updates')
    .select(['id', 'incident_id', 'status', 'message', 'at'])
    .where(
      'incident_id',
      'in',
      rows.map((r) => r.id),
    )
    .orderBy('at', 'desc')
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    ...r,
    updates: updates
      .filter((u) => u.incident_id === r.id)
      .map((u) => ({ id: u.id, status: u.status, message: u.message, at: u.at })),
  }));
}

function base(db: DbOrTx) {
  return db
    .selectFrom('status_incidents')
    .select([
      'id',
      'title',
      'kind',
      'impact',
      'affected_regions as affectedRegions',
      'starts_at as startsAt',
      'ends_at as endsAt',
      'resolved_at as resolvedAt',
      'created_at as createdAt',
    ]);
}

/** Every incident and window, open first then newest (staff). */
export async function listIncidents(deps: Pick<Deps, 'db'>, actor: Actor): Promise<Incident[]> {
  requirePlatformAdmin(actor);
  return load(deps.db, (q) =>
    q
      .orderBy((eb) => eb('resolved_at', 'is', null), 'desc')
      .orderBy('starts_at', 'desc')
      .orderBy('id')
      .limit(300),
  );
}

export async function getIncident(deps: Pick<Deps, 'db'>, actor: Actor, id: string): Promise<Incident> {
  requirePlatformAdmin(actor);
  const [row] = isUuid(id) ? await load(deps.db, (q) => q.where('id', '=', id)) : [];
  if (!row) throw new NotFoundError('No such incident.');
  return row;
}

/** What /status shows: open incidents, maintenance in progress and upcoming, the last 90 days resolved. */
export interface StatusBoard {
  incidents: Incident[];
  maintenanceNow: Incident[];
  maintenanceUpcoming: Incident[];
  history: Incident[];
}

export async function statusBoard(deps: Pick<Deps, 'db' | 'clock'>): Promise<StatusBoard> {
  const now = deps.clock.now();
  const since = new Date(now.getTime() - HISTORY_DAYS * 86_400_000);
  const [open, history] = await Promise.all([
    load(deps.db, (q) => q.where('resolved_at', 'is', null).orderBy('starts_at').orderBy('id').limit(100)),
    load(deps.db, (q) => q.where('resolved_at', '>=', since).orderBy('resolved_at', 'desc').orderBy('id').limit(100)),
  ]);
  return {
    incidents: open.filter((i) => i.kind === 'incident').reverse(),
    maintenanceNow: open.filter((i) => i.kind === 'maintenance' && i.startsAt <= now),
    maintenanceUpcoming: open.filter((i) => i.kind === 'maintenance' && i.startsAt > now),
    history,
  };
}

/** Whether `incident` touches `regionId` (it names it, or the whole platform). */
export const affects = (incident: Pick<Incident, 'affectedRegions'>, regionId: string) =>
  incident.affectedRegions.includes(PLATFORM) || incident.affectedRegions.includes(regionId);

// --- writing (staff) ---------------------------------------------------------------------------

type Writer = Pick<Deps, 'db' | 'clock'>;

async function audit(
  trx: DbOrTx,
  actor: Actor,
  now: Date,
  action: 'admin.status_incident_saved' | 'admin.status_incident_deleted',
  id: string,
  details: Record<string, string | number | boolean | null>,
) {
  await recordActivity(trx, {
    action,
    actorUserId: actor.userId,
    target: { type: 'status_incident', id },
    origin: actor.origin,
    details,
    occurredAt: now,
  });
}

/** Posts an incident or a maintenance window with its first update (scheduled / investigating by default). */
export async function createIncident(deps: Writer, actor: Actor, raw: IncidentInput): Promise<Incident> {
  requirePlatformAdmin(actor);
  const now = deps.clock.now();
  let errors: Record<string, string> = {};
  let v: ReturnType<typeof parseIncident> | null = null;
  try {
    v = parseIncident(raw, now);
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    errors = { ...err.fields };
  }
  const kind: IncidentKind = raw.kind === 'maintenance' ? 'maintenance' : 'incident';
  let first: { status: IncidentUpdateStatus; message: string } | null = null;
  try {
    first = parseUpdate(
      kind,
      { status: raw.status || (kind === 'maintenance' ? 'scheduled' : 'investigating'), message: raw.message },
      false,
    );
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    errors = { ...errors, ...err.fields };
  }
  if (!v || !first || Object.keys(errors).length) throw new ValidationError(errors);
  const input = v;
  const update = first;
  const id = await deps.db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('status_incidents')
      .values({
        title: input.title,
        kind: input.kind,
        impact: input.impact,
        affected_regions: input.regions,
        starts_at: input.startsAt ?? now,
        ends_at: input.endsAt,
        resolved_at: closes(update.status) ? now : null,
        created_by: actor.userId,
        created_at: now,
        updated_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await trx
      .insertInto('status_incident_updates')
      .values({
        incident_id: row.id,
        status: update.status,
        message: update.message,
        at: now,
        created_by: actor.userId,
      })
      .execute();
    await audit(trx, actor, now, 'admin.status_incident_saved', row.id, {
      created: true,
      title: input.title,
      kind: input.kind,
      impact: input.impact,
    });
    return row.id;
  });
  return getIncident(deps, actor, id);
}

/** Changes an incident's title, kind, impact, regions and times (its updates stay). */
export async function updateIncident(deps: Writer, actor: Actor, id: string, raw: IncidentInput): Promise<Incident> {
  const current = await getIncident(deps, actor, id);
  const now = deps.clock.now();
  const v = parseIncident({ ...raw, startsAt: raw.startsAt || current.startsAt.toISOString() }, now);
  await deps.db.transaction().execute(async (trx) => {
    await trx
      .updateTable('status_incidents')
      .set({
        title: v.title,
        kind: v.kind,
        impact: v.impact,
        affected_regions: v.regions,
        starts_at: v.startsAt ?? current.startsAt,
        ends_at: v.endsAt,
        updated_at: now,
      })
      .where('id', '=', current.id)
      .execute();
    await audit(trx, actor, now, 'admin.status_incident_saved', current.id, {
      created: false,
      title: v.title,
      kind: v.kind,
      impact: v.impact,
    });
  });
  return getIncident(deps, actor, current.id);
}

/**
 * Adds an update to the timeline; `resolved` / `completed` closes the incident (resolvedAt
 * now), any other status reopens one that was closed.
 */
export async function postIncidentUpdate(
  deps: Writer,
  actor: Actor,
  id: string,
  raw: { status?: string; message?: string },
): Promise<Incident> {
  const current = await getIncident(deps, actor, id);
  const u = parseUpdate(current.kind, raw, !closes((raw.status ?? '') as IncidentUpdateStatus));
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    await trx
      .insertInto('status_incident_updates')
      .values({ incident_id: current.id, status: u.status, message: u.message, at: now, created_by: actor.userId })
      .execute();
    await trx
      .updateTable('status_incidents')
      .set({ resolved_at: closes(u.status) ? (current.resolvedAt ?? now) : null, updated_at: now })
      .where('id', '=', current.id)
      .execute();
    await audit(trx, actor, now, 'admin.status_incident_saved', current.id, {
      created: false,
      title: current.title,
      update: u.status,
    });
  });
  return getIncident(deps, actor, current.id);
}

/** Closes an incident (resolved) or a maintenance window (completed), with an optional note. */
export async function resolveIncident(deps: Writer, actor: Actor, id: string, message = ''): Promise<Incident> {
  const current = await getIncident(deps, actor, id);
  return postIncidentUpdate(deps, actor, current.id, {
    status: current.kind === 'incident' ? 'resolved' : 'completed',
    message:
      message.trim() ||
      (current.kind === 'incident' ? 'This incident has been resolved.' : 'This maintenance is complete.'),
  });
}

export async function deleteIncident(deps: Writer, actor: Actor, id: string): Promise<void> {
  const current = await getIncident(deps, actor, id);
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    await trx.deleteFrom('status_incidents').where('id', '=', current.id).execute();
    await audit(trx, actor, now, 'admin.status_incident_deleted', current.id, { title: current.title });
  });
}

/** The statuses an update of `kind` may have. */
export const updateStatusesOf = statusesOf;
