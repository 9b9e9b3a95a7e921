import { z } from 'zod';
import { sql } from 'kysely';
import { inTransaction, type DbOrTx } from '../../db/index.ts';
import { publish, type Audience } from '../../db/notify.ts';
import { fetchSize, uuidCursor, type PageRequest } from '../../db/paging.ts';
import type { ServerSnapshot, TicketPriority, TicketStatus } from '../../db/types.ts';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import { parseInput } from '../../lib/validation.ts';
import { can, type Actor } from '../access/actor.ts';
import { recordActivity, type ActivityAction } from '../activity/record.ts';
import { orgOf } from '../access/organization.ts';
import type { Deps } from '../deps.ts';
import { withStoredFiles } from '../files/store.ts';
import {
  attachmentOfTicket,
  attachmentsOf,
  attachToMessage,
  checkUploads,
  type Attachment,
  type CheckedUpload,
  type IncomingFile,
} from './attachments.ts';
import { mailStaff } from './mail.ts';
import { emitWebhookEvent } from '../webhooks/emit.ts';

/**
 * Support tickets, the customer's side (PRODUCT.md §6).
 *
 * Visibility: `tickets_view` (or `tickets_manage`) reads all of the organization's tickets; without it a member reads
 * only the tickets they opened. `tickets_create` opens tickets and replies to those one can
 * read; `tickets_manage` closes them and changes their priority (the person who opened a ticket
 * may also mark it resolved). A ticket one may not read is not found (404), never forbidden.
 *
 * Statuses: open (new, nobody on the staff answered yet) → answered (staff replied) →
 * customer_reply (the customer wrote again) → resolved → closed. A customer reply to a resolved
 * ticket reopens it (customer_reply); a closed ticket refuses replies (a new ticket may follow
 * it: `followsTicketId`). Staff-only internal notes are never returned here.
 *
 * Every change publishes the realtime event `ticket` ({ id }) to the organization's members
 * with `tickets_view` and to the person who opened it, so an open thread re-fetches itself.
 */

export const TICKET_PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const satisfies readonly TicketPriority[];
export const TICKET_STATUSES = [
  'open',
  'answered',
  'customer_reply',
  'resolved',
  'closed',
] as const satisfies readonly TicketStatus[];
export const TICKET_TOPIC = 'ticket';
export const MAX_MESSAGE_LENGTH = 20_000;
export const MAX_SUBJECT_LENGTH = 200;

const NO_TICKET = 'No such ticket.';

export interface TicketCategory {
  id: string;
  name: string;
  isDefault: boolean;
}

export interface TicketSummary {
  id: string;
  number: string;
  organizationId: string;
  subject: string;
  categoryId: string;
  category: string;
  priority: TicketPriority;
  status: TicketStatus;
  openedById: string | null;
  openedBy: string | null;
  assigneeId: string | null;
  assignee: string | null;
  serverId: string | null;
  server: ServerSnapshot | null;
  followsTicketId: string | null;
  waitingSince: Date | null;
  createdAt: Date;
  updatedAt: Date;
  resolvedAt: Date | null;
  closedAt: Date | null;
  /** In lists: how many files the ticket's messages carry (for customers, internal notes' not counted). */
  files?: number;
}

export interface TicketMessage {
  id: string;
  ticketId: string;
  authorId: string | null;
  author: string | null;
  fromStaff: boolean;
  internal: boolean;
  body: string;
  createdAt: Date;
  /** Its files (src/domain/support/attachments.ts), in the order attached. */
  attachments: Attachment[];
}

export interface TicketDetail extends TicketSummary {
  messages: TicketMessage[];
}

const text = (max: number, empty: string, tooLong: string) =>
  z
    .string({ error: empty })
    .max(max * 2, tooLong)
    .transform((s) => s.replace(/\r\n?/g, '\n').replace(/^\s*\n|\s+$/g, ''))
    .pipe(z.string().min(1, empty).max(max, tooLong));

