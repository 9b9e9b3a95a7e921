import type { NotificationCategory } from '../../db/types.ts';
import { formatMoney } from '../../lib/money.ts';

/**
 * What the bell can say (issue 14 item 6): every kind of notification, its category, and the
 * sentence it reads as. A notification stores its kind and the few facts its sentence needs
 * (`data`, written by emit.ts); the words are made here when it is shown, so they stay the
 * same in the bell, on /notifications and in the JSON API.
 *
 * Categories are what a person mutes (Settings → Notifications, preferences.ts). `security`
 * has no switch: sign-ins, two-factor, password and API key changes are always shown, as
 * their emails are always sent.
 */
export const NOTIFICATION_CATEGORIES = [
  'servers', // a server created, running, failed or deleted; a power action by someone else
  'billing', // money credited, low balance and runway, arrears, suspension and deletion for non-payment
  'team', // invitations, and who joined
  'security', // the person's own account: sign-ins, two-factor, password, API keys (always on)
  'maintenance', // planned maintenance and incidents (nothing emits these yet)
  'general', // announcements (nothing emits these yet)
] as const satisfies readonly NotificationCategory[];
export type { NotificationCategory };

export const CATEGORY_LABELS: Record<NotificationCategory, string> = {
  servers: 'Servers',
  billing: 'Billing',
  team: 'Team',
  security: 'Security',
  maintenance: 'Maintenance',
  general: 'General',
};

/** Every kind, with its category. Add here (and a sentence in `describeNotification`). */
export const NOTIFICATION_KINDS = {
  'server.created': 'servers',
  'server.running': 'servers',
  'server.failed': 'servers',
  'server.deleted': 'servers',
  'server.power': 'servers',
  'billing.top_up': 'billing',
  'billing.low_balance': 'billing',
  'billing.runway': 'billing',
  'billing.arrears': 'billing',
  'billing.suspension': 'billing',
  'billing.final_notice': 'billing',
  'billing.termination': 'billing',
  'team.invited': 'team',
  'team.joined': 'team',
  'security.sign_in': 'security',
  'security.two_factor': 'security',
  'security.password': 'security',
  'security.api_key': 'security',
  // Support tickets (src/domain/support): a staff reply to the person who opened the ticket;
  // a new ticket or a customer's reply to the staff who handle it.
  'support.reply': 'general',
  'support.ticket': 'general',
  // Outbound webhooks (src/domain/webhooks/deliver.ts): an endpoint disabled after a day of failures, to the owners.
  'webhooks.endpoint_disabled': 'general',
} as const satisfies Record<string, NotificationCategory>;
export type NotificationKind = keyof typeof NOTIFICATION_KINDS;

/** The facts a notification keeps: small, flat, never a secret. */
export type NotificationData = Record<string, string | number | boolean | null>;

export interface NotificationText {
  title: string;
  body: string;
  /** Where it leads in the portal (a local path), or null. */
  href: string | null;
}

const POWER_WORDS: Record<string, string> = {
  booted: 'powered on',
  shut_down: 'shut down',
  rebooted: 'rebooted',
  rebuilt: 'rebuilt',
  resized: 'resized',
};

/**
 * The sentence of a notification. Links into an organization go through
 * `/active-organization/<id>?next=`, so a member of several lands in the right one (asked
 * first when another is active). `device` names a browser from its User-Agent (the web layer's).
 */
