import { sql } from 'kysely';
import { inTransaction, type DbOrTx } from '../../db/index.ts';
import type { ConsoleMode } from '../../db/types.ts';
import { AppError } from '../../lib/errors.ts';
import { recordActivity } from '../activity/record.ts';
import type { Deps, RequestOrigin } from '../deps.ts';
import { nodeGone } from '../../queue/liveness.ts';
import type { ConsoleGrant } from './access.ts';

/**
 * Open consoles, as the limits count them: a row per console in `console_sessions`, whichever
 * process holds it, so "3 per user, 2 per server" holds across every process sharing the
 * database (CONSOLE_MAX_PER_USER, CONSOLE_MAX_PER_SERVER; the per-process cap is the web
 * layer's). Each console is in the activity log twice: when it opens, and when it ends with
 * its mode, start, end, duration and bytes each way.
 *
 * The process holding a console moves its row's `seen_at` on every HEARTBEAT_MS (with the bytes
 * so far), and the row names it (`node_key`, src/queue/liveness.ts). A row whose process no
 * longer holds its liveness lock (killed, crashed) or, for a row naming no process, not seen for
 * STALE_MS, belonged to a process that stopped without closing it: it no longer counts, and the
 * next console opened anywhere ends it (logged as lost) before counting.
 */

export const HEARTBEAT_MS = 30_000;
export const STALE_MS = 4 * HEARTBEAT_MS;

const limitError = (message: string) => new AppError('console_limit', 429, message);

async function openCounts(db: DbOrTx, userId: string, serverId: string, now: Date) {
  const fresh = new Date(now.getTime() - STALE_MS);
  const row = await db
    .selectFrom('console_sessions')
    .select([
      sql<number>`count(*) filter (where user_id = ${userId})::int`.as('user'),
      sql<number>`count(*) filter (where server_id = ${serverId})::int`.as('server'),
    ])
    .where((w) => w.or([w('user_id', '=', userId), w('server_id', '=', serverId)]))
    .where('seen_at', '>', fresh)
    .where(sql<boolean>`not ${nodeGone(sql.ref('node_key'))}`)
    .executeTakeFirstOrThrow();
  return row;
}

/** The limit a new console would break, as the sentence to show; null when there is room. */
function overLimit(deps: Pick<Deps, 'config'>, counts: { user: number; server: number }): string | null {
  const c = deps.config;
  if (counts.user >= c.CONSOLE_MAX_PER_USER)
    return `You already have ${counts.user} consoles open (at most ${c.CONSOLE_MAX_PER_USER}). Close one and try again.`;
  if (counts.server >= c.CONSOLE_MAX_PER_SERVER)
    return `This server already has ${counts.server} consoles open (at most ${c.CONSOLE_MAX_PER_SERVER}). Close one and try again.`;
  return null;
}

/** Refuses (429) a ticket when the user or the server is at its limit already. */
export async function assertUnderLimits(
  deps: Pick<Deps, 'db' | 'config' | 'clock'>,
  who: { userId: string; serverId: string },
): Promise<void> {
  const over = overLimit(deps, await openCounts(deps.db, who.userId, who.serverId, deps.clock.now()));
  if (over) throw limitError(over);
}

export interface OpenedConsole {
  id: string;
  startedAt: Date;
}

/**
 * Records a console opening for `grant` (limits checked again under per-user and per-server
 * locks, so two tickets redeemed at once cannot both take the last place), with its activity
 * entry. Returns the refusal's sentence instead when a limit is reached.
 */
