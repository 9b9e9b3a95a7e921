import { randomBytes } from 'node:crypto';
import { decryptSecret, encryptSecret, type Keyring } from '../lib/crypto.ts';

/**
 * Live links (a password reset, an email confirmation, an invitation) never sit readable in a
 * stored email, where staff and database backups would see them:
 *
 *   queueEmail   renders the body with a placeholder in place of each link, and keeps the
 *                links sealed with the app's encryption keys (`emails.secrets`) for at most
 *                SECRET_DAYS (the longest a link lives: an invitation's 7 days)
 *   delivery     opens them and puts the links back into the message it hands the transport;
 *                once SMTP or Resend has it, the sealed links are forgotten
 *   the outbox   with the outbox transport, staff deliver the mail by hand: they see the links
 *                (until they expire), and every view is recorded; with a real transport they
 *                see the body with the links masked
 *
 * A placeholder carries a random nonce, so text a user typed (a name in an invitation) cannot
 * name one and have a link put in its place.
 */

/** How long the links of an email are kept sealed at most (the longest link lifetime). */
export const SECRET_DAYS = 7;

/** The links of one email by placeholder. */
export type Secrets = Record<string, string>;

const PLACEHOLDER = /SKYPANEL-LINK-[0-9a-f]{16}-[A-Za-z]+/g;

/** Whether `value` is exactly one link's placeholder (a template may start an href with it). */
export function isSecretPlaceholder(value: string): boolean {
  return /^SKYPANEL-LINK-[0-9a-f]{16}-[A-Za-z]+$/.test(value);
}

/** `data` with each of `fields` replaced by a placeholder, and the values it took out. */
export function withholdSecrets<T extends object>(
  data: T,
  fields: ReadonlyArray<keyof T>,
): { data: T; secrets: Secrets } {
  const nonce = randomBytes(8).toString('hex');
  const secrets: Secrets = {};
  const masked = { ...data };
  for (const field of fields) {
    const placeholder = `SKYPANEL-LINK-${nonce}-${String(field)}`;
    secrets[placeholder] = String(data[field]);
    (masked as Record<keyof T, unknown>)[field] = placeholder;
  }
  return { data: masked, secrets };
}

export function sealSecrets(keys: Keyring, secrets: Secrets): string {
  return encryptSecret(keys, JSON.stringify(secrets));
}

export function openSecrets(keys: Keyring, sealed: string): Secrets {
  return JSON.parse(decryptSecret(keys, sealed)) as Secrets;
}

/** The body as the recipient gets it: every placeholder replaced by its link (escaped for HTML in the HTML part). */
export function fillSecrets(body: { html: string; text: string }, secrets: Secrets): { html: string; text: string } {
  const fill = (s: string, escape: (v: string) => string) =>
    s.replace(PLACEHOLDER, (p) => (p in secrets ? escape(secrets[p]!) : p));
  return { html: fill(body.html, escapeHtml), text: fill(body.text, (v) => v) };
}

/** The body with every placeholder shown as `label` (what staff see when they are not the ones delivering it). */
export function maskSecrets(text: string, label: string): string {
  return text.replace(PLACEHOLDER, label);
}

const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