export function describeNotification(
  n: { kind: string; organization_id: string | null; data: Record<string, unknown> },
  opts: { device?: (userAgent: string | null) => string } = {},
): NotificationText {
  const d = n.data as Record<string, string | number | boolean | null | undefined>;
  const text = (k: string, fallback = '') => (d[k] === undefined || d[k] === null ? fallback : String(d[k]));
  const label = text('label', 'a server');
  const who = d.staff ? 'A platform administrator' : text('actor', 'Someone');
  const inOrg = (path: string) =>
    n.organization_id ? `/active-organization/${n.organization_id}?next=${encodeURIComponent(path)}` : path;
  const server = inOrg(d.server_id ? `/vps/${String(d.server_id)}` : '/vps');
  const money = (k: string) => formatMoney(BigInt(text(k, '0')), text('currency', 'USD'));
  const servers = (k = 'servers') => `${text(k, '0')} server${d[k] === 1 ? '' : 's'}`;
  const org = text('organization');
  const at = org ? ` in ${org}` : '';
  switch (n.kind) {
    case 'server.created':
      return { title: `${who} created ${label}`, body: `The server is being set up${at}.`, href: server };
    case 'server.running':
      return { title: `${label} is running`, body: `The server is ready to use${at}.`, href: server };
    case 'server.failed':
      return {
        title: `${label} could not be created`,
        body: `${text('reason', 'The provider refused it.')} Its first hour's charge was returned to the wallet.`,
        href: server,
      };
    case 'server.deleted':
      return {
        title: `${label} was deleted`,
        body:
          d.actor || d.staff ? `Deleted by ${who === 'Someone' ? 'someone' : who}${at}.` : `The server is gone${at}.`,
        href: inOrg('/vps'),
      };
    case 'server.power':
      return {
        title: `${who} ${POWER_WORDS[text('action')] ?? 'changed'} ${label}`,
        body: `A change made by someone else${at}.`,
        href: server,
      };
    case 'billing.top_up':
      return {
        title: `${money('amount')} was added to the wallet`,
        body: `Funds credited${at}.`,
        href: inOrg('/billing'),
      };
    case 'billing.low_balance':
      return {
        title: 'The wallet balance is low',
        body: `${money('balance')} left${at}; servers stop when it runs out. Add funds to keep them running.`,
        href: inOrg('/billing'),
      };
    case 'billing.runway':
      return {
        title: `About ${text('days')} days of credit left`,
        body: `At the current spend the balance of ${money('balance')}${at} runs out in ${text('days')} days or less.`,
        href: inOrg('/billing'),
      };
    case 'billing.arrears':
      return {
        title: 'The balance is below zero',
        body: `${money('balance')}${at}. Add funds before servers are suspended.`,
        href: inOrg('/billing'),
      };
    case 'billing.suspension':
      return {
        title: `${servers()} suspended for non-payment`,
        body: `They will be deleted on ${text('terminate_at')} unless funds are added${at}.`,
        href: inOrg('/billing'),
      };
    case 'billing.final_notice':
      return {
        title: `${servers()} will be deleted on ${text('terminate_at')}`,
        body: `Final notice${at}: add funds to keep them.`,
        href: inOrg('/billing'),
      };
    case 'billing.termination':
      return {
        title: `${servers()} deleted for non-payment`,
        body: `The balance stayed below zero${at}.`,
        href: inOrg('/billing'),
      };
    case 'team.invited':
      return {
        title: `${who} invited you to ${org || 'an organization'}`,
        body: `As ${text('role', 'a member')}. Open the link in the invitation email to accept or decline.`,
        href: null,
      };
    case 'team.joined':
      return {
        title: `${who} joined ${org || 'the organization'}`,
        body: `As ${text('role', 'a member')}.`,
        href: inOrg('/organization/members'),
      };
    case 'security.sign_in': {
      const device = opts.device ? `${opts.device(d.user_agent ? String(d.user_agent) : null)}, ` : '';
      return {
        title: d.via === 'api' ? 'New API access token issued' : 'New sign-in to your account',
        body: `From ${device}${text('ip', 'an unknown address')}. Not you? Change your password and sign out other sessions.`,
        href: '/settings/security',
      };
    }
    case 'security.two_factor':
      return {
        title: `Two-factor authentication was turned ${d.enabled ? 'on' : 'off'}`,
        body: d.staff ? 'A platform administrator reset it.' : 'If this was not you, change your password now.',
        href: '/settings/security',
      };
    case 'security.password':
      return {
        title: 'Your password was changed',
        body: 'Other sessions were signed out. If this was not you, reset your password now.',
        href: '/settings/password',
      };
    case 'security.api_key':
      return {
        title: `API key “${text('name')}” was created`,
        body: `Key ${text('prefix')}…${at}. Revoke it if you do not recognise it.`,
        href: '/settings/api-keys',
      };
    case 'support.reply':
      return {
        title: `Support replied to ticket #${text('number')}`,
        body: text('subject'),
        href: d.organization_id
          ? `/active-organization/${String(d.organization_id)}?next=${encodeURIComponent(`/support/${text('ticket_id')}`)}`
          : `/support/${text('ticket_id')}`,
      };
    case 'support.ticket':
      return {
        title: `${d.event === 'opened' ? 'New ticket' : 'Customer reply on'} #${text('number')}${org ? ` from ${org}` : ''}`,
        body: text('subject'),
        href: `/admin/tickets/${text('ticket_id')}`,
      };
    case 'webhooks.endpoint_disabled':
      return {
        title: 'A webhook endpoint was disabled',
        body: `${text('url')}${at}: its deliveries failed for a day. Re-enable it when the receiver works again.`,
        href: inOrg(d.endpoint_id ? `/webhooks/${String(d.endpoint_id)}` : '/webhooks'),
      };
    default:
      return { title: 'Notification', body: '', href: null };
  }
}
