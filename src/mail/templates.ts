import { EMAIL_DEFINITIONS } from './defaults.ts';
import { emailLayout } from './layout.ts';
import {
  isValid,
  renderHtml,
  renderSubject,
  renderText,
  validateTemplate,
  type PlaceholderSpecs,
  type TemplateSource,
} from './placeholders.ts';

/*
 * Emails are logic-less templates (src/mail/placeholders.ts): a subject, an HTML body and a text
 * body with {{placeholders}}. Each email's default, its placeholders and how the sending code's
 * data becomes their values are in src/mail/defaults.ts; a platform admin may override the three
 * parts (table email_templates, /admin/email-templates, src/mail/overrides.ts). The HTML body goes
 * inside a fixed frame (src/mail/layout.ts).
 */

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
  // The contact form (src/domain/contact): a message to the support address; staff's reply to its sender.
  contact_message: {
    sender: string;
    senderEmail: string;
    category: string;
    subject: string;
    message: string;
    inboxUrl: string;
  };
  contact_reply: { name: string; subject: string; reply: string; original: string };
  // Web hosting (src/domain/hosting/emails.ts) to billing contacts: amounts and dates formatted; links into the portal.
  hosting_welcome: {
    name: string;
    organization: string;
    plan: string;
    domain: string;
    amount: string;
    /** The site's address(es) to point DNS at (empty when not known yet). */
    serverIps: string;
    nextRenewal: string;
    serviceUrl: string;
  };
  hosting_renewal_receipt: {
    name: string;
    organization: string;
    plan: string;
    domain: string;
    amount: string;
    periodStart: string;
    periodEnd: string;
    balance: string;
    serviceUrl: string;
  };
  hosting_renewal_failed: {
    name: string;
    organization: string;
    plan: string;
    domain: string;
    amount: string;
    balance: string;
    dueSince: string;
    /** When the website is suspended (null: exempt). */
    suspendAt: string | null;
    /** When the website is deleted (null: exempt). */
    deleteAt: string | null;
    addFundsUrl: string;
  };
  hosting_suspended: {
    name: string;
    organization: string;
    plan: string;
    domain: string;
    amount: string;
    balance: string;
    deleteAt: string | null;
    addFundsUrl: string;
  };
  hosting_final_notice: {
    name: string;
    organization: string;
    plan: string;
    domain: string;
    amount: string;
    balance: string;
    deleteAt: string;
    addFundsUrl: string;
  };
  hosting_recovered: {
    name: string;
    organization: string;
    plan: string;
    domain: string;
    /** What was charged now for the overdue months, in total. */
    amount: string;
    periods: number;
    nextRenewal: string;
    /** The website had been suspended and is enabled again. */
    reenabled: boolean;
    serviceUrl: string;
  };
  hosting_cancelled: {
    name: string;
    organization: string;
    plan: string;
    domain: string;
    /** Why: the customer's or staff's cancellation, or the renewal stayed unpaid. */
    reason: 'cancelled' | 'period_end' | 'staff' | 'unpaid';
    /** The refund to the wallet, formatted (null: none). */
    refund: string | null;
    balance: string;
    billingUrl: string;
  };
  // An organization's webhook endpoint disabled after a day of failed deliveries (src/domain/webhooks/deliver.ts).
  webhook_disabled: { name: string; organization: string; url: string; reason: string; webhookUrl: string };
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
  contact_message: [],
  contact_reply: [],
  // Links into the portal (sign-in required); the control panel is reached by SSO from the portal, never by a password.
  hosting_welcome: [],
  hosting_renewal_receipt: [],
  hosting_renewal_failed: [],
  hosting_suspended: [],
  hosting_final_notice: [],
  hosting_recovered: [],
  hosting_cancelled: [],
  webhook_disabled: [],
};

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

/** Every email, in the order the admin screen lists them. */
export const EMAIL_TEMPLATE_NAMES = Object.keys(EMAIL_DEFINITIONS) as EmailTemplateName[];

export function isEmailTemplateName(name: string): name is EmailTemplateName {
  return Object.hasOwn(EMAIL_DEFINITIONS, name);
}

/** The placeholders of an email, `{{brand}}` first. */
export function placeholdersOf(name: EmailTemplateName): PlaceholderSpecs {
  return {
    brand: { description: 'The platform’s name (Settings → Branding).' },
    ...EMAIL_DEFINITIONS[name].placeholders,
  };
}

/** The default subject, HTML body and text body of an email. */
export function defaultTemplate(name: EmailTemplateName): TemplateSource {
  const { subject, html, text } = EMAIL_DEFINITIONS[name];
  return { subject, html, text };
}

/** The placeholder values of one email: its data as the definition computes them, and the brand. */
export function valuesOf<K extends EmailTemplateName>(
  name: K,
  brand: string,
  data: EmailTemplates[K],
): Record<string, string> {
  return { ...EMAIL_DEFINITIONS[name].values(data), brand };
}

/**
 * Why the reader gets an email, for the layout's footer, when it is not "your account": these
 * go to people who may have none (an invitee, someone who wrote through the contact form).
 */
const FOOTERS: Partial<Record<EmailTemplateName, (brand: string) => string>> = {
  invitation: (b) => `You receive this email because someone invited this address to an organization on ${b}.`,
  contact_reply: (b) => `You receive this email because you wrote to ${b} through its contact page.`,
  contact_message: (b) => `Sent by the contact page of ${b}.`,
};

/** Renders a template (the default or an admin's) of email `name` with values: the HTML body inside the layout. */
export function renderSource(
  name: EmailTemplateName,
  source: TemplateSource,
  values: Record<string, string>,
): RenderedEmail {
  const subject = renderSubject(source.subject, values);
  const brand = values.brand ?? '';
  return {
    subject,
    html: emailLayout({ brand, subject, body: renderHtml(source.html, values), footer: FOOTERS[name]?.(brand) }),
    text: renderText(source.text, values),
  };
}

/**
 * Renders an email: with `override` (an admin's template from email_templates) when it is given
 * and still valid for this email's placeholders, otherwise with the default. An override that no
 * longer validates (a later release dropped a placeholder it uses) is not used.
 */
export function renderEmail<K extends EmailTemplateName>(
  name: K,
  brand: string,
  data: EmailTemplates[K],
  override?: TemplateSource | null,
): RenderedEmail {
  const source =
    override && isValid(validateTemplate(override, placeholdersOf(name))) ? override : defaultTemplate(name);
  return renderSource(name, source, valuesOf(name, brand, data));
}