export const messageSchema = text(
  MAX_MESSAGE_LENGTH,
  'Write your message.',
  `Keep a message to ${MAX_MESSAGE_LENGTH.toLocaleString('en')} characters.`,
);
const subjectSchema = z
  .string({ error: 'Give the ticket a subject.' })
  .transform((s) => s.replace(/\s+/g, ' ').trim())
  .pipe(
    z
      .string()
      .min(1, 'Give the ticket a subject.')
      .max(MAX_SUBJECT_LENGTH, `Keep the subject to ${MAX_SUBJECT_LENGTH} characters.`),
  );
const prioritySchema = z.enum(TICKET_PRIORITIES, { error: 'Choose low, normal, high or urgent.' });
const openInput = z.object({
  subject: subjectSchema,
  message: messageSchema,
  priority: z.preprocess((v) => (v === '' || v == null ? 'normal' : v), prioritySchema),
  categoryId: z.preprocess((v) => (v === '' ? null : v), z.string().max(64).nullish()),
  serverId: z.preprocess((v) => (v === '' ? null : v), z.string().max(64).nullish()),
  followsTicketId: z.preprocess((v) => (v === '' ? null : v), z.string().max(64).nullish()),
});
const replyInput = z.object({ message: messageSchema });

/** The organization's live servers a new ticket may be about (none without `vps_view`). */
export async function ticketServerChoices(db: DbOrTx, actor: Actor): Promise<{ id: string; label: string }[]> {
  if (!actor.organizationId || !can(actor, 'vps_view')) return [];
  return db
    .selectFrom('servers')
    .select(['id', 'label'])
    .where('organization_id', '=', actor.organizationId)
    .where('deleted_at', 'is', null)
    .orderBy('label')
    .execute();
}

/** The categories a new ticket may choose, the default first. */
export async function listCategories(db: DbOrTx): Promise<TicketCategory[]> {
  return db
    .selectFrom('ticket_categories')
    .select(['id', 'name', 'is_default as isDefault'])
    .where('archived_at', 'is', null)
    .orderBy('is_default', 'desc')
    .orderBy('position')
    .orderBy('name')
    .execute();
}

export function selectTickets(db: DbOrTx) {
  return db
    .selectFrom('tickets as t')
    .innerJoin('ticket_categories as k', 'k.id', 't.category_id')
    .leftJoin('users as o', 'o.id', 't.opened_by')
    .leftJoin('users as a', 'a.id', 't.assignee_id')
    .select([
      't.id',
      't.number',
      't.organization_id as organizationId',
      't.subject',
      't.category_id as categoryId',
      'k.name as category',
      't.priority',
      't.status',
      't.opened_by as openedById',
      'o.name as openedBy',
      't.assignee_id as assigneeId',
      'a.name as assignee',
      't.server_id as serverId',
      't.server_snapshot as server',
      't.follows_ticket_id as followsTicketId',
      't.waiting_since as waitingSince',
      't.created_at as createdAt',
      't.updated_at as updatedAt',
      't.resolved_at as resolvedAt',
      't.closed_at as closedAt',
    ]);
}

/** Whether the actor reads all of the organization's tickets (`tickets_view`, or `tickets_manage`, which acts on any). */
function seesAll(actor: Actor): boolean {
  return can(actor, 'tickets_view') || can(actor, 'tickets_manage');
}

/** The tickets the actor may read, as a query (the organization's, or only their own). */
function visibleTickets(db: DbOrTx, actor: Actor) {
  const orgId = orgOf(actor);
  let q = selectTickets(db).where('t.organization_id', '=', orgId);
  if (!seesAll(actor)) q = q.where('t.opened_by', '=', actor.userId);
  return q;
}

/** Whether the actor may use the support pages at all (read or open tickets). */
export function canUseSupport(actor: Actor): boolean {
  return seesAll(actor) || can(actor, 'tickets_create');
}

function requireSupport(actor: Actor): void {
  orgOf(actor);
  if (!canUseSupport(actor)) throw new ForbiddenError();
}

