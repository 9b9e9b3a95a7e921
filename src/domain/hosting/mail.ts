import { ValidationError } from '../../lib/errors.ts';
import type { EnhanceEmail, EnhanceEmailUpdate } from '../../providers/enhance/index.ts';
import type { Actor } from '../access/actor.ts';
import type { HostingDeps } from './connector.ts';
import { auditSite, panel, siteAccess, type SiteAccess } from './operations.ts';

/**
 * A hosting service's email (issue 17 item 4): mailboxes with a quota and a password the
 * customer types (sent to the panel only: never stored, logged, emailed or shown back),
 * forwarders, one catch-all address, and webmail sign-in by a fresh single-use link minted on
 * demand (never stored or logged). Reads need hosting_view, changes hosting_manage; each change
 * is audited without the password.
 */

export const MB = 1024 * 1024;
export const DEFAULT_QUOTA_MB = 1024;
export const MAX_QUOTA_MB = 100 * 1024;
export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 128;
const LOCAL = /^[a-z0-9](?:[a-z0-9._+-]{0,62}[a-z0-9])?$/i;
const ADDRESS = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export interface EmailView {
  address: string;
  hasMailbox: boolean;
  forwarders: string[];
  quotaMb: number | null;
  usageMb: number | null;
  isCatchAll: boolean;
  status: string;
}

export interface EmailTab {
  emails: EmailView[];
  /** The website's domains new addresses can be made on, primary first. */
  domains: string[];
  catchAll: string | null;
}

function viewOf(e: EnhanceEmail): EmailView {
  return {
    address: e.address,
    hasMailbox: e.hasMailbox,
    forwarders: e.forwarders,
    quotaMb: e.quota?.total == null ? null : Math.round(e.quota.total / MB),
    usageMb: e.quota ? Math.round(e.quota.usage / MB) : null,
    isCatchAll: e.isCatchAll,
    status: e.status,
  };
}

/** `permission`: hosting_view, or hosting_manage to read back what a change made (an API key may hold only that). */
export async function emailTab(
  deps: HostingDeps,
  actor: Actor,
  serviceId: string,
  permission: 'hosting_view' | 'hosting_manage' = 'hosting_view',
): Promise<EmailTab> {
  const s = await siteAccess(deps, actor, serviceId, permission);
  return emailsOf(s);
}

export async function emailsOf(s: SiteAccess): Promise<EmailTab> {
  const [emails, domains] = await Promise.all([
    panel(() => s.client.listEmails(s.orgId, s.websiteId)),
    panel(() => s.client.listWebsiteDomains(s.orgId, s.websiteId)),
  ]);
  const names = domains
    .filter((d) => d.mappingKind !== 'preview')
    .sort((a, b) => Number(b.mappingKind === 'primary') - Number(a.mappingKind === 'primary'))
    .map((d) => d.domain);
  const views = emails.map(viewOf).sort((a, b) => a.address.localeCompare(b.address));
  return { emails: views, domains: names, catchAll: views.find((e) => e.isCatchAll)?.address ?? null };
}

// ---------------------------------------------------------------------------------------------
// Input

export interface NewAddressInput {
  kind: 'mailbox' | 'forwarder';
  local_part: string;
  domain: string;
  password?: string;
  quota_mb?: string | number;
  forward_to?: string | string[];
}

function passwordProblem(password: unknown): string | null {
  if (typeof password !== 'string' || password === '') return 'Choose a password for the mailbox.';
  if (password.length < PASSWORD_MIN) return `Use at least ${PASSWORD_MIN} characters.`;
  if (password.length > PASSWORD_MAX) return `Use at most ${PASSWORD_MAX} characters.`;
  return null;
}

function quotaMb(v: unknown, errors: Record<string, string>): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'number' ? v : /^\d+$/.test(String(v).trim()) ? Number(String(v).trim()) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_QUOTA_MB) {
    errors.quota_mb = `Enter the quota in whole MB, from 1 to ${MAX_QUOTA_MB}.`;
    return undefined;
  }
  return n;
}

/** Forwarding targets from a list or text (commas, spaces or lines between them). */
export function parseAddresses(v: unknown): string[] | null {
  const items = Array.isArray(v) ? v : typeof v === 'string' ? v.split(/[\s,;]+/) : null;
  if (!items) return null;
  const out = items.map((x) => (typeof x === 'string' ? x.trim().toLowerCase() : '')).filter(Boolean);
  if (out.some((x) => !ADDRESS.test(x) || x.length > 254)) return null;
  return [...new Set(out)];
}

const audit = auditSite;
const manage = (deps: HostingDeps, actor: Actor, serviceId: string) =>
  siteAccess(deps, actor, serviceId, 'hosting_manage');

const PANEL_FIELDS = {
  username: 'local_part',
  mailboxPassword: 'password',
  quota: 'quota_mb',
  forwarders: 'forward_to',
};

