import type { Config } from '../../config.ts';
import { createResendTransport } from './resend.ts';
import { createSmtpTransport } from './smtp.ts';
import { outboxTransport, type MailTransport } from './transport.ts';

export { MailError, type MailTransport, type OutgoingMail, type SendResult } from './transport.ts';

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