export interface TicketFilter {
  status?: TicketStatus | 'active' | null;
  /** A keyset page (the JSON API); without one, the newest 500. */
  page?: PageRequest;
}

/** The tickets the actor may read, those waiting on someone first, then newest activity first. */
export async function listTickets(db: DbOrTx, actor: Actor, filter: TicketFilter = {}): Promise<TicketSummary[]> {
  requireSupport(actor);
  let q = visibleTickets(db, actor).select(
    sql<number>`(select count(*)::int from ticket_attachments ta join ticket_messages tm on tm.id = ta.message_id where ta.ticket_id = t.id and not tm.internal)`.as(
      'files',
    ),
  );
  if (filter.status === 'active') q = q.where('t.status', 'not in', ['resolved', 'closed']);
  else if (filter.status) q = q.where('t.status', '=', filter.status);
  const cursor = uuidCursor(filter.page);
  if (cursor) {
    q = q.where(sql<boolean>`(t.updated_at, t.id) < (select updated_at, id from tickets where id = ${cursor})`);
  }
  return q
    .orderBy('t.updated_at', 'desc')
    .orderBy('t.id', 'desc')
    .limit(fetchSize(filter.page) ?? 500)
    .execute() as Promise<TicketSummary[]>;
}

export async function threadOf(db: DbOrTx, ticketId: string, opts: { internal: boolean }): Promise<TicketMessage[]> {
  const [messages, files] = await Promise.all([messagesOf(db, ticketId, opts), attachmentsOf(db, ticketId)]);
  return messages.map((m) => ({ ...m, attachments: files.get(m.id) ?? [] }));
}

function messagesOf(db: DbOrTx, ticketId: string, opts: { internal: boolean }) {
  return db
    .selectFrom('ticket_messages as m')
    .leftJoin('users as u', 'u.id', 'm.author_id')
    .select([
      'm.id',
      'm.ticket_id as ticketId',
      'm.author_id as authorId',
      'u.name as author',
      'm.from_staff as fromStaff',
      'm.internal',
      'm.body',
      'm.created_at as createdAt',
    ])
    .where('m.ticket_id', '=', ticketId)
    .$if(!opts.internal, (q) => q.where('m.internal', '=', false))
    .orderBy('m.seq')
    .execute();
}

/** One ticket the actor may read, with its thread (never internal notes); 404 otherwise. */
export async function getTicket(db: DbOrTx, actor: Actor, id: string): Promise<TicketDetail> {
  requireSupport(actor);
  const ticket = isUuid(id) ? await visibleTickets(db, actor).where('t.id', '=', id).executeTakeFirst() : undefined;
  if (!ticket) throw new NotFoundError(NO_TICKET);
  return { ...(ticket as TicketSummary), messages: await threadOf(db, ticket.id, { internal: false }) };
}

/**
 * Checks a message's text (`schema`) and its files together, so a refusal names every field
 * that is wrong (`message`, `attachments`…).
 */
export function parseMessage<T>(
  config: Deps['config'],
  schema: z.ZodType<T>,
  raw: Record<string, unknown> & { attachments?: readonly IncomingFile[] },
): { input: T; uploads: CheckedUpload[] } {
  const fields: Record<string, string> = {};
  const attempt = <R>(fn: () => R): R | undefined => {
    try {
      return fn();
    } catch (err) {
      if (!(err instanceof ValidationError) || !err.fields) throw err;
      Object.assign(fields, err.fields);
      return undefined;
    }
  };
  const input = attempt(() => parseInput(schema, raw));
  const uploads = attempt(() => checkUploads(config, raw.attachments));
  if (Object.keys(fields).length) {
    const only = Object.keys(fields).length === 1 && fields.attachments;
    throw only ? new ValidationError(fields, fields.attachments) : new ValidationError(fields);
  }
  return { input: input!, uploads: uploads! };
}

