import type { DbOrTx } from '../../db/index.ts';
import type { Actor } from '../access/actor.ts';
import type { RequestOrigin } from '../deps.ts';
import { notifiesFromActivity, notifyFromActivity } from '../notifications/from-activity.ts';
import { emitsFromActivity, webhookFromActivity } from '../webhooks/hooks.ts';

/**
 * Everything the activity log records (a closed set; add here, never free text). Each entry
 * is written once, in the same transaction as the change it describes where there is one.
 */
export const ACTIVITY_ACTIONS = [
  'auth.sign_in',
  'auth.sign_in_failed',
  'auth.sign_out',
  'auth.recovery_code_used',
  'auth.password_reset',
  'auth.password_changed',
  'auth.email_changed',
  'auth.two_factor_enabled',
  'auth.two_factor_disabled',
  'auth.session_revoked',
  'api_key.created',
  'api_key.revoked',
  'organization.created',
  'organization.updated',
  'member.invited',
  'member.invitation_cancelled',
  'member.joined',
  'member.declined',
  'member.removed',
  'member.left',
  'member.role_changed',
  'organization.ownership_transferred',
  'role.created',
  'role.updated',
  'role.deleted',
  'admin.impersonation_started',
  'admin.impersonation_stopped',
  'admin.impersonated_write',
  'admin.user_updated',
  'admin.user_suspended',
  'admin.user_reactivated',
  'admin.user_unlocked',
  'admin.two_factor_reset',
  'admin.user_promoted',
  'admin.user_demoted',
  'admin.fraud_allowed',
  'admin.fraud_blocked',
  'admin.settings_updated',
  'admin.refund_issued',
  'admin.refund_failed',
  'admin.wallet_adjusted',
  // Network transfer (src/domain/transfer): staff's prices, packs and grants; a pack bought.
  'admin.transfer_price_set',
  'admin.transfer_pack_saved',
  'admin.transfer_credit_granted',
  'transfer.pack_bought',
  'admin.outbox_email_viewed',
  'server.created',
  'server.create_failed',
  'server.booted',
  'server.shut_down',
  'server.rebooted',
  'server.rebuilt',
  'server.resized',
  'server.password_reset',
  'server.renamed',
  'server.backups_enabled',
  'server.backups_cancelled',
  'server.backups_scheduled',
  'server.snapshot_taken',
  'server.backup_restored',
  'server.rdns_set',
  'server.deleted',
  'admin.server_deleted',
  'admin.server_drift_resolved',
  'admin.provider_added',
  'admin.provider_updated',
  'admin.provider_validated',
  'admin.catalogue_refreshed',
  'admin.region_saved',
  'admin.category_saved',
  'admin.image_saved',
  'admin.app_saved',
  'admin.plan_created',
  'admin.plan_updated',
  'admin.plan_price_changed',
  'ssh_key.added',
  'ssh_key.deleted',
  'note.added',
  'note.edited',
  'note.deleted',
  'firewall.created',
  'firewall.updated',
  'firewall.deleted',
  'firewall.attached',
  'firewall.detached',
  // Dunning (src/domain/dunning): the system acts (no actor) on servers; staff on a case.
  'server.suspended',
  'server.unsuspended',
  'admin.dunning_exempted',
  'admin.dunning_exemption_removed',
  'admin.dunning_deadline_extended',
  // The browser console (src/domain/console): opened and closed (with its mode, duration and
  // bytes each way); staff resetting a server's pinned SSH host key.
  'server.console_opened',
  'server.console_closed',
  'admin.console_host_key_reset',
  // Support tickets (src/domain/support): the customer opens, resolves, closes or reopens one
  // (by replying to it resolved); staff change its status, priority or assignee.
  'ticket.opened',
  'ticket.resolved',
  'ticket.closed',
  'ticket.reopened',
  'admin.ticket_updated',
  // Announcements (src/domain/announcements): staff post, change and delete banners.
  'admin.announcement_saved',
  'admin.announcement_deleted',
  // Site content (src/domain/content): FAQ, docs (and their files), pages and the blog's posts and categories saved, published or deleted (details.kind says which).
  'admin.content_saved',
  'admin.content_deleted',
  // Contact and status (src/domain/contact, src/domain/status): staff's categories, methods,
  // replies and message states; incidents and maintenance windows on /status.
  'admin.contact_settings_saved',
  'admin.contact_message_replied',
  'admin.contact_message_updated',
  'admin.status_incident_saved',
  'admin.status_incident_deleted',
  // Security screens (src/domain/security/admin.ts): IP allow/block rules and rate-limit overrides.
  'admin.ip_rule_saved',
  'admin.ip_rule_deleted',
  'admin.rate_limit_override_saved',
  'admin.rate_limit_override_deleted',
  // Email templates (src/mail/overrides.ts): an admin's template for an email saved or reset to the default.
  'admin.email_template_saved',
  'admin.email_template_reset',
  // Hosting (src/domain/hosting): the Enhance connection saved, turned on or off, checked; plans synced and edited.
  'admin.hosting_settings_saved',
  'admin.hosting_enabled',
  'admin.hosting_disabled',
  'admin.hosting_health_checked',
  'admin.hosting_plans_synced',
  'admin.hosting_plan_updated',
  // A hosting service's site (src/domain/hosting/{site,dns,ssl,sso}.ts): domains, DNS records, SSL, PHP, control panel sign-in.
  'hosting.domain_added',
  'hosting.domain_removed',
  'hosting.primary_domain_set',
  'hosting.dns_record_created',
  'hosting.dns_record_updated',
  'hosting.dns_record_deleted',
  'hosting.ssl_requested',
  'hosting.ssl_uploaded',
  'hosting.force_https_set',
  'hosting.php_version_set',
  'hosting.node_version_installed',
  'hosting.node_default_set',
  'hosting.panel_opened',
  // A hosting service's data (src/domain/hosting/{mail,databases,wordpress,backups}.ts): email, MySQL, WordPress, backups.
  'hosting.mailbox_created',
  'hosting.forwarder_created',
  'hosting.email_password_changed',
  'hosting.email_quota_changed',
  'hosting.email_forwarders_changed',
  'hosting.catch_all_set',
  'hosting.email_deleted',
  'hosting.webmail_opened',
  'hosting.database_created',
  'hosting.database_deleted',
  'hosting.database_user_created',
  'hosting.database_user_password_changed',
  'hosting.database_user_deleted',
  'hosting.database_grants_set',
  'hosting.phpmyadmin_opened',
  'hosting.wordpress_install_started',
  'hosting.wordpress_installed',
  'hosting.wordpress_install_failed',
  'hosting.wordpress_plugin_changed',
  'hosting.wordpress_admin_opened',
  'hosting.backup_started',
  'hosting.backup_finished',
  'hosting.backup_failed',
  'hosting.restore_started',
  'hosting.restore_finished',
  'hosting.restore_failed',
  // The purchase (src/domain/hosting/purchase.ts): a plan bought for a domain, its first month charged.
  'hosting.service_purchased',
  // Cancellation (src/domain/hosting/cancel.ts): at the period's end (or that undone), or now with the unused days refunded.
  'hosting.service_cancel_scheduled',
  'hosting.service_cancel_unscheduled',
  'hosting.service_cancelled',
  // Staff on one hosting service (src/domain/hosting/admin.ts): suspend, unsuspend, retry its purchase, sync from the panel.
  'admin.hosting_service_suspended',
  'admin.hosting_service_unsuspended',
  'admin.hosting_saga_retried',
  'admin.hosting_service_synced',
  'admin.hosting_organization_synced',
  // Outbound webhooks (src/domain/webhooks): endpoints added, changed (incl. disabled/enabled), deleted, their secret rotated, a delivery sent again by hand.
  'webhook.created',
  'webhook.updated',
  'webhook.deleted',
  'webhook.secret_rotated',
  'webhook.redelivered',
  // The delivery job disabled an endpoint whose deliveries failed for a day (no actor).
  'webhook.disabled',
] as const;
export type ActivityAction = (typeof ACTIVITY_ACTIONS)[number];

