import { can, type Actor } from '../domain/access/actor.ts';
import type { Permission } from '../domain/access/permissions.ts';

/**
 * The sidebars of the portal and admin layouts, as data: one list each, read by
 * `views/layouts/portal.eta` and `admin.eta` through `it.ctx.navigation(…)`. A link names what
 * its page needs, asked with the same `can(actor, permission)` the route asks, so the
 * sidebar never offers a page that would refuse the viewer. A new page gets its link here.
 */

export interface NavLink {
  label: string;
  href: string;
  /** Who sees the link: a permission (`can`), or a predicate on the actor; absent: everyone in the area. */
  needs?: Permission | ((actor: Actor | null) => boolean);
  /** When the link is the current page: at `href` exactly, or (the default) at `href` and below it. */
  match?: 'exact' | 'prefix';
}

export interface NavSection {
  /** The section's heading; null for the first, unlabelled links. Hidden when none of its links are shown. */
  heading: string | null;
  links: readonly NavLink[];
}

const staff = (actor: Actor | null) => actor?.isPlatformAdmin === true;

export const PORTAL_NAVIGATION: readonly NavSection[] = [
  { heading: null, links: [{ label: 'Dashboard', href: '/dashboard' }] },
  {
    heading: 'Organization',
    links: [
      { label: 'Members', href: '/organization/members' },
      { label: 'Roles', href: '/organization/roles' },
      { label: 'Organization settings', href: '/organization/settings', needs: 'settings_manage' },
      { label: 'Activity', href: '/activity', needs: 'settings_manage' },
      { label: 'Webhooks', href: '/webhooks', needs: 'settings_manage' },
      { label: 'All organizations', href: '/organizations' },
    ],
  },
  {
    heading: 'Servers',
    links: [
      { label: 'Servers', href: '/vps', needs: 'vps_view' },
      { label: 'Firewalls', href: '/firewalls', needs: 'vps_view' },
      { label: 'Web hosting', href: '/hosting', needs: 'hosting_view' },
      { label: 'SSH keys', href: '/ssh-keys', needs: 'ssh_keys_view' },
      { label: 'Notes', href: '/notes' },
    ],
  },
  {
    heading: 'Billing',
    links: [
      { label: 'Billing', href: '/billing', needs: 'billing_view' },
      { label: 'Invoices', href: '/invoices', needs: 'billing_view' },
      { label: 'Network transfer', href: '/billing/transfer', needs: 'egress_view' },
    ],
  },
  {
    heading: 'Support',
    links: [
      // A link names one permission (test/web/navigation.test.ts): members who may only open tickets
      // (tickets_create without tickets_view) are not shown it, though /support serves them their own.
      { label: 'Support', href: '/support', needs: 'tickets_view' },
    ],
  },
  {
    heading: 'Account',
    links: [
      { label: 'Profile', href: '/settings/profile' },
      { label: 'Password', href: '/settings/password' },
      { label: 'Security', href: '/settings/security' },
      { label: 'Notifications', href: '/settings/notifications' },
      { label: 'API keys', href: '/settings/api-keys' },
    ],
  },
  { heading: 'Staff', links: [{ label: 'Admin area', href: '/admin', needs: staff }] },
];

/** Every link here leads into the platform-admin area, whose guard already asked `staff`; it is said per link all the same. */
export const ADMIN_NAVIGATION: readonly NavSection[] = [
  {
    heading: null,
    links: [
      { label: 'Overview', href: '/admin', needs: staff, match: 'exact' },
      { label: 'Users', href: '/admin/users', needs: staff },
      { label: 'Organizations', href: '/admin/organizations', needs: staff },
      { label: 'Support tickets', href: '/admin/tickets', needs: staff },
      { label: 'Canned replies', href: '/admin/support/canned-replies', needs: staff },
      { label: 'Ticket categories', href: '/admin/support/categories', needs: staff },
      { label: 'Mail outbox', href: '/admin/outbox', needs: staff },
      { label: 'Email templates', href: '/admin/email-templates', needs: staff },
      { label: 'Job runs', href: '/admin/jobs', needs: staff },
      { label: 'Activity log', href: '/admin/activity', needs: staff },
      { label: 'Fraud screening', href: '/admin/fraud', needs: staff },
      { label: 'Security', href: '/admin/security', needs: staff },
      { label: 'Billing', href: '/admin/billing', needs: staff },
      { label: 'Billing runs', href: '/admin/billing/runs', needs: staff },
      { label: 'Arrears', href: '/admin/billing/arrears', needs: staff },
      { label: 'Transfer billing', href: '/admin/billing/transfer', needs: staff },
      { label: 'Servers', href: '/admin/servers', needs: staff },
      { label: 'Server providers', href: '/admin/providers', needs: staff },
      { label: 'Server plans', href: '/admin/plans', needs: staff },
      { label: 'Server settings', href: '/admin/server-settings', needs: staff },
      { label: 'Web hosting', href: '/admin/hosting', needs: staff },
      { label: 'Hosting services', href: '/admin/hosting/services', needs: staff },
      { label: 'Platform settings', href: '/admin/platform-settings', needs: staff },
      { label: 'Announcements', href: '/admin/announcements', needs: staff },
    ],
  },
  {
    heading: 'Content',
    links: [
      { label: 'Blog', href: '/admin/content/blog', needs: staff },
      { label: 'FAQ', href: '/admin/content/faq', needs: staff },
      { label: 'Docs', href: '/admin/content/docs', needs: staff },
      { label: 'Pages', href: '/admin/content/pages', needs: staff },
      { label: 'Contact messages', href: '/admin/contact', needs: staff },
      { label: 'Status page', href: '/admin/status', needs: staff },
    ],
  },
  { heading: 'Customer view', links: [{ label: 'Back to portal', href: '/dashboard' }] },
];

export const NAVIGATION = { portal: PORTAL_NAVIGATION, admin: ADMIN_NAVIGATION };

/** The sections and links `actor` may use, each link marked `current` when `path` is its page. */
export function navigationFor(sections: readonly NavSection[], actor: Actor | null, path: string) {
  return sections
    .map((section) => ({
      heading: section.heading,
      links: section.links
        .filter((link) => mayFollow(link, actor))
        .map((link) => ({
          label: link.label,
          href: link.href,
          current: path === link.href || (link.match !== 'exact' && path.startsWith(`${link.href}/`)),
        })),
    }))
    .filter((section) => section.links.length > 0);
}

function mayFollow(link: NavLink, actor: Actor | null): boolean {
  if (link.needs === undefined) return true;
  return typeof link.needs === 'function' ? link.needs(actor) : can(actor, link.needs);
}
