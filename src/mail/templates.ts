import path from 'node:path';
import { Eta } from 'eta';
import { VIEWS_DIR } from '../paths.ts';

const EMAIL_VIEWS = path.join(VIEWS_DIR, 'emails');
// HTML parts escape what they print; plain-text parts must not (an apostrophe stays one).
const html = new Eta({ views: EMAIL_VIEWS, cache: true, autoEscape: true });
// Plain text keeps every newline as written (Eta's default trim would eat the newline after a
// tag that ends a line, running lines together); `-%>` trims where a control line must vanish.
const text = new Eta({ views: EMAIL_VIEWS, cache: true, autoEscape: false, autoTrim: false });

/** Every email the product sends, with the data its template needs. */
export interface EmailTemplates {
  welcome: { name: string; verifyUrl: string };
  verify_email: { name: string; verifyUrl: string };
  password_reset: { name: string; resetUrl: string; expiresMinutes: number };
  new_sign_in: { name: string; ip: string; userAgent: string; when: string };
  password_changed: { name: string; when: string; resetUrl: string; apiKeysRevoked: number };
  two_factor_changed: { name: string; enabled: boolean; when: string };
  email_changed: { name: string; newEmail: string; when: string };
  invitation: { organization: string; inviter: string; role: string; acceptUrl: string; expiresAt: string };
  // Money emails to billing contacts (src/domain/notifications/billing-mail.ts, reminders.ts); amounts formatted.
  top_up_receipt: {
    name: string;
    organization: string;
    amount: string;
    balance: string;
    invoiceNumber: string;
    invoiceUrl: string;
  };
  refund_issued: {
    name: string;
    organization: string;
    amount: string;
    destination: 'wallet' | 'paypal';
    balance: string;
    billingUrl: string;
  };
  statement_ready: {
    name: string;
    organization: string;
    month: string;
    number: string;
    opening: string;
    credits: string;
    charges: string;
    refunds: string;
    closing: string;
    statementUrl: string;
    pdfUrl: string;
  };
  low_balance: {
    name: string;
    organization: string;
    balance: string;
    threshold: string;
    hourlyBurn: string;
    /** Hours the balance lasts at the current burn, rounded down. */
    hoursLeft: number;
    topUpUrl: string;
  };
  runway: {
    name: string;
    organization: string;
    /** The threshold crossed: 7 or 3. */
    days: number;
    runwayDays: string;
    balance: string;
    hourlyBurn: string;
    topUpUrl: string;
  };
  // Dunning (src/domain/dunning/notices.ts): an organization whose balance is below zero. Amounts and times formatted.
  arrears: {
    name: string;
    organization: string;
    balance: string;
    since: string;
    /** When its servers are suspended (null: already, or exempt). */
    suspendAt: string | null;
    /** When its servers are deleted (null: exempt). */
    terminateAt: string | null;
    suspended: boolean;
    addFundsUrl: string;
  };
  suspension: {
    name: string;
    organization: string;
    balance: string;
    servers: number;
    terminateAt: string;
    addFundsUrl: string;
  };
  final_notice: {
    name: string;
    organization: string;
    balance: string;
    servers: number;
    terminateAt: string;
    addFundsUrl: string;
  };
  termination: { name: string; organization: string; balance: string; servers: number; addFundsUrl: string };
  // Support tickets (src/domain/support/mail.ts): the message's text, never attachments or internal notes.
  ticket_staff: {
    name: string;
    event: 'opened' | 'customer_reply';
    number: string;
    subject: string;
    organization: string;
    author: string;
    message: string;
    ticketUrl: string;
  };
  ticket_reply: { name: string; number: string; subject: string; message: string; ticketUrl: string };
}
export type EmailTemplateName = keyof EmailTemplates;

/** Data that is a live link (it carries a token): never stored readable (src/mail/secrets.ts). */
export const SECRET_FIELDS: { [K in EmailTemplateName]: ReadonlyArray<keyof EmailTemplates[K]> } = {
  welcome: ['verifyUrl'],
  verify_email: ['verifyUrl'],
  password_reset: ['resetUrl'],
  invitation: ['acceptUrl'],
  // Its resetUrl is the forgot-password page: no token.
  password_changed: [],
  new_sign_in: [],
  two_factor_changed: [],
  email_changed: [],
  // Links into the portal (sign-in required): no tokens.
  top_up_receipt: [],
  refund_issued: [],
  statement_ready: [],
  low_balance: [],
  runway: [],
  arrears: [],
  suspension: [],
  final_notice: [],
  termination: [],
  ticket_staff: [],
  ticket_reply: [],
};

const subjects: { [K in EmailTemplateName]: (brand: string, d: EmailTemplates[K]) => string } = {
  invitation: (b, d) => `${d.inviter} invited you to ${d.organization} on ${b}`,
  welcome: (b) => `Welcome to ${b}: confirm your email`,
  verify_email: (b) => `Confirm your email address for ${b}`,
  password_reset: (b) => `Reset your ${b} password`,
  new_sign_in: (b) => `New sign-in to your ${b} account`,
  password_changed: (b) => `Your ${b} password was changed`,
  email_changed: (b) => `The email address of your ${b} account was changed`,
  two_factor_changed: (b, d) => `Two-factor authentication ${d.enabled ? 'enabled' : 'disabled'} on your ${b} account`,
  top_up_receipt: (b, d) => `${b} receipt ${d.invoiceNumber}: ${d.amount} added to your wallet`,
  refund_issued: (b, d) =>
    `${b}: ${d.amount} refunded ${d.destination === 'paypal' ? 'to your PayPal account' : 'to your wallet'}`,
  statement_ready: (b, d) => `Your ${b} statement for ${d.month} is ready`,
  low_balance: (b, d) => `Your ${b} balance is low: ${d.balance} left`,
  runway: (b, d) => `Your ${b} balance lasts about ${d.runwayDays} more days`,
  arrears: (b, d) => `Your ${b} balance is below zero (${d.balance}): add funds to keep your servers`,
  suspension: (b) => `Your ${b} servers are suspended: the balance is below zero`,
  final_notice: (b, d) => `Final notice: your ${b} servers will be deleted on ${d.terminateAt}`,
  termination: (b) => `Your ${b} servers were deleted: the balance stayed below zero`,
  ticket_staff: (b, d) =>
    `[${b} #${d.number}] ${d.event === 'opened' ? 'New ticket' : 'Customer reply'} from ${d.organization}: ${d.subject}`,
  ticket_reply: (b, d) => `[${b} #${d.number}] Support replied: ${d.subject}`,
};

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

/** Renders `views/emails/<name>.html.eta` inside the email layout, and `<name>.txt.eta`. */
export function renderEmail<K extends EmailTemplateName>(
  name: K,
  brand: string,
  data: EmailTemplates[K],
): RenderedEmail {
  const subject = subjects[name](brand, data);
  const it = { ...data, brand, subject };
  const body = html.render(`./${name}.html.eta`, it);
  return {
    subject,
    html: html.render('./_layout.html.eta', { ...it, body }),
    text: text.render(`./${name}.txt.eta`, it),
  };
}
