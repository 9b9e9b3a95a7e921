import { z } from 'zod';
import { sql } from 'kysely';
import { inTransaction } from '../../db/index.ts';
import type { TicketStatus } from '../../db/types.ts';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Actor } from '../access/actor.ts';
import type { Deps } from '../deps.ts';
import { withStoredFiles } from '../files/store.ts';
import { attachmentOfTicket, attachToMessage, type IncomingFile } from './attachments.ts';
import { mailCustomer } from './mail.ts';
import {
  emitTicketReplied,
  messageSchema,
  parseMessage,
  publishTicket,
  recordTicketActivity,
  selectTickets,
  threadOf,
  TICKET_PRIORITIES,
  TICKET_STATUSES,
  type TicketDetail,
  type TicketMessage,
} from './tickets.ts';

/**
 * Support tickets, the staff's side: platform admins read every ticket with its internal
 * notes, reply (the ticket becomes `answered`), write internal notes (staff only; the status
 * does not move), assign tickets to a staff member, and set status and priority.
 */

function requireStaff(actor: Actor): void {
  if (!actor.isPlatformAdmin) throw new ForbiddenError();
}

/** Any ticket with its whole thread, internal notes included (staff only). */
export async function staffGetTicket(deps: Pick<Deps, 'db'>, actor: Actor, id: string): Promise<TicketDetail> {
  requireStaff(actor);
  const t = isUuid(id) ? await selectTickets(deps.db).where('t.id', '=', id).executeTakeFirst() : undefined;
  if (!t) throw new NotFoundError('No such ticket.');
  return { ...(t as TicketDetail), messages: await threadOf(deps.db, t.id, { internal: true }) };
}

async function lockAny(trx: Parameters<Parameters<typeof inTransaction>[1]>[0], id: string) {
  const row = isUuid(id)
    ? await trx.selectFrom('tickets').selectAll().where('id', '=', id).forUpdate().executeTakeFirst()
    : undefined;
  if (!row) throw new NotFoundError('No such ticket.');
  return row;
}

/**
 * A staff reply (the ticket becomes `answered` and stops waiting on staff) or, with
 * `internal`, a note only staff read (nothing else changes). A closed ticket refuses replies.
 */
