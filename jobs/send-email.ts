import { sql } from 'kysely';
import type { Config } from '../src/config.ts';
import type { Db } from '../src/db/index.ts';
import type { Logger } from '../src/lib/log.ts';
import { MailError, type MailTransport } from '../src/providers/mail/transport.ts';
import { queues } from '../src/queue/index.ts';

/**
 * Delivers one outbox email. Safe to run twice: only a `queued` row is sent, and the email id
 * is the provider's idempotency key, so a retry after an unclear failure (timeout, lost reply)
 * is not a second copy on Resend and is recognisable by its Message-ID on SMTP.
 */
export async function sendEmail(
  deps: { db: Db; transport: MailTransport; config: Config; log: Logger },
  payload: { emailId: string },
): Promise<{ status: string }> {
  const { db, transport, config, log } = deps;
  const { emailId } = queues['email.send'].parse(payload);
  // Claiming and counting the attempt in one statement leaves sent and failed rows untouched.
  const email = await db
    .updateTable('emails')
    .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
    .where('id', '=', emailId)
    .where('status', '=', 'queued')
    .returningAll()
    .executeTakeFirst();
  if (!email) {
    const row = await db.selectFrom('emails').select('status').where('id', '=', emailId).executeTakeFirst();
    return { status: row?.status ?? 'missing' };
  }
  const byId = db.updateTable('emails').where('id', '=', email.id);

  try {
    const { to_address: to, subject, html, text } = email;
    const sent = await transport.send({ from: config.MAIL_FROM, to, subject, html, text, idempotencyKey: email.id });
    const sentAt = sql<Date>`now()`;
    await byId.set({ status: 'sent', transport: transport.name, provider_message_id: sent.providerMessageId, sent_at: sentAt, last_error: null }).execute();
    return { status: 'sent' };
  } catch (err) {
    const lastError = err instanceof Error ? err.message : String(err);
    // Unknown errors count as temporary: pg-boss's retry limit still bounds them.
    const permanent = err instanceof MailError && !err.retryable;
    await byId.set({ last_error: lastError, transport: transport.name, ...(permanent ? { status: 'failed' as const } : {}) }).execute();
    const context = { emailId, attempts: email.attempts, transport: transport.name, lastError };
    if (!permanent) {
      log.warn(context, 'email delivery failed; pg-boss will retry');
      throw err;
    }
    log.error(context, 'email failed permanently');
    return { status: 'failed' };
  }
}