/** One attachment of a ticket the actor may read, with its bytes; 404 for another's ticket or an internal note's file. */
export async function getTicketAttachment(
  deps: Pick<Deps, 'db' | 'config' | 'log'>,
  actor: Actor,
  ticketId: string,
  attachmentId: string,
) {
  const ticket = await getTicket(deps.db, actor, ticketId);
  return attachmentOfTicket(deps, ticket.id, attachmentId, { internal: false });
}

/**
 * Records a ticket's step in its organization's activity log (who, the ticket's number and
 * subject, what changed), in the transaction of the change.
 */
export async function recordTicketActivity(
  trx: DbOrTx,
  actor: Actor,
  action: ActivityAction,
  ticket: { id: string; number: string; subject: string; organization_id: string },
  now: Date,
  details: Record<string, string | null> = {},
): Promise<void> {
  await recordActivity(trx, {
    action,
    actorUserId: actor.userId,
    impersonatorUserId: actor.impersonatorUserId,
    organizationId: ticket.organization_id,
    target: { type: 'ticket', id: ticket.id },
    origin: actor.origin,
    details: { name: `#${ticket.number}`, subject: ticket.subject, ...details },
    occurredAt: now,
  });
}

/**
 * Tells the open pages of the ticket that it changed, each once: its organization's readers, the
 * person who opened it and staff; with `staffOnly` (an internal note) staff alone.
 */
export async function publishTicket(
  db: DbOrTx,
  ticket: { id: string; organization_id: string; opened_by: string | null },
  opts: { staffOnly?: boolean } = {},
): Promise<void> {
  const audience: Audience[] = [{ admins: true }];
  if (!opts.staffOnly) {
    audience.push({ organizationId: ticket.organization_id, permission: 'tickets_view' });
    if (ticket.opened_by) audience.push({ userId: ticket.opened_by });
  }
  await publish(db, { topic: TICKET_TOPIC, audience, data: { id: ticket.id } });
}

async function snapshotOf(db: DbOrTx, orgId: string, serverId: string): Promise<ServerSnapshot> {
  const row = isUuid(serverId)
    ? await db
        .selectFrom('servers as s')
        .leftJoin('server_plans as p', 'p.id', 's.plan_id')
        .select(['s.id', 's.label', 's.ipv4', 'p.name as plan'])
        .where('s.id', '=', serverId)
        .where('s.organization_id', '=', orgId)
        .where('s.deleted_at', 'is', null)
        .executeTakeFirst()
    : undefined;
  if (!row) throw new ValidationError({ serverId: 'Choose one of your servers.' });
  return { label: row.label, ip: row.ipv4[0] ?? null, plan: row.plan ?? null };
}

/**
 * Opens a ticket with its first message (needs `tickets_create`). Without a category the
 * default one ("General"); with a server, a snapshot of its label, IP and plan.
 */
export async function openTicket(
  deps: Pick<Deps, 'db' | 'clock' | 'config' | 'queue' | 'log'>,
  actor: Actor,
  raw: {
    subject?: unknown;
    message?: unknown;
    priority?: unknown;
    categoryId?: unknown;
    serverId?: unknown;
    followsTicketId?: unknown;
    /** Files attached to the first message (checked here: attachments.ts). */
    attachments?: readonly IncomingFile[];
  },
): Promise<TicketDetail> {
  const orgId = orgOf(actor);
  if (!can(actor, 'tickets_create')) throw new ForbiddenError();
  const { input, uploads } = parseMessage(deps.config, openInput, raw);
  const now = deps.clock.now();
  const id = await withStoredFiles(deps, (store) =>
    inTransaction(deps.db, async (trx) => {
      const categories = await listCategories(trx);
      const category = input.categoryId
        ? categories.find((k) => k.id === input.categoryId)
        : (categories.find((k) => k.isDefault) ?? categories[0]);
      if (!category) throw new ValidationError({ categoryId: 'Choose one of the categories.' });
      const server = input.serverId ? await snapshotOf(trx, orgId, input.serverId) : null;
      let follows: string | null = null;
      if (input.followsTicketId) {
        const prior = isUuid(input.followsTicketId)
          ? await visibleTickets(trx, actor).where('t.id', '=', input.followsTicketId).executeTakeFirst()
          : undefined;
        follows = prior?.id ?? null;
      }
      const row = await trx
        .insertInto('tickets')
        .values({
          organization_id: orgId,
          opened_by: actor.userId,
          subject: input.subject,
          category_id: category.id,
          priority: input.priority,
          status: 'open',
          server_id: server ? input.serverId! : null,
          server_snapshot: server ? JSON.stringify(server) : null,
          follows_ticket_id: follows,
          waiting_since: now,
          created_at: now,
          updated_at: now,
        })
        .returning(['id', 'number', 'subject', 'organization_id', 'opened_by', 'assignee_id'])
        .executeTakeFirstOrThrow();
      const msg = await trx
        .insertInto('ticket_messages')
        .values({ ticket_id: row.id, author_id: actor.userId, from_staff: false, body: input.message, created_at: now })
        .returning('id')
        .executeTakeFirstOrThrow();
      await attachToMessage(trx, store, { ticketId: row.id, messageId: msg.id }, uploads);
      await publishTicket(trx, row);
      await recordTicketActivity(trx, actor, 'ticket.opened', row, now, { priority: input.priority });
      await mailStaff(deps, trx, row, 'opened', input.message, row.id);
      return row.id;
    }),
  );
  return getTicket(deps.db, actor, id);
}