export async function staffReply(
  deps: Pick<Deps, 'db' | 'clock' | 'config' | 'queue' | 'log'>,
  actor: Actor,
  id: string,
  raw: { message?: unknown; internal?: boolean; attachments?: readonly IncomingFile[] },
): Promise<TicketMessage> {
  requireStaff(actor);
  const { input, uploads } = parseMessage(deps.config, z.object({ message: messageSchema }), {
    message: raw.message,
    attachments: raw.attachments,
  });
  const internal = raw.internal === true;
  const now = deps.clock.now();
  return withStoredFiles(deps, (store) =>
    inTransaction(deps.db, async (trx) => {
      const ticket = await lockAny(trx, id);
      if (ticket.status === 'closed' && !internal) throw new ConflictError('This ticket is closed.');
      const msg = await trx
        .insertInto('ticket_messages')
        .values({
          ticket_id: ticket.id,
          author_id: actor.userId,
          from_staff: true,
          internal,
          body: input.message,
          created_at: now,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await attachToMessage(trx, store, { ticketId: ticket.id, messageId: msg.id }, uploads);
      if (!internal) {
        await trx
          .updateTable('tickets')
          .set({
            status: 'answered',
            waiting_since: null,
            resolved_at: null,
            updated_at: now,
            assignee_id: ticket.assignee_id ?? actor.userId,
          })
          .where('id', '=', ticket.id)
          .execute();
        await publishTicket(trx, ticket);
        await mailCustomer(deps, trx, ticket, input.message, msg.id);
        await emitTicketReplied(trx, ticket, msg.id, 'support', now);
      } else {
        await trx.updateTable('tickets').set({ updated_at: now }).where('id', '=', ticket.id).execute();
        await publishTicket(trx, ticket, { staffOnly: true });
      }
      return (await threadOf(trx, ticket.id, { internal: true })).find((m) => m.id === msg.id)!;
    }),
  );
}

/** Any attachment of any ticket, internal notes' included, with its bytes (staff only); 404 otherwise. */
export async function staffGetAttachment(
  deps: Pick<Deps, 'db' | 'config' | 'log'>,
  actor: Actor,
  ticketId: string,
  attachmentId: string,
) {
  const ticket = await staffGetTicket(deps, actor, ticketId);
  return attachmentOfTicket(deps, ticket.id, attachmentId, { internal: true });
}

/** Staff set a ticket's status, priority or assignee (null: unassigned; a staff member's id). */
export async function staffUpdateTicket(
  deps: Pick<Deps, 'db' | 'clock'>,
  actor: Actor,
  id: string,
  raw: { status?: unknown; priority?: unknown; assigneeId?: unknown },
): Promise<TicketDetail> {
  requireStaff(actor);
  const input = parseInput(
    z.object({
      status: z.enum(TICKET_STATUSES, { error: 'Choose a status.' }).optional(),
      priority: z.enum(TICKET_PRIORITIES, { error: 'Choose low, normal, high or urgent.' }).optional(),
      assigneeId: z.string().max(64).nullable().optional(),
    }),
    {
      status: raw.status || undefined,
      priority: raw.priority || undefined,
      assigneeId: raw.assigneeId === '' ? null : raw.assigneeId,
    },
  );
  const now = deps.clock.now();
  await inTransaction(deps.db, async (trx) => {
    const ticket = await lockAny(trx, id);
    const set: Record<string, unknown> = { updated_at: now };
    if (input.priority) set.priority = input.priority;
    if (input.assigneeId !== undefined) {
      if (input.assigneeId !== null) {
        const staff = isUuid(input.assigneeId)
          ? await trx
              .selectFrom('users')
              .select('id')
              .where('id', '=', input.assigneeId)
              .where('is_admin', '=', true)
              .executeTakeFirst()
          : undefined;
        if (!staff) throw new ValidationError({ assigneeId: 'Choose a member of the staff.' });
      }
      set.assignee_id = input.assigneeId;
    }
    if (input.status && input.status !== ticket.status) {
      const s: TicketStatus = input.status;
      set.status = s;
      set.waiting_since = s === 'open' || s === 'customer_reply' ? (ticket.waiting_since ?? now) : null;
      set.resolved_at = s === 'resolved' ? now : null;
      set.closed_at = s === 'closed' ? now : null;
    }
    await trx.updateTable('tickets').set(set).where('id', '=', ticket.id).execute();
    await publishTicket(trx, ticket);
    const changed: Record<string, string | null> = {};
    if (set.status !== undefined) changed.status = set.status as string;
    if (set.priority !== undefined && set.priority !== ticket.priority) changed.priority = set.priority as string;
    if (set.assignee_id !== undefined && set.assignee_id !== ticket.assignee_id) {
      const to = set.assignee_id as string | null;
      changed.assignee = to
        ? ((await trx.selectFrom('users').select('name').where('id', '=', to).executeTakeFirst())?.name ?? null)
        : 'nobody';
    }
    if (Object.keys(changed).length)
      await recordTicketActivity(trx, actor, 'admin.ticket_updated', ticket, now, changed);
  });
  return staffGetTicket(deps, actor, id);
}

export interface QueueFilter {
  status?: string | null;
  priority?: string | null;
  categoryId?: string | null;
  /** 'me', 'none' (unassigned), or a staff member's id. */
  assignee?: string | null;
  organizationId?: string | null;
  /** Searched in subjects and messages (internal notes included). */
  q?: string | null;
}

/**
 * The staff queue: tickets filtered as asked (by default those not resolved or closed), those
 * waiting on staff longest first, then the most recently active; with the count per status
 * over all tickets.
 */
export async function staffQueue(deps: Pick<Deps, 'db'>, actor: Actor, filter: QueueFilter = {}) {
  requireStaff(actor);
  let q = selectTickets(deps.db)
    .innerJoin('organizations as org', 'org.id', 't.organization_id')
    .select('org.name as organization')
    .select(sql<number>`(select count(*)::int from ticket_attachments ta where ta.ticket_id = t.id)`.as('files'));
  const status = filter.status || 'active';
  if (status === 'active') q = q.where('t.status', 'not in', ['resolved', 'closed']);
  else if (status === 'waiting') q = q.where('t.waiting_since', 'is not', null);
  else if ((TICKET_STATUSES as readonly string[]).includes(status))
    q = q.where('t.status', '=', status as TicketStatus);
  if (filter.priority && (TICKET_PRIORITIES as readonly string[]).includes(filter.priority)) {
    q = q.where('t.priority', '=', filter.priority as (typeof TICKET_PRIORITIES)[number]);
  }
  if (filter.categoryId && isUuid(filter.categoryId)) q = q.where('t.category_id', '=', filter.categoryId);
  if (filter.assignee === 'me') q = q.where('t.assignee_id', '=', actor.userId);
  else if (filter.assignee === 'none') q = q.where('t.assignee_id', 'is', null);
  else if (filter.assignee && isUuid(filter.assignee)) q = q.where('t.assignee_id', '=', filter.assignee);
  if (filter.organizationId && isUuid(filter.organizationId))
    q = q.where('t.organization_id', '=', filter.organizationId);
  const search = filter.q?.trim().slice(0, 200);
  if (search) {
    const like = `%${search.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
    q = q.where((eb) =>
      eb.or([
        eb('t.subject', 'ilike', like),
        eb.exists(
          eb
            .selectFrom('ticket_messages as m')
            .select('m.id')
            .whereRef('m.ticket_id', '=', 't.id')
            .where('m.body', 'ilike', like),
        ),
      ]),
    );
  }
  const tickets = await q
    .orderBy(sql`t.waiting_since asc nulls last`)
    .orderBy('t.updated_at', 'desc')
    .limit(200)
    .execute();
  const countRows = await deps.db
    .selectFrom('tickets')
    .select(['status', sql<string>`count(*)`.as('n')])
    .groupBy('status')
    .execute();
  const counts = Object.fromEntries(TICKET_STATUSES.map((s) => [s, 0])) as Record<TicketStatus, number>;
  for (const r of countRows) counts[r.status] = Number(r.n);
  return { tickets, counts };
}

/** The platform admins a ticket may be assigned to. */
export async function supportStaff(deps: Pick<Deps, 'db'>): Promise<{ id: string; name: string }[]> {
  return deps.db.selectFrom('users').select(['id', 'name']).where('is_admin', '=', true).orderBy('name').execute();
}
