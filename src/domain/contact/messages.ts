import { z } from 'zod';
import type { ContactMessageStatus } from '../../db/types.ts';
import type { DataCache } from '../../lib/data-cache.ts';
import { NotFoundError, RateLimitedError, ValidationError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import { fieldErrors } from '../../lib/validation.ts';
import { queueEmail } from '../../mail/queue.ts';
import type { Actor } from '../access/actor.ts';
import { requirePlatformAdmin } from '../access/guard.ts';
import { recordActivity } from '../activity/record.ts';
import type { Deps, RequestOrigin } from '../deps.ts';
import { claimAttempt } from '../security/attempts.ts';
import { getSiteSettings } from '../settings/site.ts';
import { listCategories } from './settings.ts';

/**
 * Messages sent through /contact (issue 16 items 1, 4 and 14), and the staff's inbox.
 *
 * A visitor's message is stored for staff and emailed to the support address of the site
 * settings (`supportEmail`; none set: stored only, and the inbox says so). Spam defences:
 * - a honeypot field (`website`) people never see: filled, the form answers as if sent and
 *   nothing is stored, counted or mailed;
 * - at most CONTACT_LIMIT messages per hour from one IP address, and as many from one email
 *   address (`auth_attempts`: exact, shared by every instance); one more answers 429 with
 *   `Retry-After`. Only messages that pass validation count, so a typo costs nothing.
 * - length limits on every field (422 with the form and what was typed).
 *
 * Staff read a message (new → read), reply by email (the reply is kept, the sender emailed
 * `contact_reply`, the message becomes replied) and archive or restore it.
 */

export const CONTACT_LIMIT = 5;
export const CONTACT_WINDOW_MS = 3_600_000;
export const MAX_NAME = 100;
export const MAX_SUBJECT = 200;
export const MAX_MESSAGE = 5000;
export const MAX_REPLY = 10_000;
export const STATUSES = ['new', 'read', 'replied', 'archived'] as const satisfies readonly ContactMessageStatus[];
/** The honeypot field's name: a plausible one bots fill in. */
export const HONEYPOT = 'website';

const oneLine = (s: string | undefined) => (s ?? '').replace(/\s+/g, ' ').trim();

const contactInput = z.object({
  name: z
    .string()
    .optional()
    .transform(oneLine)
    .pipe(z.string().min(1, 'Enter your name.').max(MAX_NAME, `Keep your name to ${MAX_NAME} characters.`)),
  email: z
    .string()
    .optional()
    .transform((s) => (s ?? '').trim().toLowerCase())
    .pipe(
      z
        .string()
        .min(1, 'Enter your email address, so we can answer.')
        .max(254, 'That email address is too long.')
        .pipe(z.email('Enter a valid email address.')),
    ),
  category: z.string().optional(),
  subject: z
    .string()
    .optional()
    .transform(oneLine)
    .pipe(z.string().min(1, 'Give it a subject.').max(MAX_SUBJECT, `Keep the subject to ${MAX_SUBJECT} characters.`)),
  message: z
    .string()
    .optional()
    .transform((s) => (s ?? '').replace(/\r\n?/g, '\n').trim())
    .pipe(
      z
        .string()
        .min(1, 'Write your message.')
        .max(MAX_MESSAGE, `Keep the message to ${MAX_MESSAGE.toLocaleString('en')} characters.`),
    ),
});

export type ContactInput = z.input<typeof contactInput> & { [HONEYPOT]?: string };

export type SubmitDeps = Pick<Deps, 'db' | 'clock' | 'config' | 'queue'> & { cache?: DataCache };

/** Who sends: the signed-in user, if any, and where from. */
export interface Sender extends RequestOrigin {
  userId: string | null;
}

/**
 * Takes a message from /contact. `stored` false: the honeypot was filled (the page answers as
 * if it were sent). Throws ValidationError (422) or RateLimitedError (429).
 */
export async function submitContactMessage(
  deps: SubmitDeps,
  sender: Sender,
  raw: ContactInput,
): Promise<{ stored: boolean; id: string | null }> {
  if ((raw[HONEYPOT] ?? '').trim() !== '') return { stored: false, id: null };
  const r = contactInput.safeParse(raw);
  const errors = r.success ? {} : fieldErrors(r.error);
  const categories = await listCategories(deps.db);
  const categoryId = (raw.category ?? '').trim();
  const category = categories.find((c) => c.id === categoryId) ?? null;
  if (categories.length && !category) errors.category = 'Choose what your message is about.';
  if (!r.success || Object.keys(errors).length) throw new ValidationError(errors);
  const v = r.data;

  const now = deps.clock.now();
  for (const key of [`contact:ip:${sender.ip}`, `contact:email:${v.email}`]) {
    const claim = await claimAttempt(deps.db, key, CONTACT_LIMIT, CONTACT_WINDOW_MS, now);
    if (!claim.allowed)
      throw new RateLimitedError(
        claim.retryAfterSeconds,
        `You have sent ${CONTACT_LIMIT} messages in the last hour. Please wait ${waitText(claim.retryAfterSeconds)} before sending another.`,
      );
  }

  const site = await getSiteSettings(deps.db, { cache: deps.cache, brandName: deps.config.BRAND_NAME });
  const id = await deps.db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('contact_messages')
      .values({
        name: v.name,
        email: v.email,
        category_id: category?.id ?? null,
        subject: v.subject,
        message: v.message,
        ip: sender.ip,
        user_agent: sender.userAgent?.slice(0, 500) ?? null,
        user_id: sender.userId,
        emailed_to: site.supportEmail,
        created_at: now,
        updated_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    if (site.supportEmail)
      await queueEmail(deps, trx, site.supportEmail, 'contact_message', {
        sender: v.name,
        senderEmail: v.email,
        category: category?.name ?? 'General',
        subject: v.subject,
        message: v.message,
        inboxUrl: `${deps.config.publicUrl}/admin/contact/${row.id}`,
      });
    return row.id;
  });
  return { stored: true, id };
}

function waitText(seconds: number): string {
  if (seconds < 90) return `${seconds} seconds`;
  return `${Math.ceil(seconds / 60)} minutes`;
}

// --- the staff's inbox ---------------------------------------------------------------------------

export interface ContactMessageSummary {
  id: string;
  name: string;
  email: string;
  category: string | null;
  subject: string;
  status: ContactMessageStatus;
  createdAt: Date;
}

export interface ContactReply {
  id: string;
  body: string;
  staff: string | null;
  sentAt: Date;
}

export interface ContactMessage extends ContactMessageSummary {
  message: string;
  ip: string;
  userAgent: string | null;
  userId: string | null;
  userName: string | null;
  emailedTo: string | null;
  replies: ContactReply[];
}

export const PAGE_SIZE = 50;

/** The inbox: messages in `status` (none: all but archived), newest first, and how many are in each status. */
export async function listContactMessages(
  deps: Pick<Deps, 'db'>,
  actor: Actor,
  opts: { status?: ContactMessageStatus | null; page?: number } = {},
): Promise<{ messages: ContactMessageSummary[]; counts: Record<ContactMessageStatus, number>; hasMore: boolean }> {
  requirePlatformAdmin(actor);
  const page = Math.max(1, opts.page ?? 1);
  let q = deps.db
    .selectFrom('contact_messages as m')
    .leftJoin('contact_categories as c', 'c.id', 'm.category_id')
    .select(['m.id', 'm.name', 'm.email', 'c.name as category', 'm.subject', 'm.status', 'm.created_at as createdAt']);
  q = opts.status ? q.where('m.status', '=', opts.status) : q.where('m.status', '!=', 'archived');
  const rows = await q
    .orderBy('m.created_at', 'desc')
    .orderBy('m.id')
    .limit(PAGE_SIZE + 1)
    .offset((page - 1) * PAGE_SIZE)
    .execute();
  const countRows = await deps.db
    .selectFrom('contact_messages')
    .select(['status', deps.db.fn.countAll<string>().as('n')])
    .groupBy('status')
    .execute();
  const counts = { new: 0, read: 0, replied: 0, archived: 0 } as Record<ContactMessageStatus, number>;
  for (const r of countRows) counts[r.status] = Number(r.n);
  return { messages: rows.slice(0, PAGE_SIZE), counts, hasMore: rows.length > PAGE_SIZE };
}

/** One message with its replies (staff). */
export async function getContactMessage(deps: Pick<Deps, 'db'>, actor: Actor, id: string): Promise<ContactMessage> {
  requirePlatformAdmin(actor);
  const row = isUuid(id)
    ? await deps.db
        .selectFrom('contact_messages as m')
        .leftJoin('contact_categories as c', 'c.id', 'm.category_id')
        .leftJoin('users as u', 'u.id', 'm.user_id')
        .select([
          'm.id',
          'm.name',
          'm.email',
          'c.name as category',
          'm.subject',
          'm.status',
          'm.created_at as createdAt',
          'm.message',
          'm.ip',
          'm.user_agent as userAgent',
          'm.user_id as userId',
          'u.name as userName',
          'm.emailed_to as emailedTo',
        ])
        .where('m.id', '=', id)
        .executeTakeFirst()
    : undefined;
  if (!row) throw new NotFoundError('No such message.');
  const replies = await deps.db
    .selectFrom('contact_replies as r')
    .leftJoin('users as u', 'u.id', 'r.staff_user_id')
    .select(['r.id', 'r.body', 'u.name as staff', 'r.sent_at as sentAt'])
    .where('r.message_id', '=', row.id)
    .orderBy('r.sent_at')
    .orderBy('r.id')
    .execute();
  return { ...row, replies };
}

/** Opens a message: a new one becomes read. */
export async function openContactMessage(
  deps: Pick<Deps, 'db' | 'clock'>,
  actor: Actor,
  id: string,
): Promise<ContactMessage> {
  const m = await getContactMessage(deps, actor, id);
  if (m.status !== 'new') return m;
  await deps.db
    .updateTable('contact_messages')
    .set({ status: 'read', updated_at: deps.clock.now() })
    .where('id', '=', m.id)
    .where('status', '=', 'new')
    .execute();
  return { ...m, status: 'read' };
}

const replyInput = z.object({
  body: z
    .string()
    .optional()
    .transform((s) => (s ?? '').replace(/\r\n?/g, '\n').trim())
    .pipe(
      z
        .string()
        .min(1, 'Write the reply.')
        .max(MAX_REPLY, `Keep the reply to ${MAX_REPLY.toLocaleString('en')} characters.`),
    ),
});

/** Replies by email: the reply is kept, the sender emailed (`contact_reply`), the message marked replied. */
export async function replyToContactMessage(
  deps: Pick<Deps, 'db' | 'clock' | 'config' | 'queue'>,
  actor: Actor,
  id: string,
  raw: { body?: string },
): Promise<void> {
  const m = await getContactMessage(deps, actor, id);
  const r = replyInput.safeParse(raw);
  if (!r.success) throw new ValidationError(fieldErrors(r.error));
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    const reply = await trx
      .insertInto('contact_replies')
      .values({ message_id: m.id, staff_user_id: actor.userId, body: r.data.body, sent_at: now })
      .returning('id')
      .executeTakeFirstOrThrow();
    await trx
      .updateTable('contact_messages')
      .set({ status: 'replied', updated_at: now })
      .where('id', '=', m.id)
      .execute();
    await queueEmail(deps, trx, m.email, 'contact_reply', {
      name: m.name,
      subject: m.subject,
      reply: r.data.body,
      original: m.message,
    });
    await recordActivity(trx, {
      action: 'admin.contact_message_replied',
      actorUserId: actor.userId,
      target: { type: 'contact_message', id: m.id },
      origin: actor.origin,
      details: { reply_id: reply.id, subject: m.subject },
      occurredAt: now,
    });
  });
}

