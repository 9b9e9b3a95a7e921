import type { ActivityAction } from './record.ts';

/**
 * Activity in plain words, for pages and CSV. Partial on purpose: an action added to
 * ACTIVITY_ACTIONS without a label here still shows (as its code) rather than failing.
 */
const LABELS: Partial<Record<ActivityAction, string>> = {
  'auth.sign_in': 'Signed in',
  'auth.sign_in_failed': 'Failed to sign in',
  'auth.sign_out': 'Signed out',
  'auth.recovery_code_used': 'Used a recovery code',
  'auth.password_reset': 'Reset the password with an emailed link',
  'auth.password_changed': 'Changed the password',
  'auth.email_changed': 'Changed the email address',
  'auth.two_factor_enabled': 'Turned on two-factor authentication',
  'auth.two_factor_disabled': 'Turned off two-factor authentication',
  'auth.session_revoked': 'Signed out a session',
  'api_key.created': 'Created an API key',
  'api_key.revoked': 'Revoked an API key',
  'organization.created': 'Created the organization',
  'organization.updated': 'Updated the organization settings',
  'member.invited': 'Invited a member',
  'member.invitation_cancelled': 'Cancelled an invitation',
  'member.joined': 'Joined the organization',
  'member.declined': 'Declined an invitation',
  'member.removed': 'Removed a member',
  'member.left': 'Left the organization',
  'member.role_changed': "Changed a member's role",
  'organization.ownership_transferred': 'Transferred ownership',
  'role.created': 'Created a role',
  'role.updated': 'Edited a role',
  'role.deleted': 'Deleted a role',
  'admin.impersonation_started': 'Started impersonating a user',
  'admin.impersonation_stopped': 'Stopped impersonating a user',
  'admin.impersonated_write': 'Made a change while impersonating',
  'admin.user_updated': 'Edited a user',
  'admin.user_suspended': 'Suspended a user',
  'admin.user_reactivated': 'Reactivated a user',
  'admin.user_unlocked': 'Lifted a sign-in lockout',
  'admin.two_factor_reset': "Reset a user's two-factor authentication",
  'admin.user_promoted': 'Made a user a platform admin',
  'admin.user_demoted': 'Removed platform admin rights from a user',
  'admin.fraud_allowed': 'Allowed a sign-up or top-up held by fraud screening',
  'admin.fraud_blocked': 'Blocked a sign-up or top-up held by fraud screening',
  'admin.settings_updated': 'Changed platform settings',
  'admin.announcement_saved': 'Posted or changed an announcement',
  'admin.email_template_saved': 'Changed an email template',
  'admin.email_template_reset': 'Reset an email template to its default',
  'admin.announcement_deleted': 'Deleted an announcement',
  'admin.ip_rule_saved': 'Added or changed an IP allow/block rule',
  'admin.ip_rule_deleted': 'Deleted an IP allow/block rule',
  'admin.rate_limit_override_saved': "Set a user's rate-limit override",
  'admin.rate_limit_override_deleted': "Removed a user's rate-limit override",
  'admin.content_saved': 'Changed site content (FAQ, docs, a page or the blog)',
  'admin.content_deleted': 'Deleted site content (FAQ, docs, a page or the blog)',
  'admin.contact_settings_saved': 'Changed the contact categories or methods',
  'admin.contact_message_replied': 'Replied to a contact message',
  'admin.contact_message_updated': 'Archived or restored a contact message',
  'admin.status_incident_saved': 'Posted or updated an incident on the status page',
  'admin.status_incident_deleted': 'Deleted an incident from the status page',
  'admin.refund_issued': 'Refunded a payment',
  'admin.refund_failed': 'A refund to PayPal failed (money returned to the wallet)',
  'admin.wallet_adjusted': "Adjusted an organization's wallet",
  'admin.transfer_price_set': 'Set the transfer price of a region',
  'admin.transfer_pack_saved': 'Created or changed a transfer pack',
  'admin.transfer_credit_granted': 'Granted transfer credit to an organization',
  'transfer.pack_bought': 'Bought a transfer pack',
  'admin.outbox_email_viewed': 'Read an email in the mail outbox',
  'server.created': 'Created a server',
  'server.create_failed': 'A server could not be created (first hour returned)',
  'server.booted': 'Powered on a server',
  'server.shut_down': 'Shut down a server',
  'server.rebooted': 'Rebooted a server',
  'server.rebuilt': 'Rebuilt a server',
  'server.resized': 'Resized a server',
  'server.password_reset': "Reset a server's root password",
  'server.renamed': 'Renamed a server',
  'server.backups_enabled': 'Turned on backups for a server',
  'server.backups_cancelled': 'Turned off backups for a server',
  'server.backups_scheduled': "Changed a server's backup schedule",
  'server.snapshot_taken': 'Took a snapshot of a server',
  'server.backup_restored': 'Restored a server from a backup',
  'server.rdns_set': 'Changed the reverse DNS of a server address',
  'server.deleted': 'Deleted a server',
  'admin.server_deleted': "Deleted an organization's server",
  'admin.server_drift_resolved': 'Resolved a server drift finding',
  'admin.provider_added': 'Added a server provider',
  'admin.provider_updated': 'Edited a server provider',
  'admin.provider_validated': "Checked a server provider's credentials",
  'admin.catalogue_refreshed': "Refreshed a server provider's catalogue",
  'admin.region_saved': 'Changed a server region',
  'admin.category_saved': 'Changed a server plan category',
  'admin.image_saved': 'Changed a server image',
  'admin.app_saved': 'Changed a server app',
  'admin.plan_created': 'Created a server plan',
  'admin.plan_updated': 'Edited a server plan',
  'admin.plan_price_changed': "Changed a server plan's price",
  'ssh_key.added': 'Added an SSH key',
  'ssh_key.deleted': 'Deleted an SSH key',
  'note.added': 'Added a note',
  'note.edited': 'Edited a note',
  'note.deleted': 'Deleted a note',
  'firewall.created': 'Created a firewall',
  'firewall.updated': 'Changed a firewall’s rules',
  'firewall.deleted': 'Deleted a firewall',
  'firewall.attached': 'Attached a firewall to a server',
  'firewall.detached': 'Detached a firewall from a server',
  'server.suspended': 'Server suspended: the balance was below zero',
  'server.unsuspended': 'Server suspension lifted',
  'admin.dunning_exempted': 'Exempted an organization from suspension and deletion for non-payment',
  'admin.dunning_exemption_removed': "Removed an organization's exemption from suspension and deletion",
  'admin.dunning_deadline_extended': "Extended an organization's deadline for non-payment",
  'server.console_opened': 'Opened a console on a server',
  'server.console_closed': 'A console on a server ended',
  'admin.console_host_key_reset': "Reset a server's pinned SSH host key",
  'ticket.opened': 'Opened a support ticket',
  'ticket.resolved': 'Marked a support ticket resolved',
  'ticket.closed': 'Closed a support ticket',
  'ticket.reopened': 'Reopened a support ticket by replying',
  'admin.ticket_updated': 'Support changed a ticket',
  'admin.hosting_settings_saved': 'Saved the hosting connection settings',
  'admin.hosting_enabled': 'Turned hosting on',
  'admin.hosting_disabled': 'Turned hosting off',
  'admin.hosting_health_checked': 'Checked the hosting connection',
  'admin.hosting_plans_synced': 'Synced hosting plans from the control panel',
  'admin.hosting_plan_updated': 'Edited a hosting plan',
  'hosting.domain_added': 'Added a domain to a website',
  'hosting.domain_removed': 'Removed a domain from a website',
  'hosting.primary_domain_set': "Changed a website's primary domain",
  'hosting.dns_record_created': 'Added a DNS record',
  'hosting.dns_record_updated': 'Changed a DNS record',
  'hosting.dns_record_deleted': 'Deleted a DNS record',
  'hosting.ssl_requested': "Requested a Let's Encrypt certificate",
  'hosting.ssl_uploaded': 'Installed an uploaded certificate',
  'hosting.force_https_set': 'Changed the HTTPS redirect',
  'hosting.php_version_set': "Changed a website's PHP version",
  'hosting.panel_opened': 'Opened the hosting control panel',
};

