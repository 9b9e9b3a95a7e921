import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

/** Hand-written to match `migrations/`; change both together. */
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
/** Integer micro-units, read and written as bigint only: never a JS number (a float). */
type Money = ColumnType<bigint, bigint | undefined, bigint>;

export interface UsersTable {
  id: Generated<string>;
  email: string;
  name: string;
  phone: string | null;
  timezone: Generated<string>;
  /** Colour preset (src/domain/settings/themes.ts); null: the platform default. */
  theme: string | null;
  password_hash: string;
  is_admin: Generated<boolean>;
  status: Generated<'active' | 'suspended' | 'review'>;
  email_verified_at: NullableTimestamp;
  totp_secret: string | null;
  totp_enabled_at: NullableTimestamp;
  totp_last_step: ColumnType<string, string | number | undefined, string | number>;
  active_organization_id: string | null;
  last_sign_in_at: NullableTimestamp;
  /** Email categories the user chose to receive (security mail is always sent). */
  notify_billing: Generated<boolean>;
  notify_maintenance: Generated<boolean>;
  notify_general: Generated<boolean>;
  /** Bell categories the user chose to see (security is always shown): migration 0024. */
  inbox_servers: Generated<boolean>;
  inbox_billing: Generated<boolean>;
  inbox_team: Generated<boolean>;
  inbox_maintenance: Generated<boolean>;
  inbox_general: Generated<boolean>;
  /** Which ticket emails a member of the staff receives (migration 0029, src/domain/support/mail.ts). */
  support_email: Generated<SupportEmail>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface OrganizationsTable {
  id: Generated<string>;
  name: string;
  personal: Generated<boolean>;
  website: string | null;
  address: string | null;
  tax_id: string | null;
  created_by: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface RolesTable {
  id: Generated<string>;
  organization_id: string;
  name: string;
  permissions: string[];
  predefined: Generated<boolean>;
  created_at: Timestamp;
}

export interface OrganizationMembersTable {
  organization_id: string;
  user_id: string;
  role_id: string;
  created_at: Timestamp;
}

export interface WalletsTable {
  id: Generated<string>;
  organization_id: string;
  currency: Generated<string>;
  balance: Money;
  created_at: Timestamp;
}

export interface SessionsTable {
  id: Generated<string>;
  user_id: string;
  token_hash: Buffer;
  csrf_token: string;
  stage: 'mfa' | 'full';
  ip: string | null;
  user_agent: string | null;
  created_at: Timestamp;
  last_seen_at: Timestamp;
  expires_at: Timestamp;
  impersonator_user_id: string | null;
  impersonator_session_id: string | null;
}

export interface AccessTokensTable {
  id: Generated<string>;
  user_id: string;
  token_hash: Buffer;
  ip: string | null;
  user_agent: string | null;
  created_at: Timestamp;
  last_used_at: NullableTimestamp;
  expires_at: Timestamp;
  revoked_at: NullableTimestamp;
}

export interface UserTokensTable {
  id: Generated<string>;
  user_id: string;
  purpose: 'verify_email' | 'reset_password';
  token_hash: Buffer;
  email: string;
  created_at: Timestamp;
  expires_at: Timestamp;
  used_at: NullableTimestamp;
}

export interface RecoveryCodesTable {
  id: Generated<string>;
  user_id: string;
  code_hash: Buffer;
  used_at: NullableTimestamp;
  created_at: Timestamp;
}

export interface EmailsTable {
  id: Generated<string>;
  to_address: string;
  subject: string;
  html: string;
  text: string;
  template: string;
  status: Generated<'queued' | 'sent' | 'failed'>;
  transport: string | null;
  provider_message_id: string | null;
  attempts: Generated<number>;
  last_error: string | null;
  created_at: Timestamp;
  sent_at: NullableTimestamp;
  /** The live links of the body, sealed (src/mail/secrets.ts); null once delivered or expired. */
  secrets: string | null;
  secrets_expire_at: NullableTimestamp;
}

export interface JobRunsTable {
  id: Generated<string>;
  queue: string;
  job_id: string | null;
  status: Generated<'running' | 'succeeded' | 'failed'>;
  summary: ColumnType<Record<string, unknown>, string | undefined, string>;
  error: string | null;
  started_at: Timestamp;
  finished_at: NullableTimestamp;
  /** The liveness key of the process running the job (src/queue/liveness.ts); null: unknown. */
  node_key: ColumnType<number | null, number | null | undefined, number | null>;
}

export interface RateLimitCountersTable {
  key: string;
  window_start: Timestamp;
  count: number;
}

/** Brute-force limits: the times of a key's recent attempts (src/domain/security/attempts.ts). */
export interface AuthAttemptsTable {
  key: string;
  attempts: ColumnType<Date[], Date[], Date[]>;
  updated_at: Timestamp;
}

/** One per user: exactly one of an explicit limit per window, a multiplier of the tier's limit, or exempt (migration 0037). */
export interface RateLimitOverridesTable {
  user_id: string;
  max_requests: number | null;
  multiplier: ColumnType<string | null, string | number | null | undefined, string | number | null>;
  exempt: Generated<boolean>;
  note: string | null;
  expires_at: NullableTimestamp;
  created_by: string | null;
  created_at: Timestamp;
}

export interface IpRulesTable {
  id: Generated<string>;
  network: string;
  action: 'allow' | 'block';
  note: string | null;
  /** null: until deleted; an expired rule never applies (migration 0037). */
  expires_at: NullableTimestamp;
  created_by: string | null;
  created_at: Timestamp;
}

export interface Database {
  users: UsersTable;
  organizations: OrganizationsTable;
  roles: RolesTable;
  organization_members: OrganizationMembersTable;
  wallets: WalletsTable;
  sessions: SessionsTable;
  access_tokens: AccessTokensTable;
  user_tokens: UserTokensTable;
  recovery_codes: RecoveryCodesTable;
  emails: EmailsTable;
  job_runs: JobRunsTable;
  rate_limit_counters: RateLimitCountersTable;
  rate_limit_overrides: RateLimitOverridesTable;
  auth_attempts: AuthAttemptsTable;
  ip_rules: IpRulesTable;
  invitations: InvitationsTable;
  api_keys: ApiKeysTable;
  activity_log: ActivityLogTable;
  ledger_transactions: LedgerTransactionsTable;
  ledger_entries: LedgerEntriesTable;
  platform_settings: PlatformSettingsTable;
  fraud_checks: FraudChecksTable;
  payments: PaymentsTable;
  refunds: RefundsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  idempotency_keys: IdempotencyKeysTable;
  invoice_sequences: InvoiceSequencesTable;
  invoices: InvoicesTable;
  reconciliation_findings: ReconciliationFindingsTable;
  cloud_providers: CloudProvidersTable;
  cloud_catalogue: CloudCatalogueTable;
  server_regions: ServerRegionsTable;
  server_categories: ServerCategoriesTable;
  server_plans: ServerPlansTable;
  server_plan_regions: ServerPlanRegionsTable;
  server_plan_prices: ServerPlanPricesTable;
  server_images: ServerImagesTable;
  server_apps: ServerAppsTable;
  ssh_keys: SshKeysTable;
  servers: ServersTable;
  server_billing_periods: ServerBillingPeriodsTable;
  server_charges: ServerChargesTable;
  server_month_charges: ServerMonthChargesTable;
  server_charge_refunds: ServerChargeRefundsTable;
  server_actions: ServerActionsTable;
  firewalls: FirewallsTable;
  firewall_servers: FirewallServersTable;
  notes: NotesTable;
  server_drift: ServerDriftTable;
  billing_runs: BillingRunsTable;
  dunning_cases: DunningCasesTable;
  dunning_steps: DunningStepsTable;
  billing_reminders: BillingRemindersTable;
  billing_runway_marks: BillingRunwayMarksTable;
  transfer_runs: TransferRunsTable;
  transfer_readings: TransferReadingsTable;
  transfer_server_months: TransferServerMonthsTable;
  transfer_region_prices: TransferRegionPricesTable;
  transfer_packs: TransferPacksTable;
  transfer_credits: TransferCreditsTable;
  transfer_accruals: TransferAccrualsTable;
  transfer_month_closes: TransferMonthClosesTable;
  transfer_credit_draws: TransferCreditDrawsTable;
  console_tickets: ConsoleTicketsTable;
  console_sessions: ConsoleSessionsTable;
  server_host_keys: ServerHostKeysTable;
  notifications: NotificationsTable;
  ticket_categories: TicketCategoriesTable;
  tickets: TicketsTable;
  ticket_messages: TicketMessagesTable;
  canned_replies: CannedRepliesTable;
  stored_files: StoredFilesTable;
  ticket_attachments: TicketAttachmentsTable;
  announcements: AnnouncementsTable;
  announcement_dismissals: AnnouncementDismissalsTable;
  email_templates: EmailTemplatesTable;
  faq_categories: FaqCategoriesTable;
  faq_items: FaqItemsTable;
  docs_categories: DocsCategoriesTable;
  docs_articles: DocsArticlesTable;
  docs_files: DocsFilesTable;
  site_pages: SitePagesTable;
  blog_categories: BlogCategoriesTable;
  blog_posts: BlogPostsTable;
  blog_post_tags: BlogPostTagsTable;
  contact_categories: ContactCategoriesTable;
  contact_methods: ContactMethodsTable;
  contact_messages: ContactMessagesTable;
  contact_replies: ContactRepliesTable;
  status_incidents: StatusIncidentsTable;
  status_incident_updates: StatusIncidentUpdatesTable;
  hosting_integration: HostingIntegrationTable;
  hosting_plans: HostingPlansTable;
  hosting_customers: HostingCustomersTable;
  hosting_services: HostingServicesTable;
  hosting_saga_steps: HostingSagaStepsTable;
  hosting_charges: HostingChargesTable;
  hosting_operations: HostingOperationsTable;
  hosting_notices: HostingNoticesTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_events: WebhookEventsTable;
  webhook_outbox: WebhookOutboxTable;
  webhook_attempts: WebhookAttemptsTable;
}

export type User = Selectable<UsersTable>;
export type NewUser = Insertable<UsersTable>;
export type UserUpdate = Updateable<UsersTable>;
export type Organization = Selectable<OrganizationsTable>;
export type Session = Selectable<SessionsTable>;
export type Email = Selectable<EmailsTable>;
export type JobRun = Selectable<JobRunsTable>;

export interface InvitationsTable {
  id: Generated<string>;
  organization_id: string;
  email: string;
  role_id: string;
  token_hash: Buffer;
  invited_by: string | null;
  status: Generated<'pending' | 'accepted' | 'declined' | 'cancelled'>;
  created_at: Timestamp;
  expires_at: Timestamp;
  answered_at: NullableTimestamp;
}

export interface ApiKeysTable {
  id: Generated<string>;
  user_id: string;
  organization_id: string;
  name: string;
  prefix: string;
  key_hash: Buffer;
  permissions: string[];
  created_at: Timestamp;
  expires_at: NullableTimestamp;
  last_used_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
}

export interface ActivityLogTable {
  id: Generated<string>;
  occurred_at: Timestamp;
  action: string;
  actor_user_id: string | null;
  impersonator_user_id: string | null;
  organization_id: string | null;
  target_type: string | null;
  target_id: string | null;
  ip: string | null;
  user_agent: string | null;
  details: ColumnType<Record<string, unknown>, string | undefined, never>;
}

export type LedgerKind =
  | 'top_up'
  | 'top_up_reversal'
  | 'refund'
  | 'adjustment'
  | 'promotional_credit'
  | 'vps_charge'
  | 'vps_refund'
  | 'egress_charge'
  | 'hosting_charge'
  | 'hosting_refund';
export type PlatformAccount =
  | 'paypal_clearing'
  | 'vps_revenue'
  | 'egress_revenue'
  | 'hosting_revenue'
  | 'refunds'
  | 'adjustments'
  | 'promotional_credit';

export interface LedgerTransactionsTable {
  id: Generated<string>;
  idempotency_key: string;
  kind: LedgerKind;
  organization_id: string | null;
  currency: string;
  description: string;
  allow_negative: Generated<boolean>;
  created_by: string | null;
  details: ColumnType<Record<string, unknown>, string | undefined, never>;
  created_at: Timestamp;
}

export interface LedgerEntriesTable {
  id: Generated<string>;
  seq: ColumnType<bigint, never, never>;
  transaction_id: string;
  wallet_id: string | null;
  platform_account: PlatformAccount | null;
  amount: Money;
  balance_after: ColumnType<bigint | null, bigint | null | undefined, never>;
  created_at: Timestamp;
}

export interface PlatformSettingsTable {
  key: string;
  value: ColumnType<unknown, string, string>;
  updated_by: string | null;
  updated_at: Timestamp;
}

export type FraudStatus = 'approve' | 'review' | 'reject' | 'allowed' | 'blocked' | 'skipped';
export interface FraudChecksTable {
  id: Generated<string>;
  subject: 'registration' | 'top_up';
  user_id: string | null;
  organization_id: string | null;
  email: string | null;
  ip: string | null;
  amount: ColumnType<bigint | null, bigint | null | undefined, bigint | null>;
  currency: string | null;
  status: FraudStatus;
  score: number | null;
  reasons: Generated<string[]>;
  provider_transaction_id: string | null;
  details: ColumnType<Record<string, unknown>, string | undefined, string>;
  decided_by: string | null;
  decided_at: NullableTimestamp;
  created_at: Timestamp;
}

export type PaymentStatus =
  'held' | 'created' | 'pending' | 'completed' | 'cancelled' | 'denied' | 'failed' | 'refunded' | 'reversed';
export interface PaymentsTable {
  id: Generated<string>;
  organization_id: string;
  created_by: string | null;
  provider: Generated<'paypal'>;
  provider_order_id: string | null;
  capture_id: string | null;
  amount: Money;
  currency: string;
  status: PaymentStatus;
  fraud_check_id: string | null;
  refunded_amount: Generated<bigint>;
  failure_reason: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  completed_at: NullableTimestamp;
}

export type RefundStatus = 'pending' | 'completed' | 'failed';
export interface RefundsTable {
  id: Generated<string>;
  payment_id: string;
  amount: Money;
  destination: 'paypal' | 'wallet';
  status: RefundStatus;
  request_id: string;
  provider_refund_id: string | null;
  reason: string;
  created_by: string | null;
  failure_reason: string | null;
  created_at: Timestamp;
  completed_at: NullableTimestamp;
}

export interface WebhookDeliveriesTable {
  id: Generated<string>;
  provider: string;
  event_id: string;
  event_type: string;
  verified: boolean;
  outcome: 'processed' | 'ignored' | 'rejected' | 'failed' | 'duplicate';
  error: string | null;
  /** The whole event, for verified deliveries only (null otherwise). */
  payload: ColumnType<unknown, string | null, never>;
  /** sha256 of the body as received, hex. */
  body_sha256: string;
  /** The first 4096 characters of an unverified delivery's body (null when verified). */
  body_excerpt: string | null;
  received_at: Timestamp;
}

export interface IdempotencyKeysTable {
  key: string;
  user_id: string;
  endpoint: string;
  request_hash: string;
  status: 'in_flight' | 'done';
  response_status: number | null;
  response_body: ColumnType<unknown, string | null | undefined, string | null>;
  created_at: Timestamp;
}

export interface InvoiceSequencesTable {
  year: number;
  last_number: number;
}

export interface InvoicesTable {
  id: Generated<string>;
  number: string;
  organization_id: string;
  kind: 'receipt' | 'statement';
  currency: string;
  total: Money;
  period_start: NullableTimestamp;
  period_end: NullableTimestamp;
  payment_id: string | null;
  seller: ColumnType<Record<string, unknown>, string, never>;
  buyer: ColumnType<Record<string, unknown>, string, never>;
  lines: ColumnType<Array<Record<string, unknown>>, string, never>;
  issued_at: Timestamp;
}

export interface ReconciliationFindingsTable {
  id: Generated<string>;
  run_date: ColumnType<Date, string, never>;
  capture_id: string | null;
  payment_id: string | null;
  problem: string;
  details: ColumnType<Record<string, unknown>, string | undefined, never>;
  created_at: Timestamp;
}

// ---- Servers (migrations/2026_11_30_0009_create_servers.ts) ----

type Json<T> = ColumnType<T, string, string>;

export interface CloudProvidersTable {
  id: Generated<string>;
  kind: 'linode';
  name: string;
  token_ciphertext: string | null;
  base_url: string | null;
  emulated: Generated<boolean>;
  active: Generated<boolean>;
  display_order: Generated<number>;
  health: Generated<'unknown' | 'ok' | 'error'>;
  health_message: string | null;
  account_label: string | null;
  validated_at: NullableTimestamp;
  catalogue_refreshed_at: NullableTimestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export type CatalogueKind = 'type' | 'region' | 'image' | 'script';
export interface CloudCatalogueTable {
  provider_id: string;
  kind: CatalogueKind;
  external_id: string;
  data: Json<Record<string, unknown>>;
  refreshed_at: Timestamp;
}

export interface ServerRegionsTable {
  provider_id: string;
  region_id: string;
  label: string;
  country: string;
  display_order: Generated<number>;
  active: Generated<boolean>;
}

export interface ServerCategoriesTable {
  provider_id: string;
  provider_class: string;
  name: string;
  display_order: Generated<number>;
}

export interface ServerPlansTable {
  id: Generated<string>;
  provider_id: string;
  provider_type: string;
  name: string;
  category: string;
  vcpus: number;
  memory_mb: number;
  disk_gb: number;
  transfer_gb: number;
  active: Generated<boolean>;
  display_order: Generated<number>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ServerPlanRegionsTable {
  plan_id: string;
  region_id: string;
}

export interface ServerPlanPricesTable {
  id: Generated<string>;
  plan_id: string;
  base_monthly: Money;
  markup_monthly: Money;
  backups_monthly: Money;
  currency: string;
  effective_from: Timestamp;
  created_by: string | null;
  created_at: Timestamp;
}

export interface ServerImagesTable {
  provider_id: string;
  image_id: string;
  label: string;
  display_order: Generated<number>;
  active: Generated<boolean>;
}

export interface ServerAppsTable {
  id: Generated<string>;
  provider_id: string;
  script_id: string;
  label: string;
  description: Generated<string>;
  fields: Generated<string[]>;
  display_order: Generated<number>;
  active: Generated<boolean>;
  created_at: Timestamp;
}

export interface SshKeysTable {
  id: Generated<string>;
  organization_id: string;
  name: string;
  public_key: string;
  fingerprint: string;
  created_by: string | null;
  created_at: Timestamp;
}

export type ServerStatus =
  | 'provisioning'
  | 'booting'
  | 'running'
  | 'shutting_down'
  | 'offline'
  | 'rebooting'
  | 'rebuilding'
  | 'resizing'
  | 'deleting'
  | 'deleted'
  | 'suspended'
  | 'failed';

export interface ServersTable {
  id: Generated<string>;
  organization_id: string;
  provider_id: string;
  plan_id: string;
  provider_instance_id: string | null;
  create_tag: string;
  label: string;
  region: string;
  image: string;
  app_id: string | null;
  status: ServerStatus;
  provider_status: string | null;
  backups_enabled: Generated<boolean>;
  private_ip: Generated<boolean>;
  ipv4: Generated<string[]>;
  ipv6: string | null;
  suspended_at: NullableTimestamp;
  resume_running: Generated<boolean>;
  failure_reason: string | null;
  created_by: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  synced_at: NullableTimestamp;
  deleted_at: NullableTimestamp;
  deleted_reason: string | null;
}

export interface ServerBillingPeriodsTable {
  server_id: string;
  effective_from: Timestamp;
  plan_id: string;
  backups: boolean;
}

export interface ServerChargesTable {
  server_id: string;
  hour_start: Timestamp;
  organization_id: string;
  amount: Money;
  rate: Money;
  currency: string;
  ledger_transaction_id: string | null;
  /** The billing run that wrote it; null for the first hour (charged at create). */
  billing_run_id: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: Timestamp;
}

/** What a server was charged in a UTC month; kept by a trigger on server_charges (migration 0019). */
export interface ServerMonthChargesTable {
  server_id: string;
  month: Date;
  charged: Money;
}

export interface ServerChargeRefundsTable {
  server_id: string;
  hour_start: Timestamp;
  amount: Money;
  minutes: number;
  ledger_transaction_id: string;
  created_at: Timestamp;
}

export type ServerActionType =
  | 'create'
  | 'boot'
  | 'shutdown'
  | 'reboot'
  | 'rebuild'
  | 'resize'
  | 'reset_password'
  | 'rename'
  | 'enable_backups'
  | 'cancel_backups'
  | 'schedule_backups'
  | 'snapshot'
  | 'restore'
  | 'set_rdns'
  | 'attach_firewall'
  | 'detach_firewall'
  | 'suspend'
  | 'unsuspend'
  | 'delete';

export interface ServerActionsTable {
  id: Generated<string>;
  server_id: string;
  organization_id: string;
  type: ServerActionType;
  status: 'pending' | 'running' | 'completed' | 'failed';
  details: ColumnType<Record<string, unknown>, string | undefined, string>;
  error: string | null;
  requested_by: string | null;
  created_at: Timestamp;
  finished_at: NullableTimestamp;
}

export interface FirewallsTable {
  id: Generated<string>;
  organization_id: string;
  provider_id: string;
  provider_firewall_id: string | null;
  label: string;
  rules: Json<Record<string, unknown>>;
  created_by: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  deleted_at: NullableTimestamp;
}

export interface FirewallServersTable {
  firewall_id: string;
  server_id: string;
  created_at: Timestamp;
}

export interface NotesTable {
  id: Generated<string>;
  organization_id: string;
  server_id: string | null;
  body: string;
  title: Generated<string>;
  pinned: Generated<boolean>;
  /** Set: this member's personal note (only they read it); null: the organization's. */
  personal_owner_id: string | null;
  created_by: string | null;
  updated_by: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ServerDriftTable {
  id: Generated<string>;
  provider_id: string;
  kind: 'unknown_at_provider' | 'missing_at_provider';
  provider_instance_id: string;
  server_id: string | null;
  label: string | null;
  detected_at: Timestamp;
  resolved_at: NullableTimestamp;
}

export type BillingRunStatus = 'queued' | 'running' | 'succeeded' | 'failed';
export type BillingRunTrigger = 'schedule' | 'catch_up' | 'admin';

export interface BillingRunsTable {
  id: Generated<string>;
  hour_start: Timestamp;
  status: Generated<BillingRunStatus>;
  trigger: BillingRunTrigger;
  requested_by: string | null;
  worker: string | null;
  instances_charged: Generated<number>;
  amount: Money;
  currency: string;
  zero_charges: Generated<number>;
  skipped: Generated<number>;
  skipped_reasons: ColumnType<Record<string, number>, string | undefined, string>;
  errors: ColumnType<string[], string | undefined, string>;
  duration_ms: number | null;
  created_at: Timestamp;
  started_at: NullableTimestamp;
  finished_at: NullableTimestamp;
}

/** Reminders emailed to an organization's billing contacts, one per kind and UTC day (notifications/reminders.ts). */
export type BillingReminderKind = 'low_balance' | 'runway_7' | 'runway_3';

export interface BillingRemindersTable {
  organization_id: string;
  kind: BillingReminderKind;
  /** The UTC day, `YYYY-MM-DD` (written and read as text). */
  day: ColumnType<Date, string, string>;
  balance: Money;
  hourly_burn: Money;
  emails: Generated<number>;
  sent_at: Timestamp;
}

/** Runway thresholds (days) an organization was told of; deleted when its runway is back above (re-armed). */
export interface BillingRunwayMarksTable {
  organization_id: string;
  days: number;
  marked_at: Timestamp;
}

// Network transfer (egress) billing: src/domain/transfer, migration 0017. Bytes are bigint.
export type TransferRunKind = 'hourly' | 'close';
export type TransferRunStatus = 'running' | 'succeeded' | 'failed';
export type TransferRunTrigger = 'schedule' | 'catch_up' | 'admin' | 'test';
export type TransferCreditSource = 'pack' | 'grant' | 'close_return';
type Bytes = ColumnType<bigint, bigint | undefined, bigint>;

export interface TransferRunsTable {
  id: Generated<string>;
  kind: TransferRunKind;
  period_start: Timestamp;
  status: Generated<TransferRunStatus>;
  trigger: TransferRunTrigger;
  worker: string | null;
  servers_read: Generated<number>;
  read_errors: Generated<number>;
  pools_charged: Generated<number>;
  bytes_charged: Bytes;
  credit_bytes: Bytes;
  amount: Money;
  errors: ColumnType<string[], string | undefined, string>;
  duration_ms: number | null;
  started_at: Timestamp;
  finished_at: NullableTimestamp;
}

export interface TransferReadingsTable {
  server_id: string;
  hour_start: Timestamp;
  month: ColumnType<Date, Date | string, Date | string>;
  organization_id: string;
  provider_id: string;
  region: string;
  used_bytes: Bytes;
  read_at: Timestamp;
  run_id: string | null;
}

export interface TransferServerMonthsTable {
  server_id: string;
  month: ColumnType<Date, Date | string, Date | string>;
  organization_id: string;
  provider_id: string;
  region: string;
  used_bytes: Bytes;
  last_hour: Timestamp;
}

export interface TransferRegionPricesTable {
  provider_id: string;
  region_id: string;
  price_per_gb: Money;
  currency: string;
  updated_by: string | null;
  updated_at: Timestamp;
}

export interface TransferPacksTable {
  id: Generated<string>;
  name: string;
  size_gb: number;
  price: Money;
  currency: string;
  active: Generated<boolean>;
  created_by: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface TransferCreditsTable {
  id: Generated<string>;
  organization_id: string;
  source: TransferCreditSource;
  pack_id: string | null;
  ledger_transaction_id: string | null;
  reason: string | null;
  granted_by: string | null;
  total_bytes: Bytes;
  remaining_bytes: Bytes;
  idempotency_key: string;
  created_at: Timestamp;
}

export interface TransferAccrualsTable {
  id: Generated<string>;
  organization_id: string;
  provider_id: string;
  region: string;
  hour_start: Timestamp;
  month: ColumnType<Date, Date | string, Date | string>;
  used_bytes: Bytes;
  included_bytes: Bytes;
  overage_bytes: Bytes;
  billed_bytes: Bytes;
  credit_bytes: Bytes;
  wallet_bytes: Bytes;
  price_per_gb: Money;
  amount: Money;
  currency: string;
  ledger_transaction_id: string | null;
  run_id: string | null;
  created_at: Timestamp;
}

export interface TransferMonthClosesTable {
  id: Generated<string>;
  organization_id: string;
  provider_id: string;
  region: string;
  month: ColumnType<Date, Date | string, Date | string>;
  used_bytes: Bytes;
  included_bytes: Bytes;
  overage_bytes: Bytes;
  accrued_bytes: Bytes;
  delta_bytes: Bytes;
  credit_bytes: Bytes;
  wallet_bytes: Bytes;
  price_per_gb: Money;
  amount: Money;
  currency: string;
  ledger_transaction_id: string | null;
  returned_credit_id: string | null;
  run_id: string | null;
  closed_at: Timestamp;
}

export interface TransferCreditDrawsTable {
  id: Generated<string>;
  credit_id: string;
  accrual_id: string | null;
  close_id: string | null;
  bytes: Bytes;
  created_at: Timestamp;
}

// Dunning (migrations/2026_12_03_0016_create_dunning.ts, src/domain/dunning).
export type DunningStep =
  | 'opened'
  | 'arrears_notice'
  | 'suspend_server'
  | 'suspension'
  | 'final_notice'
  | 'delete_server'
  | 'termination'
  | 'resume_server'
  | 'lifted'
  | 'exempted'
  | 'exemption_removed'
  | 'deadline_extended';

export interface DunningCasesTable {
  id: Generated<string>;
  organization_id: string;
  arrears_since: Timestamp;
  last_notice_at: NullableTimestamp;
  notices: Generated<number>;
  suspended_at: NullableTimestamp;
  final_notice_at: NullableTimestamp;
  final_notice_deadline: NullableTimestamp;
  terminated_at: NullableTimestamp;
  exempt_reason: string | null;
  exempted_by: string | null;
  exempted_at: NullableTimestamp;
  extended_until: NullableTimestamp;
  extended_by: string | null;
  extended_at: NullableTimestamp;
  extend_reason: string | null;
  lifted_at: NullableTimestamp;
  claimed_until: NullableTimestamp;
  created_at: Timestamp;
}

export interface DunningStepsTable {
  id: Generated<string>;
  seq: ColumnType<bigint, never, never>;
  case_id: string;
  organization_id: string;
  step: DunningStep;
  key: Generated<string>;
  outcome: 'done' | 'failed';
  server_id: string | null;
  error: string | null;
  actor_user_id: string | null;
  details: ColumnType<Record<string, unknown>, string | undefined, never>;
  created_at: Timestamp;
}

/** The browser console's two modes: the provider's out-of-band console, or SSH to the server (migration 0023). */
export type ConsoleMode = 'lish' | 'ssh';

/** A single-use ticket opening one console (src/domain/console/tickets.ts); the row is deleted when redeemed. */
export interface ConsoleTicketsTable {
  token_hash: Buffer;
  user_id: string;
  session_id: string;
  organization_id: string;
  server_id: string;
  mode: ConsoleMode;
  impersonator_user_id: string | null;
  created_at: Timestamp;
  expires_at: Timestamp;
}

/** A console open on some process, counted by the limits (src/domain/console/sessions.ts). */
export interface ConsoleSessionsTable {
  id: Generated<string>;
  user_id: string;
  session_id: string | null;
  organization_id: string;
  server_id: string;
  mode: ConsoleMode;
  impersonator_user_id: string | null;
  started_at: Timestamp;
  seen_at: Timestamp;
  bytes_in: ColumnType<bigint, bigint | number | undefined, bigint | number>;
  bytes_out: ColumnType<bigint, bigint | number | undefined, bigint | number>;
  /** The liveness key of the process holding the console (src/queue/liveness.ts); null: unknown. */
  node_key: ColumnType<number | null, number | null | undefined, number | null>;
}

/** The SSH host key pinned on first use for a server (src/domain/console/host-keys.ts). */
export interface ServerHostKeysTable {
  server_id: string;
  algorithm: string;
  fingerprint: string;
  public_key: Buffer;
  pinned_at: Timestamp;
}

/** What the bell groups notifications by, and what a person may mute (src/domain/notifications/kinds.ts). */
export type NotificationCategory = 'servers' | 'billing' | 'team' | 'security' | 'maintenance' | 'general';

/** One person told of one event (migration 0024; src/domain/notifications/emit.ts writes, inbox.ts reads). */
export interface NotificationsTable {
  id: Generated<string>;
  user_id: string;
  organization_id: string | null;
  category: NotificationCategory;
  kind: string;
  data: ColumnType<Record<string, unknown>, string | undefined, string>;
  dedupe_key: string;
  created_at: Timestamp;
  read_at: NullableTimestamp;
}

/** Support ticket categories (migration 0026); "General" is the default. */
export interface TicketCategoriesTable {
  id: Generated<string>;
  name: string;
  position: Generated<number>;
  is_default: Generated<boolean>;
  archived_at: NullableTimestamp;
  created_at: Generated<Date>;
}

export type TicketPriority = 'low' | 'normal' | 'high' | 'urgent';
export type TicketStatus = 'open' | 'answered' | 'customer_reply' | 'resolved' | 'closed';
export interface ServerSnapshot {
  label: string;
  ip: string | null;
  plan: string | null;
}

/** A support ticket (src/domain/support/tickets.ts). */
export interface TicketsTable {
  id: Generated<string>;
  number: ColumnType<string, never, never>;
  organization_id: string;
  opened_by: string | null;
  subject: string;
  category_id: string;
  priority: Generated<TicketPriority>;
  status: Generated<TicketStatus>;
  assignee_id: string | null;
  server_id: string | null;
  server_snapshot: ColumnType<ServerSnapshot | null, string | null, string | null>;
  follows_ticket_id: string | null;
  waiting_since: NullableTimestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
  resolved_at: NullableTimestamp;
  closed_at: NullableTimestamp;
}

/** One message of a ticket's thread; `internal` ones are staff-only notes. */
export interface TicketMessagesTable {
  id: Generated<string>;
  seq: ColumnType<string, never, never>;
  ticket_id: string;
  author_id: string | null;
  from_staff: boolean;
  internal: Generated<boolean>;
  body: string;
  created_at: Timestamp;
}

/** An uploaded file's bytes (in PostgreSQL or an S3 bucket) with its sniffed type (migration 0028, src/domain/files). */
export interface StoredFilesTable {
  id: Generated<string>;
  storage: 'postgres' | 's3';
  bytes: Buffer | null;
  object_key: string | null;
  sha256: Buffer;
  size: ColumnType<bigint, number | bigint, never>;
  content_type: string;
  created_at: Generated<Date>;
}

/** A stored file attached to a ticket message (migration 0028, src/domain/support/attachments.ts). */
export interface TicketAttachmentsTable {
  id: Generated<string>;
  ticket_id: string;
  message_id: string;
  file_id: string;
  position: number;
  file_name: string;
  content_type: string;
  size: ColumnType<bigint, number | bigint, never>;
  created_at: Generated<Date>;
}

/** 'all': tickets assigned to them and every unassigned one; 'assigned': only theirs; 'off'. */
export type SupportEmail = 'all' | 'assigned' | 'off';

/** A canned reply staff insert into a ticket reply (migration 0029, src/domain/support/canned.ts). */
export interface CannedRepliesTable {
  id: Generated<string>;
  title: string;
  body: string;
  created_by: string | null;
  updated_by: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

/** Banners staff post (migration 0032, src/domain/announcements). */
export interface AnnouncementsTable {
  id: Generated<string>;
  title: string;
  body: Generated<string>;
  severity: Generated<'info' | 'warning' | 'critical'>;
  audience: Generated<'everyone' | 'signed-in' | 'guests' | 'admins'>;
  starts_at: Date | null;
  ends_at: Date | null;
  dismissable: Generated<boolean>;
  created_by: string | null;
  updated_by: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

/** Who dismissed which announcement (signed-in people). */
export interface AnnouncementDismissalsTable {
  announcement_id: string;
  user_id: string;
  dismissed_at: Generated<Date>;
}

/** The blog's categories (migration 0034, src/domain/content/blog-categories.ts). */
export interface BlogCategoriesTable {
  id: Generated<string>;
  name: string;
  slug: string;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

/** Blog posts (migration 0034, src/domain/content/blog.ts): public when published and published_at has come. */
export interface BlogPostsTable {
  id: Generated<string>;
  slug: string;
  title: string;
  summary: Generated<string>;
  body: Generated<string>;
  cover_file_id: string | null;
  cover_alt: Generated<string>;
  author_id: string | null;
  category_id: string | null;
  status: Generated<'draft' | 'published'>;
  published_at: Date | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

/** A blog post's tags, lower-case slugs (migration 0034). */
export interface BlogPostTagsTable {
  post_id: string;
  tag: string;
}

/** The contact form's categories (migration 0035, src/domain/contact). */
export interface ContactCategoriesTable {
  id: Generated<string>;
  name: string;
  position: Generated<number>;
  archived: Generated<boolean>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export type ContactMethodKind = 'email' | 'phone' | 'chat' | 'address' | 'link';

/** How to reach the business, shown on /contact. */
export interface ContactMethodsTable {
  id: Generated<string>;
  kind: ContactMethodKind;
  label: string;
  value: string;
  position: Generated<number>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export type ContactMessageStatus = 'new' | 'read' | 'replied' | 'archived';

/** Messages sent through /contact. */
export interface ContactMessagesTable {
  id: Generated<string>;
  name: string;
  email: string;
  category_id: string | null;
  subject: string;
  message: string;
  ip: string;
  user_agent: string | null;
  user_id: string | null;
  status: Generated<ContactMessageStatus>;
  emailed_to: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

/** Staff replies to contact messages (emailed to the sender). */
export interface ContactRepliesTable {
  id: Generated<string>;
  message_id: string;
  staff_user_id: string | null;
  body: string;
  sent_at: Generated<Date>;
}

export type IncidentKind = 'incident' | 'maintenance';
export type IncidentImpact = 'none' | 'minor' | 'major' | 'critical';
export type IncidentUpdateStatus =
  'investigating' | 'identified' | 'monitoring' | 'resolved' | 'scheduled' | 'in_progress' | 'completed';

/** Incidents and maintenance windows on /status (migration 0035, src/domain/status). */
export interface StatusIncidentsTable {
  id: Generated<string>;
  title: string;
  kind: Generated<IncidentKind>;
  impact: Generated<IncidentImpact>;
  /** Provider region ids, or 'platform'. */
  affected_regions: Generated<string[]>;
  starts_at: Generated<Date>;
  ends_at: Date | null;
  resolved_at: Date | null;
  created_by: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

/** The timeline of an incident or maintenance window. */
export interface StatusIncidentUpdatesTable {
  id: Generated<string>;
  incident_id: string;
  status: IncidentUpdateStatus;
  message: Generated<string>;
  at: Generated<Date>;
  created_by: string | null;
}

/** An admin's override of one email's subject and bodies (migration 0036, src/mail/templates.ts). */
export interface EmailTemplatesTable {
  name: string;
  subject: string;
  html: string;
  text: string;
  updated_by: string | null;
  updated_at: Generated<Date>;
}

/** FAQ headings (migration 0033, src/domain/content/faq.ts). */
export interface FaqCategoriesTable {
  id: Generated<string>;
  name: string;
  position: Generated<number>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

/** FAQ questions and their Markdown answers. */
export interface FaqItemsTable {
  id: Generated<string>;
  category_id: string;
  question: string;
  answer: Generated<string>;
  position: Generated<number>;
  published: Generated<boolean>;
  created_by: string | null;
  updated_by: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

/** Knowledge-base sections (migration 0033, src/domain/content/docs.ts). */
export interface DocsCategoriesTable {
  id: Generated<string>;
  slug: string;
  name: string;
  description: Generated<string>;
  position: Generated<number>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

/** Knowledge-base articles (Markdown). */
export interface DocsArticlesTable {
  id: Generated<string>;
  category_id: string;
  slug: string;
  title: string;
  summary: Generated<string>;
  body: Generated<string>;
  position: Generated<number>;
  published: Generated<boolean>;
  created_by: string | null;
  updated_by: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

/** Files offered with an article (stored in stored_files). */
export interface DocsFilesTable {
  id: Generated<string>;
  article_id: string;
  file_id: string;
  file_name: string;
  content_type: string;
  size: ColumnType<bigint, bigint | number, bigint | number>;
  created_at: Generated<Date>;
}

/** Pages such as /about, /terms, /privacy (migration 0033, src/domain/content/pages.ts). */
export interface SitePagesTable {
  id: Generated<string>;
  slug: string;
  title: string;
  description: Generated<string>;
  body: Generated<string>;
  published: Generated<boolean>;
  updated_by: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

/** The Enhance connection, one row (id 1; migration 0038, src/domain/hosting/integration.ts). */
export interface HostingIntegrationTable {
  id: Generated<number>;
  enabled: Generated<boolean>;
  demo: Generated<boolean>;
  api_url: string | null;
  master_org_id: string | null;
  default_server_group_id: string | null;
  /** Sealed with the keyring (src/lib/crypto.ts); never read back to a page. */
  token_ciphertext: string | null;
  health: Generated<'unknown' | 'ok' | 'error'>;
  health_message: string | null;
  checked_at: NullableTimestamp;
  plans_synced_at: NullableTimestamp;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

/** Hosting plans synced from Enhance with local retail settings (migration 0038, src/domain/hosting/plans.ts). */
export interface HostingPlansTable {
  id: Generated<string>;
  /** The master organization the plan belongs to: (master_org_id, enhance_plan_id) is unique. */
  master_org_id: string;
  enhance_plan_id: number;
  upstream_name: string;
  name: string;
  description: Generated<string>;
  /** Micro-units a month; null = not priced (never sellable). */
  monthly_price: ColumnType<bigint | null, bigint | null | undefined, bigint | null>;
  resources: Json<{ name: string; total: number | null }[]>;
  allowances: Json<{ name: string }[]>;
  selections: Json<{ name: string; value: unknown }[]>;
  plan_type: Generated<string>;
  php_versions: Generated<string[]>;
  default_php_version: string | null;
  allow_server_group_selection: Generated<boolean>;
  active: Generated<boolean>;
  upstream_missing_at: NullableTimestamp;
  position: Generated<number>;
  synced_at: NullableTimestamp;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

/** An organization's customer organization at one Enhance panel (migration 0039). */
export interface HostingCustomersTable {
  organization_id: string;
  master_org_id: string;
  enhance_org_id: string;
  login_id: string | null;
  member_id: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export type HostingServiceStatus = 'provisioning' | 'active' | 'suspended' | 'cancelled' | 'failed';
export type HostingSagaState = 'running' | 'done' | 'compensating' | 'compensated';
export type HostingSagaStep =
  | 'charge'
  | 'customer'
  | 'login'
  | 'member'
  | 'subscription'
  | 'website'
  | 'activated'
  | 'undo_website'
  | 'undo_subscription'
  | 'refund';

/** One bought hosting plan for one domain (migration 0039, src/domain/hosting/services.ts). */
export interface HostingServicesTable {
  id: Generated<string>;
  organization_id: string;
  plan_id: string;
  master_org_id: string;
  /** Lower case; live (provisioning, active, suspended) in at most one service. */
  domain: string;
  status: Generated<HostingServiceStatus>;
  /** Micro-units a month, the plan's price when bought: what each renewal charges. */
  monthly_price: bigint;
  enhance_org_id: string | null;
  enhance_subscription_id: number | null;
  enhance_website_id: string | null;
  server_ips: ColumnType<{ ip: string; isPrimary: boolean }[], string | undefined, string>;
  php_version: string | null;
  /** The paid period; period_end is the next renewal. Both null until the first charge. */
  period_start: NullableTimestamp;
  period_end: NullableTimestamp;
  /** When the renewal that is still unpaid fell due (hosting dunning counts from here). */
  overdue_since: NullableTimestamp;
  suspended_at: NullableTimestamp;
  suspended_by: 'dunning' | 'staff' | null;
  cancel_at_period_end: Generated<boolean>;
  cancelled_at: NullableTimestamp;
  cancel_reason: string | null;
  /** Why a purchase failed, in words a customer may read (white-label). */
  failure: string | null;
  purchase_key: string;
  saga_state: Generated<HostingSagaState>;
  saga_attempts: Generated<number>;
  saga_claimed_until: NullableTimestamp;
  /** The last saga error for staff (may name the panel). */
  saga_error: string | null;
  created_by: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

/** The purchase saga's journal: one row per step done (migration 0039). */
export interface HostingSagaStepsTable {
  service_id: string;
  step: HostingSagaStep;
  detail: ColumnType<Record<string, unknown>, string | undefined, string>;
  done_at: Generated<Date>;
}

/** One charged period of a hosting service, UNIQUE (service_id, period_start) (migration 0039). */
export interface HostingChargesTable {
  id: Generated<string>;
  service_id: string;
  organization_id: string;
  period_start: Date;
  period_end: Date;
  amount: bigint;
  refunded: Generated<bigint>;
  kind: 'purchase' | 'renewal';
  ledger_transaction_id: string | null;
  created_at: Generated<Date>;
}

export type HostingOperationKind = 'wordpress_install' | 'backup' | 'restore';
export type HostingOperationStatus = 'running' | 'done' | 'failed';

/** A WordPress install, backup or restore the panel works on, polled until it ends (migration 0042). */
export interface HostingOperationsTable {
  id: Generated<string>;
  service_id: string;
  organization_id: string;
  kind: HostingOperationKind;
  /** The panel's id of the thing: the app's uuid, the backup's number. */
  ref: string;
  label: Generated<string>;
  status: Generated<HostingOperationStatus>;
  /** Customer-safe words on how it ended. */
  message: string | null;
  started_by: string | null;
  started_at: Generated<Date>;
  checked_at: NullableTimestamp;
  finished_at: NullableTimestamp;
}

export type HostingNoticeKind =
  'welcome' | 'renewal_receipt' | 'renewal_failed' | 'suspended' | 'final_notice' | 'recovered' | 'cancelled';

/** A hosting billing email sent once per (service, kind, key) (migration 0041, src/domain/hosting/emails.ts). */
export interface HostingNoticesTable {
  service_id: string;
  kind: HostingNoticeKind;
  key: string;
  /** How many emails were queued (billing contacts). */
  emails: Generated<number>;
  sent_at: Generated<Date>;
}

export type WebhookEndpointStatus = 'active' | 'disabled';
export type WebhookDeliveryStatus = 'pending' | 'retrying' | 'succeeded' | 'failed';

/** An organization's outbound webhook endpoint (migration 0045, src/domain/webhooks). */
export interface WebhookEndpointsTable {
  id: Generated<string>;
  organization_id: string;
  url: string;
  description: string | null;
  events: string[];
  /** The signing secret sealed with the keyring (src/lib/crypto.ts); never shown after create/rotate. */
  secret_ciphertext: string;
  secret_hint: string;
  status: Generated<WebhookEndpointStatus>;
  disabled_reason: string | null;
  disabled_at: NullableTimestamp;
  created_by: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

/** Something that happened, once per (organization, dedupe_key); `body` is what every attempt sends. */
export interface WebhookEventsTable {
  id: Generated<string>;
  organization_id: string;
  type: string;
  dedupe_key: string;
  data: unknown;
  body: string;
  created_at: Generated<Date>;
}

/** One event to one endpoint: the outbox row the webhooks.deliver job works under a lease. */
export interface WebhookOutboxTable {
  id: Generated<string>;
  organization_id: string;
  event_id: string;
  endpoint_id: string;
  status: Generated<WebhookDeliveryStatus>;
  attempts: Generated<number>;
  first_attempt_at: NullableTimestamp;
  next_attempt_at: NullableTimestamp;
  lease_token: string | null;
  lease_until: NullableTimestamp;
  last_status_code: number | null;
  last_error: string | null;
  last_duration_ms: number | null;
  created_at: Generated<Date>;
  delivered_at: NullableTimestamp;
}

export interface WebhookAttemptsTable {
  id: Generated<string>;
  delivery_id: string;
  attempted_at: Date;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
  manual: Generated<boolean>;
}
