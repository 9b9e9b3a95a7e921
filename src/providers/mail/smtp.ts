import type { Transporter } from 'nodemailer';
import { MailError, type MailTransport } from './types.ts';

export interface SmtpOptions {
  /** `smtp://user:pass@host:587` or `smtps://…:465`; nodemailer options may ride as query params. */
  url: string;
  /** Sender used when a message carries none. */
  from?: string;
  /** Connect, greeting and idle-socket budget; nodemailer's defaults (up to 10 min) would stall a job worker. */
  timeoutMs?: number;
}

/** Failures that are about our configuration, not the moment: retrying cannot help. */
const PERMANENT_CODES = new Set([
  'ECONFIG',
  'ETLS',
  'EREQUIRETLS',
  'ENOAUTH',
  'EOAUTH2',
  'EMESSAGE',
  'EAUTH',
  'EENVELOPE',
]);

interface SmtpErrorShape {
  code?: string;
  command?: string;
  responseCode?: number;
  message?: string;
}

/**
 * SMTP via nodemailer. SMTP has no idempotency keys, so a retry after a lost "250 OK" can
 * deliver twice; the stable `Message-ID` and `X-SkyPanel-Message-Id` header built from the
 * email id let receiving systems (and people) recognise the duplicate.
 */
export function createSmtpTransport(opts: SmtpOptions): MailTransport {
  const timeout = opts.timeoutMs ?? 30_000;
  // nodemailer loads with the first email, not at start-up (most processes start without sending).
  // The URL wins over these defaults, so `?connectionTimeout=…` in SMTP_URL still works.
  let transporter: Promise<Transporter> | null = null;
  const open = () =>
    (transporter ??= import('nodemailer').then(({ default: nodemailer }) =>
      nodemailer.createTransport({
        url: opts.url,
        connectionTimeout: timeout,
        greetingTimeout: timeout,
        socketTimeout: timeout * 2,
      }),
    ));
  const secrets = passwordForms(opts.url);
  const scrub = (s: string) => secrets.reduce((out, secret) => out.split(secret).join('[redacted]'), s);

  return {
    name: 'smtp',
    async send(mail) {
      const from = mail.from || opts.from;
      const smtp = await open();
      try {
        const info = await smtp.sendMail({
          from,
          to: mail.to,
          subject: mail.subject,
          html: mail.html || undefined,
          text: mail.text || undefined,
          messageId: `<${mail.idempotencyKey}@${domainOf(from)}>`,
          headers: { 'X-SkyPanel-Message-Id': mail.idempotencyKey },
        });
        return { providerMessageId: info.messageId };
      } catch (err) {
        throw toMailError(err as SmtpErrorShape, scrub);
      }
    },
    async close() {
      if (transporter) (await transporter).close();
    },
  };
}

/** 4xx replies are "try again later" by definition (RFC 5321 §4.2.1); 5xx are final. */
function toMailError(err: SmtpErrorShape, scrub: (s: string) => string): MailError {
  const code = err.responseCode;
  const retryable = code ? code >= 400 && code < 500 : !PERMANENT_CODES.has(err.code ?? '');
  const where = [err.code, err.command].filter(Boolean).join(' ');
  return new MailError(scrub(`SMTP ${where ? `${where}: ` : ''}${err.message ?? 'unknown error'}`), retryable);
}

/** The password as written in the URL and decoded: error text must contain neither. */
function passwordForms(url: string): string[] {
  try {
    const raw = new URL(url).password;
    return [...new Set([raw, decodeURIComponent(raw)])].filter(Boolean);
  } catch {
    return [];
  }
}

/** Message-IDs end in the sender's domain, as RFC 5322 suggests. */
function domainOf(from: string | undefined): string {
  const match = /@([^\s>]+)>?\s*$/.exec(from ?? '');
  return match?.[1] ?? 'skypanel.local';
}
