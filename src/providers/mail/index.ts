/**
 * Mail's outside systems: an SMTP server (nodemailer) and Resend's HTTP API, each a
 * `MailTransport`, each with a local emulator (emulator/) the tests send through. Which one a
 * process uses, and what delivering an email means, is src/mail/'s business.
 */
export { createResendTransport, type ResendOptions } from './resend.ts';
export { createSmtpTransport } from './smtp.ts';
export { MailError, type MailTransport, type OutgoingMail, type SendResult } from './types.ts';