export async function startConsoleSession(
  deps: Pick<Deps, 'db' | 'config' | 'clock' | 'node'>,
  grant: ConsoleGrant,
  origin: RequestOrigin,
): Promise<OpenedConsole | { refused: string }> {
  await sweepLostConsoles(deps);
  const now = deps.clock.now();
  return inTransaction(deps.db, async (trx) => {
    // Always the user's lock first, then the server's: two openings never wait on each other in a circle.
    await sql`select pg_advisory_xact_lock(hashtextextended(${`console:user:${grant.userId}`}, 0))`.execute(trx);
    await sql`select pg_advisory_xact_lock(hashtextextended(${`console:server:${grant.serverId}`}, 0))`.execute(trx);
    const over = overLimit(deps, await openCounts(trx, grant.userId, grant.serverId, now));
    if (over) return { refused: over };
    const row = await trx
      .insertInto('console_sessions')
      .values({
        user_id: grant.userId,
        session_id: grant.sessionId,
        organization_id: grant.organizationId,
        server_id: grant.serverId,
        mode: grant.mode,
        impersonator_user_id: grant.impersonatorUserId,
        started_at: now,
        seen_at: now,
        node_key: deps.node?.key ?? null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await recordActivity(trx, {
      action: 'server.console_opened',
      actorUserId: grant.userId,
      impersonatorUserId: grant.impersonatorUserId,
      organizationId: grant.organizationId,
      target: { type: 'server', id: grant.serverId },
      origin,
      details: { mode: grant.mode, console: row.id, impersonated: grant.impersonatorUserId !== null },
      occurredAt: now,
    });
    return { id: row.id, startedAt: now };
  });
}

export interface ConsoleCounters {
  id: string;
  /** Bytes the browser sent to the server (what was typed or pasted). */
  bytesIn: number;
  /** Bytes the server sent to the browser (terminal output). */
  bytesOut: number;
}

/** The heartbeat of this process's open consoles: still here, with the bytes so far. */
export async function touchConsoleSessions(deps: Pick<Deps, 'db' | 'clock'>, open: ConsoleCounters[]): Promise<void> {
  if (!open.length) return;
  const now = deps.clock.now();
  const values = open.map((o) => sql`(${o.id}::uuid, ${o.bytesIn}::bigint, ${o.bytesOut}::bigint)`);
  await sql`
    update console_sessions c set seen_at = ${now}, bytes_in = v.bytes_in, bytes_out = v.bytes_out
      from (values ${sql.join(values)}) as v (id, bytes_in, bytes_out)
     where c.id = v.id
  `.execute(deps.db);
}

/** Ends a console: its row goes, and the activity log gets its mode, times and bytes each way. */
export async function endConsoleSession(
  deps: Pick<Deps, 'db' | 'clock'>,
  ended: ConsoleCounters & { grant: ConsoleGrant; startedAt: Date; reason: string; origin: RequestOrigin },
): Promise<void> {
  const now = deps.clock.now();
  await inTransaction(deps.db, async (trx) => {
    await trx.deleteFrom('console_sessions').where('id', '=', ended.id).execute();
    await recordActivity(trx, {
      action: 'server.console_closed',
      actorUserId: ended.grant.userId,
      impersonatorUserId: ended.grant.impersonatorUserId,
      organizationId: ended.grant.organizationId,
      target: { type: 'server', id: ended.grant.serverId },
      origin: ended.origin,
      details: closedDetails(ended.grant.mode, ended, ended.startedAt, now, ended.reason),
      occurredAt: now,
    });
  });
}

function closedDetails(
  mode: ConsoleMode,
  bytes: { id: string; bytesIn: number | bigint; bytesOut: number | bigint },
  startedAt: Date,
  endedAt: Date,
  reason: string,
) {
  return {
    mode,
    console: bytes.id,
    started_at: startedAt.toISOString(),
    ended_at: endedAt.toISOString(),
    seconds: Math.max(0, Math.round((endedAt.getTime() - startedAt.getTime()) / 1000)),
    bytes_sent: Number(bytes.bytesIn),
    bytes_received: Number(bytes.bytesOut),
    reason: reason.slice(0, 200),
  };
}

/** Ends the consoles of processes that stopped without closing them (gone, or not seen for STALE_MS), logging each. */
export async function sweepLostConsoles(deps: Pick<Deps, 'db' | 'clock'>): Promise<number> {
  const now = deps.clock.now();
  const lost = await deps.db
    .deleteFrom('console_sessions')
    .where((w) => w.or([w('seen_at', '<', new Date(now.getTime() - STALE_MS)), nodeGone(sql.ref('node_key'))]))
    .returningAll()
    .execute();
  for (const row of lost)
    await recordActivity(deps.db, {
      action: 'server.console_closed',
      actorUserId: row.user_id,
      impersonatorUserId: row.impersonator_user_id,
      organizationId: row.organization_id,
      target: { type: 'server', id: row.server_id },
      details: closedDetails(
        row.mode,
        { id: row.id, bytesIn: row.bytes_in, bytesOut: row.bytes_out },
        row.started_at,
        row.seen_at,
        'The process holding the console stopped.',
      ),
      occurredAt: now,
    });
  return lost.length;
}