/** Archives a message, or restores it (replied when it has a reply, read otherwise). */
export async function setContactMessageArchived(
  deps: Pick<Deps, 'db' | 'clock'>,
  actor: Actor,
  id: string,
  archived: boolean,
): Promise<ContactMessage> {
  const m = await getContactMessage(deps, actor, id);
  const status: ContactMessageStatus = archived ? 'archived' : m.replies.length ? 'replied' : 'read';
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    await trx.updateTable('contact_messages').set({ status, updated_at: now }).where('id', '=', m.id).execute();
    await recordActivity(trx, {
      action: 'admin.contact_message_updated',
      actorUserId: actor.userId,
      target: { type: 'contact_message', id: m.id },
      origin: actor.origin,
      details: { status, subject: m.subject },
      occurredAt: now,
    });
  });
  return { ...m, status };
}

/** Whether `s` names a status (the inbox's filter). */
export const isContactStatus = (s: string | undefined): s is ContactMessageStatus =>
  (STATUSES as readonly string[]).includes(s ?? '');

/** The support address messages are mailed to, or null (the inbox says none is set). */
export async function supportAddress(
  deps: Pick<Deps, 'db' | 'config'> & { cache?: DataCache },
): Promise<string | null> {
  return (await getSiteSettings(deps.db, { cache: deps.cache, brandName: deps.config.BRAND_NAME })).supportEmail;
}