export function actionLabel(action: string): string {
  return LABELS[action as ActivityAction] ?? action;
}

const TARGET_TYPES: Record<string, string> = {
  user: 'User',
  organization: 'Organization',
  api_key: 'API key',
  session: 'Session',
  access_token: 'Access token',
  role: 'Role',
  invitation: 'Invitation',
  member: 'Member',
  fraud_check: 'Fraud check',
  email: 'Email',
  server: 'Server',
  cloud_provider: 'Server provider',
  server_plan: 'Server plan',
  ssh_key: 'SSH key',
  note: 'Note',
  firewall: 'Firewall',
  ticket: 'Ticket',
  email_template: 'Email template',
  faq_category: 'FAQ heading',
  faq_item: 'FAQ question',
  docs_category: 'Docs category',
  docs_article: 'Docs article',
  docs_file: 'Docs file',
  site_page: 'Page',
  hosting_integration: 'Hosting integration',
  hosting_plan: 'Hosting plan',
  hosting_service: 'Hosting service',
};

/** "API key “deploy”", "Session 1a2b3c4d": the target named from the row's details when it can be. */
export function targetLabel(row: {
  target_type: string | null;
  target_id: string | null;
  details: Record<string, unknown>;
}): string {
  if (!row.target_type) return '';
  const type = TARGET_TYPES[row.target_type] ?? row.target_type;
  const name = [row.details.name, row.details.email].find((v): v is string => typeof v === 'string' && v !== '');
  if (name) return `${type} “${name}”`;
  return row.target_id ? `${type} ${row.target_id.slice(0, 8)}` : type;
}

/** The details JSON as "key: value" facts for people ("sessions ended: 2 · via: api"). */
export function detailsText(details: Record<string, unknown>): string {
  return Object.entries(details ?? {})
    .filter(([, v]) => v !== null && v !== undefined && v !== '')
    .map(([k, v]) => `${k.replace(/_/g, ' ')}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(' · ');
}

/** A row of the log with its action, target and details in plain words, for views. */
export function describeActivity<
  R extends { action: string; target_type: string | null; target_id: string | null; details: Record<string, unknown> },
>(row: R) {
  return { ...row, label: actionLabel(row.action), target: targetLabel(row), facts: detailsText(row.details) };
}
