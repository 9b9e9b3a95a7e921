import { type Kysely, sql } from 'kysely';

// Frozen history: server providers and their cached catalogue, the plans a business sells
// (with price history), what customers may pick (regions, images, apps), SSH keys, servers
// with their billing periods and first-hour charges, firewalls, notes and drift findings.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table cloud_providers (
      id uuid primary key default gen_random_uuid(),
      kind text not null check (kind in ('linode')),
      name text not null check (length(name) between 1 and 80),
      -- the API token, AES-256-GCM with its key version (src/lib/crypto.ts); never shown again
      token_ciphertext text,
      -- null: the provider's public API; else a proxy. Ignored when emulated.
      base_url text,
      -- the demo provider: answered by the emulator this process starts (no real servers)
      emulated boolean not null default false,
      active boolean not null default true,
      display_order integer not null default 0,
      -- what the last "validate" said: unknown (never checked), ok, error
      health text not null default 'unknown' check (health in ('unknown', 'ok', 'error')),
      health_message text,
      account_label text,
      validated_at timestamptz,
      catalogue_refreshed_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );

    -- The provider's catalogue as last read (a job and "refresh now" write it; pages only read it).
    create table cloud_catalogue (
      provider_id uuid not null references cloud_providers (id) on delete cascade,
      kind text not null check (kind in ('type', 'region', 'image', 'script')),
      external_id text not null,
      data jsonb not null,
      refreshed_at timestamptz not null,
      primary key (provider_id, kind, external_id)
    );

    -- Regions customers may pick, with the business's own label and order.
    create table server_regions (
      provider_id uuid not null references cloud_providers (id) on delete cascade,
      region_id text not null,
      label text not null check (length(label) between 1 and 80),
      country text not null check (country ~ '^[a-z]{2}$'),
      display_order integer not null default 0,
      active boolean not null default true,
      primary key (provider_id, region_id)
    );

    -- White-label names for the provider's plan classes (standard → "Shared CPU").
    create table server_categories (
      provider_id uuid not null references cloud_providers (id) on delete cascade,
      provider_class text not null,
      name text not null check (length(name) between 1 and 60),
      display_order integer not null default 0,
      primary key (provider_id, provider_class)
    );

    create table server_plans (
      id uuid primary key default gen_random_uuid(),
      provider_id uuid not null references cloud_providers (id),
      provider_type text not null,
      name text not null check (length(name) between 1 and 80),
      category text not null check (length(category) between 1 and 60),
      vcpus integer not null check (vcpus > 0),
      memory_mb integer not null check (memory_mb > 0),
      disk_gb integer not null check (disk_gb > 0),
      transfer_gb integer not null check (transfer_gb >= 0),
      active boolean not null default true,
      display_order integer not null default 0,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create unique index server_plans_name on server_plans (lower(name));

    create table server_plan_regions (
      plan_id uuid not null references server_plans (id) on delete cascade,
      region_id text not null,
      primary key (plan_id, region_id)
    );

    -- Prices that were charged are never edited: a new price is a new row, effective from a
    -- clock hour (BILLING.md). Monthly amounts in micro-units.
    create table server_plan_prices (
      id uuid primary key default gen_random_uuid(),
      plan_id uuid not null references server_plans (id),
      base_monthly bigint not null check (base_monthly >= 0),
      markup_monthly bigint not null check (markup_monthly >= 0),
      backups_monthly bigint not null check (backups_monthly >= 0),
      currency char(3) not null,
      effective_from timestamptz not null check (effective_from = date_trunc('hour', effective_from)),
      created_by uuid references users (id),
      created_at timestamptz not null default now(),
      unique (plan_id, effective_from)
    );

    create table server_images (
      provider_id uuid not null references cloud_providers (id) on delete cascade,
      image_id text not null,
      label text not null check (length(label) between 1 and 80),
      display_order integer not null default 0,
      active boolean not null default true,
      primary key (provider_id, image_id)
    );

    -- Deploy scripts (Linode StackScripts) customers may pick, with the fields they may fill.
    create table server_apps (
      id uuid primary key default gen_random_uuid(),
      provider_id uuid not null references cloud_providers (id),
      script_id text not null,
      label text not null check (length(label) between 1 and 80),
      description text not null default '',
      -- names of the script's user-defined fields a customer may fill; the others get their defaults
      fields text[] not null default '{}',
      display_order integer not null default 0,
      active boolean not null default true,
      created_at timestamptz not null default now(),
      unique (provider_id, script_id)
    );

    create table ssh_keys (
      id uuid primary key default gen_random_uuid(),
      organization_id uuid not null references organizations (id) on delete cascade,
      name text not null check (length(name) between 1 and 100),
      public_key text not null,
      -- SHA256:base64 of the key blob, as ssh-keygen -l prints it
      fingerprint text not null,
      created_by uuid references users (id) on delete set null,
      created_at timestamptz not null default now(),
      unique (organization_id, fingerprint)
    );

    create table servers (
      id uuid primary key default gen_random_uuid(),
      organization_id uuid not null references organizations (id),
      provider_id uuid not null references cloud_providers (id),
      plan_id uuid not null references server_plans (id),
      -- the provider's id once it answered; null while the create is in flight or failed
      provider_instance_id text,
      -- sent with the create: a create that timed out is found by it
      create_tag text not null unique,
      label text not null,
      region text not null,
      image text not null,
      app_id uuid references server_apps (id),
      -- see src/domain/servers/status.ts
      status text not null check (status in ('provisioning', 'booting', 'running', 'shutting_down', 'offline',
        'rebooting', 'rebuilding', 'resizing', 'deleting', 'deleted', 'suspended', 'failed')),
      provider_status text,
      backups_enabled boolean not null default false,
      private_ip boolean not null default false,
      ipv4 text[] not null default '{}',
      ipv6 text,
      -- set by dunning: customers cannot boot it; it was running at suspension when resume_running
      suspended_at timestamptz,
      resume_running boolean not null default false,
      failure_reason text,
      created_by uuid references users (id) on delete set null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      synced_at timestamptz,
      deleted_at timestamptz,
      deleted_reason text
    );
    create unique index servers_label_per_org on servers (organization_id, lower(label)) where deleted_at is null;
    create unique index servers_provider_instance on servers (provider_id, provider_instance_id) where provider_instance_id is not null;
    create index servers_org_idx on servers (organization_id, created_at desc);
    create index servers_status_idx on servers (status) where deleted_at is null;

    -- What a server is billed as, from a clock hour on (create, resize, backups on/off).
    create table server_billing_periods (
      server_id uuid not null references servers (id),
      effective_from timestamptz not null check (effective_from = date_trunc('hour', effective_from)),
      plan_id uuid not null references server_plans (id),
      backups boolean not null,
      primary key (server_id, effective_from)
    );

    -- One charge per server and started clock hour, ever (BILLING.md). Zero charges (the
    -- monthly cap reached) are recorded too, without a ledger posting.
    create table server_charges (
      server_id uuid not null references servers (id),
      hour_start timestamptz not null check (hour_start = date_trunc('hour', hour_start)),
      organization_id uuid not null references organizations (id),
      amount bigint not null check (amount >= 0),
      -- the hourly rate in force at hour_start, before the monthly cap
      rate bigint not null check (rate >= 0),
      currency char(3) not null,
      ledger_transaction_id uuid references ledger_transactions (id),
      created_at timestamptz not null default now(),
      primary key (server_id, hour_start)
    );
    create index server_charges_org_idx on server_charges (organization_id, hour_start);

    -- The unused minutes of a deleted server's last hour, given back once.
    create table server_charge_refunds (
      server_id uuid not null,
      hour_start timestamptz not null,
      amount bigint not null check (amount > 0),
      minutes integer not null check (minutes between 1 and 60),
      ledger_transaction_id uuid not null references ledger_transactions (id),
      created_at timestamptz not null default now(),
      primary key (server_id, hour_start),
      foreign key (server_id, hour_start) references server_charges (server_id, hour_start)
    );

    -- What was asked of a server (the API's "actions"): each has its own audit entry too.
    create table server_actions (
      id uuid primary key default gen_random_uuid(),
      server_id uuid not null references servers (id),
      organization_id uuid not null references organizations (id),
      type text not null check (type in ('create', 'boot', 'shutdown', 'reboot', 'rebuild', 'resize', 'reset_password',
        'rename', 'enable_backups', 'cancel_backups', 'schedule_backups', 'snapshot', 'restore', 'set_rdns',
        'attach_firewall', 'detach_firewall', 'suspend', 'unsuspend', 'delete')),
      status text not null check (status in ('pending', 'running', 'completed', 'failed')),
      details jsonb not null default '{}',
      error text,
      requested_by uuid references users (id) on delete set null,
      created_at timestamptz not null default now(),
      finished_at timestamptz
    );
    create index server_actions_server_idx on server_actions (server_id, created_at desc);

    create table firewalls (
      id uuid primary key default gen_random_uuid(),
      organization_id uuid not null references organizations (id),
      provider_id uuid not null references cloud_providers (id),
      provider_firewall_id text,
      label text not null check (length(label) between 3 and 32),
      rules jsonb not null,
      created_by uuid references users (id) on delete set null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      deleted_at timestamptz
    );
    create unique index firewalls_label_per_org on firewalls (organization_id, lower(label)) where deleted_at is null;

    create table firewall_servers (
      firewall_id uuid not null references firewalls (id),
      server_id uuid not null references servers (id),
      created_at timestamptz not null default now(),
      primary key (firewall_id, server_id)
    );

    -- Organization notes; server_id set for a server's notes.
    create table notes (
      id uuid primary key default gen_random_uuid(),
      organization_id uuid not null references organizations (id) on delete cascade,
      server_id uuid references servers (id),
      body text not null check (length(body) between 1 and 10000),
      created_by uuid references users (id) on delete set null,
      updated_by uuid references users (id) on delete set null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index notes_org_idx on notes (organization_id, server_id, created_at desc);

    -- What the reconciliation job found: instances the provider has that we do not know, and
    -- servers of ours the provider no longer has. Resolved findings keep their history.
    create table server_drift (
      id uuid primary key default gen_random_uuid(),
      provider_id uuid not null references cloud_providers (id),
      kind text not null check (kind in ('unknown_at_provider', 'missing_at_provider')),
      provider_instance_id text not null,
      server_id uuid references servers (id),
      label text,
      detected_at timestamptz not null default now(),
      resolved_at timestamptz
    );
    create unique index server_drift_open on server_drift (provider_id, provider_instance_id) where resolved_at is null;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop table server_drift, notes, server_actions, firewall_servers, firewalls, server_charge_refunds, server_charges,
      server_billing_periods, servers, ssh_keys, server_apps, server_images, server_plan_prices,
      server_plan_regions, server_plans, server_categories, server_regions, cloud_catalogue, cloud_providers;
  `.execute(db);
}