export interface ActivityEntry {
  action: ActivityAction;
  actorUserId: string | null;
  impersonatorUserId?: string | null;
  organizationId?: string | null;
  target?: { type: string; id: string } | null;
  origin?: RequestOrigin | null;
  /** Small facts for people reading the log. Never secrets, tokens or passwords. */
  details?: Record<string, string | number | boolean | null>;
  /** When it happened (the injectable clock's now); the database's now() when omitted. */
  occurredAt?: Date;
}

/**
 * Where an account change came from, for functions that are not given a whole Actor (an
 * Actor fits). Optional everywhere so older callers keep working; rows then lack the IP.
 */
export interface ActivitySource {
  origin?: RequestOrigin | null;
  impersonatorUserId?: string | null;
}

/**
 * Writes one entry. Entries that concern other people (a server created, a sign-in, an
 * invitation…) also become their notifications, in the same transaction
 * (notifications/from-activity.ts lists which); some are also webhook events
 * (webhooks/hooks.ts lists which).
 */
export async function recordActivity(db: DbOrTx, entry: ActivityEntry): Promise<void> {
  const row = await db
    .insertInto('activity_log')
    .values({
      action: entry.action,
      actor_user_id: entry.actorUserId,
      impersonator_user_id: entry.impersonatorUserId ?? null,
      organization_id: entry.organizationId ?? null,
      target_type: entry.target?.type ?? null,
      target_id: entry.target?.id ?? null,
      ip: entry.origin?.ip ?? null,
      user_agent: entry.origin?.userAgent?.slice(0, 400) ?? null,
      details: JSON.stringify(entry.details ?? {}),
      ...(entry.occurredAt ? { occurred_at: entry.occurredAt } : {}),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  if (notifiesFromActivity(entry.action)) await notifyFromActivity(db, entry, row.id);
  if (emitsFromActivity(entry.action)) await webhookFromActivity(db, entry, row.id);
}

/** Shorthand for an entry made by `actor` in its organization. */
export function activityBy(
  actor: Actor,
  action: ActivityAction,
  rest: Omit<ActivityEntry, 'action' | 'actorUserId' | 'impersonatorUserId' | 'origin'> = {},
): ActivityEntry {
  return {
    action,
    actorUserId: actor.userId,
    impersonatorUserId: actor.impersonatorUserId,
    organizationId: actor.organizationId,
    origin: actor.origin,
    ...rest,
  };
}

/** A staff change to a user's account: the admin acts, the user is the target; no organization. */
export async function recordAdminChange(
  db: DbOrTx,
  actor: Actor,
  action: ActivityAction,
  userId: string,
  now: Date,
  details: Record<string, string | number | boolean | null> = {},
) {
  await recordActivity(db, {
    action,
    actorUserId: actor.userId,
    target: { type: 'user', id: userId },
    origin: actor.origin,
    details,
    occurredAt: now,
  });
}
