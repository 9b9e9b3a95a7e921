import { sql } from 'kysely';
import type { Config } from '../config.ts';
import type { Db } from '../db/index.ts';
import type { Logger } from '../lib/log.ts';
import { emailDeliveryFailures } from '../metrics/registry.ts';
import { createResendTransport, createSmtpTransport, MailError, type MailTransport } from '../providers/mail/index.ts';
import { fillSecrets, maskSecrets, openSecrets, type Secrets } from './secrets.ts';

/** The outbox transport: the email row already holds everything; delivery is a no-op. */
export const outboxTransport: MailTransport = {
  name: 'outbox',
  async send(mail) {
    return { providerMessageId: mail.idempotencyKey };
  },
};

/**
 * The transport `config.mailTransport` names. loadConfig has already refused `smtp` without
 * SMTP_URL and `resend` without RESEND_API_KEY, so the checks here only narrow the types.
 */
export function createMailTransport(
  config: Pick<Config, 'mailTransport' | 'MAIL_FROM' | 'SMTP_URL' | 'RESEND_API_KEY' | 'RESEND_BASE_URL'>,
): MailTransport {
  switch (config.mailTransport) {
    case 'smtp':
      if (!config.SMTP_URL) throw new Error('SMTP_URL is required when MAIL_TRANSPORT=smtp');
      return createSmtpTransport({ url: config.SMTP_URL, from: config.MAIL_FROM });
    case 'resend':
      if (!config.RESEND_API_KEY) throw new Error('RESEND_API_KEY is required when MAIL_TRANSPORT=resend');
      return createResendTransport({ apiKey: config.RESEND_API_KEY, baseUrl: config.RESEND_BASE_URL });
    case 'outbox':
      return outboxTransport;
  }
}

export interface DeliveryDeps {
  db: Db;
  /** The transport this process sends with (src/services.ts builds it with `createMailTransport`). */
  mail: MailTransport;
  config: Pick<Config, 'MAIL_FROM' | 'encryptionKeys'>;
  log: Logger;
}

/**
 * Delivers one queued email. Safe to run twice: only a `queued` row is sent, and the email id
 * is the provider's idempotency key, so a retry after an unclear failure (timeout, lost reply)
 * is not a second copy on Resend and is recognisable by its Message-ID on SMTP. A temporary
 * failure is rethrown (the job queue retries it); a permanent one marks the row `failed`.
 *
 * The email's live links are opened here and put into the message (src/mail/secrets.ts). Once
 * SMTP or Resend has the message, or it failed for good, they are forgotten; the outbox keeps
 * them (sealed, until they expire) for the staff who deliver outbox mail by hand.
 */
export async function deliverEmail(deps: DeliveryDeps, emailId: string): Promise<{ status: string }> {
  const { db, mail: transport, config, log } = deps;
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

  const forget = transport.name === 'outbox' ? {} : { secrets: null, secrets_expire_at: null };
  try {
    const { to_address: to, subject } = email;
    const { html, text } = fillSecrets(email, linksOf(deps, email));
    const sent = await transport.send({ from: config.MAIL_FROM, to, subject, html, text, idempotencyKey: email.id });
    const sentAt = sql<Date>`now()`;
    await byId
      .set({
        status: 'sent',
        transport: transport.name,
        provider_message_id: sent.providerMessageId,
        sent_at: sentAt,
        last_error: null,
        ...forget,
      })
      .execute();
    return { status: 'sent' };
  } catch (err) {
    const lastError = err instanceof Error ? err.message : String(err);
    // Unknown errors count as temporary: pg-boss's retry limit still bounds them.
    const permanent = err instanceof MailError && !err.retryable;
    emailDeliveryFailures.inc({ kind: permanent ? 'permanent' : 'temporary' });
    await byId
      .set({
        last_error: lastError,
        transport: transport.name,
        ...(permanent ? { status: 'failed' as const, secrets: null, secrets_expire_at: null } : {}),
      })
      .execute();
    const context = { emailId, attempts: email.attempts, transport: transport.name, lastError };
    if (!permanent) {
      log.warn(context, 'email delivery failed; pg-boss will retry');
      throw err;
    }
    log.error(context, 'email failed permanently');
    return { status: 'failed' };
  }
}

/** The email's sealed links, opened; a permanent failure when they are gone (expired before it could be sent). */
function linksOf(
  deps: Pick<DeliveryDeps, 'config'>,
  email: { secrets: string | null; secrets_expire_at: Date | null; text: string },
): Secrets {
  if (email.secrets && email.secrets_expire_at && email.secrets_expire_at > new Date())
    return openSecrets(deps.config.encryptionKeys, email.secrets);
  if (maskSecrets(email.text, '') !== email.text)
    throw new MailError('Its links expired before it could be sent; the recipient must ask again.', false);
  return {};
}

/** Forgets the sealed links of emails whose links expired (kept by the outbox, or never sent); how many. */
export async function forgetExpiredLinks(db: Db, now: Date): Promise<number> {
  const res = await db
    .updateTable('emails')
    .set({ secrets: null, secrets_expire_at: null })
    .where('secrets_expire_at', '<=', now)
    .executeTakeFirst();
  return Number(res.numUpdatedRows);
}