/** The ticket row, locked, if the actor may read it; 404 otherwise. */
async function lockVisible(trx: DbOrTx, actor: Actor, id: string) {
  const orgId = orgOf(actor);
  const row = isUuid(id)
    ? await trx
        .selectFrom('tickets')
        .selectAll()
        .where('id', '=', id)
        .where('organization_id', '=', orgId)
        .$if(!seesAll(actor), (q) => q.where('opened_by', '=', actor.userId))
        .forUpdate()
        .executeTakeFirst()
    : undefined;
  if (!row) throw new NotFoundError(NO_TICKET);
  return row;
}

/** The status a customer's reply leaves the ticket in; a closed ticket refuses it. */
export function statusAfterCustomerReply(status: TicketStatus): TicketStatus {
  if (status === 'closed') throw new ConflictError('This ticket is closed. Open a new ticket that follows it.');
  return status === 'open' ? 'open' : 'customer_reply';
}

/**
 * The customer replies (needs `tickets_create` and a ticket they may read). A reply to a
 * resolved ticket reopens it; a closed ticket refuses (409).
 */
export async function replyToTicket(
  deps: Pick<Deps, 'db' | 'clock' | 'config' | 'queue' | 'log'>,
  actor: Actor,
  id: string,
  raw: { message?: unknown; attachments?: readonly IncomingFile[] },
): Promise<TicketMessage> {
  orgOf(actor);
  if (!can(actor, 'tickets_create')) throw new ForbiddenError();
  const now = deps.clock.now();
  return withStoredFiles(deps, (store) =>
    inTransaction(deps.db, async (trx) => {
      const ticket = await lockVisible(trx, actor, id);
      const status = statusAfterCustomerReply(ticket.status);
      const { input, uploads } = parseMessage(deps.config, replyInput, raw);
      const msg = await trx
        .insertInto('ticket_messages')
        .values({
          ticket_id: ticket.id,
          author_id: actor.userId,
          from_staff: false,
          body: input.message,
          created_at: now,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await attachToMessage(trx, store, { ticketId: ticket.id, messageId: msg.id }, uploads);
      await trx
        .updateTable('tickets')
        .set({
          status,
          updated_at: now,
          waiting_since: ticket.waiting_since ?? now,
          resolved_at: null,
        })
        .where('id', '=', ticket.id)
        .execute();
      await publishTicket(trx, ticket);
      if (ticket.status === 'resolved') await recordTicketActivity(trx, actor, 'ticket.reopened', ticket, now);
      await mailStaff(deps, trx, ticket, 'customer_reply', input.message, msg.id);
      await emitTicketReplied(trx, ticket, msg.id, 'member', now);
      return (await threadOf(trx, ticket.id, { internal: false })).find((m) => m.id === msg.id)!;
    }),
  );
}

/**
 * The customer changes a ticket: `status` resolved or closed (closing needs `tickets_manage`;
 * resolving needs it too, or being the person who opened the ticket), `priority` (needs
 * `tickets_manage`). A closed ticket stays closed.
 */
export async function updateTicket(
  deps: Pick<Deps, 'db' | 'clock'>,
  actor: Actor,
  id: string,
  raw: { status?: unknown; priority?: unknown },
): Promise<TicketDetail> {
  requireSupport(actor);
  const input = parseInput(
    z.object({
      status: z.enum(['resolved', 'closed'], { error: 'A ticket may be marked resolved or closed.' }).optional(),
      priority: prioritySchema.optional(),
    }),
    { status: raw.status || undefined, priority: raw.priority || undefined },
  );
  const manage = can(actor, 'tickets_manage');
  if (input.priority && !manage) throw new ForbiddenError();
  if (input.status === 'closed' && !manage) throw new ForbiddenError();
  const now = deps.clock.now();
  await inTransaction(deps.db, async (trx) => {
    const ticket = await lockVisible(trx, actor, id);
    if (input.status === 'resolved' && !manage && ticket.opened_by !== actor.userId) throw new ForbiddenError();
    if (ticket.status === 'closed' && (input.status || input.priority)) {
      throw new ConflictError('This ticket is closed.');
    }
    const set: Record<string, unknown> = { updated_at: now };
    if (input.priority) set.priority = input.priority;
    if (input.status && input.status !== ticket.status) {
      set.status = input.status;
      set.waiting_since = null;
      if (input.status === 'resolved') set.resolved_at = now;
      if (input.status === 'closed') set.closed_at = now;
    }
    await trx.updateTable('tickets').set(set).where('id', '=', ticket.id).execute();
    await publishTicket(trx, ticket);
    if (set.status === 'resolved' || set.status === 'closed') {
      await recordTicketActivity(
        trx,
        actor,
        set.status === 'resolved' ? 'ticket.resolved' : 'ticket.closed',
        ticket,
        now,
      );
    }
  });
  return getTicket(deps.db, actor, id);
}

/** How many of the actor's visible tickets wait on them (answered by staff). */
export async function answeredCount(db: DbOrTx, actor: Actor): Promise<number> {
  if (!actor.organizationId || !canUseSupport(actor)) return 0;
  const row = await visibleTickets(db, actor)
    .clearSelect()
    .select(sql<string>`count(*)`.as('n'))
    .where('t.status', '=', 'answered')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Closes the tickets resolved more than `days` days before `now` (maintenance.purge-expired, every 15 minutes);
 * each one's readers are told. Returns how many were closed. `days` 0: never.
 */
export async function closeResolvedTickets(db: DbOrTx, days: number, now: Date): Promise<number> {
  if (days <= 0) return 0;
  const before = new Date(now.getTime() - days * 86_400_000);
  const closed = await db
    .updateTable('tickets')
    .set({ status: 'closed', closed_at: now, updated_at: now, waiting_since: null })
    .where('status', '=', 'resolved')
    .where('resolved_at', '<=', before)
    .returning(['id', 'organization_id', 'opened_by'])
    .execute();
  for (const t of closed) await publishTicket(db, t);
  return closed.length;
}

/** The `ticket.replied` webhook event (webhooks/hooks.ts): a public reply, by a member or by support (never an internal note). */
export async function emitTicketReplied(
  trx: DbOrTx,
  ticket: { id: string; number: string | bigint; subject: string; organization_id: string },
  messageId: string,
  by: 'member' | 'support',
  at: Date,
): Promise<void> {
  await emitWebhookEvent(trx, {
    organizationId: ticket.organization_id,
    type: 'ticket.replied',
    key: `ticket.replied:${messageId}`,
    at,
    data: { ticket_id: ticket.id, number: String(ticket.number), subject: ticket.subject, message_id: messageId, by },
  });
}
