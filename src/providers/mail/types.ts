/** One message handed to a transport; `idempotencyKey` lets a retried job not send twice. */
export interface OutgoingMail {
  from: string;
  to: string;
  subject: string;
  html: string;
  text: string;
  idempotencyKey: string;
}

export interface SendResult {
  /** The provider's id for the message (the outbox uses our own id). */
  providerMessageId: string;
}

/**
 * A way to deliver mail. Implementations: outbox (keeps mail in the database for admins to
 * read), SMTP (nodemailer) and Resend (HTTP). Throws `MailError` on failure.
 */
export interface MailTransport {
  readonly name: 'outbox' | 'smtp' | 'resend';
  send(mail: OutgoingMail): Promise<SendResult>;
  close?(): Promise<void>;
}

/** `retryable` false means retrying the same message cannot help (bad key, bad address). */
export class MailError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}