/** A mailbox (password typed by the customer, quota in MB) or a forwarder on one of the website's domains. */
export async function createAddress(
  deps: HostingDeps,
  actor: Actor,
  serviceId: string,
  input: NewAddressInput,
): Promise<string> {
  const s = await manage(deps, actor, serviceId);
  const errors: Record<string, string> = {};
  const local = typeof input.local_part === 'string' ? input.local_part.trim().toLowerCase() : '';
  if (!LOCAL.test(local)) errors.local_part = 'Use letters, digits, dots, dashes, underscores or plus (up to 64).';
  const kind = input.kind === 'forwarder' ? 'forwarder' : 'mailbox';
  const domain = typeof input.domain === 'string' ? input.domain.trim().toLowerCase() : '';
  const mapped = await panel(() => s.client.listWebsiteDomains(s.orgId, s.websiteId));
  const target = mapped.find((d) => d.domain === domain);
  if (!target) errors.domain = 'Choose one of this website’s domains.';
  let quota: number | undefined;
  let forwarders: string[] = [];
  if (kind === 'mailbox') {
    const problem = passwordProblem(input.password);
    if (problem) errors.password = problem;
    quota = quotaMb(input.quota_mb, errors);
  } else {
    const list = parseAddresses(input.forward_to ?? '');
    if (!list) errors.forward_to = 'Enter the addresses to forward to, separated by commas.';
    else if (!list.length) errors.forward_to = 'Enter at least one address to forward to.';
    else forwarders = list;
  }
  if (Object.keys(errors).length) throw new ValidationError(errors);
  const address = `${local}@${domain}`;
  await panel(
    () =>
      s.client.createEmail(s.orgId, s.websiteId, target!.domainId, {
        username: local,
        ...(kind === 'mailbox'
          ? { mailboxPassword: input.password!, quota: (quota ?? DEFAULT_QUOTA_MB) * MB }
          : { forwarders }),
      }),
    PANEL_FIELDS,
  );
  await audit(
    s,
    actor,
    kind === 'mailbox' ? 'hosting.mailbox_created' : 'hosting.forwarder_created',
    kind === 'mailbox'
      ? { email: address, quota_mb: quota ?? DEFAULT_QUOTA_MB }
      : { email: address, forwarders: forwarders.length },
  );
  return address;
}

export interface AddressChange {
  password?: string;
  quota_mb?: string | number;
  forward_to?: string | string[];
}

/** Changes one address: its mailbox password, quota, forwarding (each audited, the password never). */
export async function updateAddress(
  deps: HostingDeps,
  actor: Actor,
  serviceId: string,
  address: string,
  change: AddressChange,
): Promise<void> {
  const s = await manage(deps, actor, serviceId);
  const errors: Record<string, string> = {};
  const patch: EnhanceEmailUpdate = {};
  if (change.password !== undefined) {
    const problem = passwordProblem(change.password);
    if (problem) errors.password = problem;
    else patch.mailboxPassword = change.password;
  }
  if (change.quota_mb !== undefined) {
    const q = quotaMb(change.quota_mb, errors);
    if (q !== undefined) patch.quota = q * MB;
    else if (!errors.quota_mb) errors.quota_mb = `Enter the quota in whole MB, from 1 to ${MAX_QUOTA_MB}.`;
  }
  if (change.forward_to !== undefined) {
    const list = parseAddresses(change.forward_to);
    if (!list) errors.forward_to = 'Enter the addresses to forward to, separated by commas.';
    else patch.forwarders = list;
  }
  if (Object.keys(errors).length) throw new ValidationError(errors);
  if (!Object.keys(patch).length) throw new ValidationError({ password: 'Nothing to change.' }, 'Nothing to change.');
  const name = normalAddress(address);
  await panel(() => s.client.updateEmail(s.orgId, s.websiteId, name, patch), PANEL_FIELDS);
  if (patch.mailboxPassword !== undefined) await audit(s, actor, 'hosting.email_password_changed', { email: name });
  if (patch.quota !== undefined)
    await audit(s, actor, 'hosting.email_quota_changed', { email: name, quota_mb: patch.quota / MB });
  if (patch.forwarders !== undefined)
    await audit(s, actor, 'hosting.email_forwarders_changed', { email: name, forwarders: patch.forwarders.length });
}

/** Makes `address` the catch-all (null: none catches all). */
export async function setCatchAll(
  deps: HostingDeps,
  actor: Actor,
  serviceId: string,
  address: string | null,
): Promise<void> {
  const s = await manage(deps, actor, serviceId);
  const emails = await panel(() => s.client.listEmails(s.orgId, s.websiteId));
  if (address) {
    const name = normalAddress(address);
    if (!emails.some((e) => e.address === name))
      throw new ValidationError({ catch_all: 'Choose one of this website’s addresses.' });
    await panel(() => s.client.updateEmail(s.orgId, s.websiteId, name, { isCatchAll: true }));
    await audit(s, actor, 'hosting.catch_all_set', { email: name });
    return;
  }
  for (const e of emails.filter((x) => x.isCatchAll))
    await panel(() => s.client.updateEmail(s.orgId, s.websiteId, e.address, { isCatchAll: false }));
  await audit(s, actor, 'hosting.catch_all_set', { email: null });
}

export async function deleteAddress(deps: HostingDeps, actor: Actor, serviceId: string, address: string) {
  const s = await manage(deps, actor, serviceId);
  const name = normalAddress(address);
  await panel(() => s.client.deleteEmail(s.orgId, s.websiteId, name));
  await audit(s, actor, 'hosting.email_deleted', { email: name });
}

/** A fresh single-use webmail sign-in link for a mailbox: for the caller to redirect to at once, never to keep. */
export async function webmailLink(deps: HostingDeps, actor: Actor, serviceId: string, address: string) {
  const s = await manage(deps, actor, serviceId);
  const name = normalAddress(address);
  const url = await panel(() => s.client.webmailSsoUrl(s.orgId, s.websiteId, name));
  await audit(s, actor, 'hosting.webmail_opened', { email: name });
  return url;
}

function normalAddress(address: string): string {
  const a = typeof address === 'string' ? address.trim().toLowerCase() : '';
  if (!ADDRESS.test(a)) throw new ValidationError({ address: 'Not an email address.' });
  return a;
}
