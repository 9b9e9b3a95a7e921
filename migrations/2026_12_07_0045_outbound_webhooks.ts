import { type Kysely, sql } from 'kysely';

// Outbound webhooks (issue 18 items 3–4, src/domain/webhooks): an organization's endpoints
// (the signing secret sealed with the app's keyring: it must be read back to sign, so a hash
// would not do), the events that happened (once per organization and dedupe key, so a retried
// job or a replayed provider webhook emits once), one delivery per event and endpoint (the
// outbox: written in the event's transaction, worked by the webhooks.deliver job under a
// lease so two workers never send one attempt; not "webhook_deliveries", which is PayPal's
// inbound log), and every attempt made.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table webhook_endpoints (
      id uuid primary key default gen_random_uuid(),
      organization_id uuid not null references organizations(id) on delete cascade,
      url text not null,
      description text,
      events text[] not null,
      secret_ciphertext text not null,
      secret_hint text not null,
      status text not null default 'active' check (status in ('active', 'disabled')),
      disabled_reason text,
      disabled_at timestamptz,
      created_by uuid references users(id) on delete set null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      check ((status = 'disabled') = (disabled_at is not null))
    );
    create index webhook_endpoints_by_org on webhook_endpoints (organization_id, created_at);

    create table webhook_events (
      id uuid primary key default gen_random_uuid(),
      organization_id uuid not null references organizations(id) on delete cascade,
      type text not null,
      dedupe_key text not null,
      data jsonb not null,
      body text not null,
      created_at timestamptz not null default now(),
      unique (organization_id, dedupe_key)
    );
    -- The minute sweep deletes events a month old (src/domain/webhooks/deliver.ts purgeOldEvents).
    create index webhook_events_by_time on webhook_events (created_at);

    create table webhook_outbox (
      id uuid primary key default gen_random_uuid(),
      organization_id uuid not null references organizations(id) on delete cascade,
      event_id uuid not null references webhook_events(id) on delete cascade,
      endpoint_id uuid not null references webhook_endpoints(id) on delete cascade,
      status text not null default 'pending' check (status in ('pending', 'retrying', 'succeeded', 'failed')),
      attempts integer not null default 0 check (attempts >= 0),
      first_attempt_at timestamptz,
      next_attempt_at timestamptz,
      lease_token uuid,
      lease_until timestamptz,
      last_status_code integer,
      last_error text,
      last_duration_ms integer,
      created_at timestamptz not null default now(),
      delivered_at timestamptz,
      unique (event_id, endpoint_id),
      check ((status in ('pending', 'retrying')) = (next_attempt_at is not null))
    );
    create index webhook_outbox_by_endpoint on webhook_outbox (endpoint_id, created_at desc, id desc);
    create index webhook_outbox_due on webhook_outbox (next_attempt_at) where status in ('pending', 'retrying');

    create table webhook_attempts (
      id bigint generated always as identity primary key,
      delivery_id uuid not null references webhook_outbox(id) on delete cascade,
      attempted_at timestamptz not null,
      status_code integer,
      error text,
      duration_ms integer not null,
      manual boolean not null default false
    );
    create index webhook_attempts_by_delivery on webhook_attempts (delivery_id, attempted_at);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table webhook_attempts, webhook_outbox, webhook_events, webhook_endpoints`.execute(db);
}
