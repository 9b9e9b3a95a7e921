import { type Kysely, sql } from 'kysely';

// Managed web hosting through Enhance (issue 17 item 2; src/domain/hosting): the connection and
// the plan catalogue staff sell from.
//   hosting_integration  one row (id = 1): enabled (the hosting store exists only while on), the
//                        panel's API URL, master organization id, default server group id, the
//                        access token sealed with the install's keyring (src/lib/crypto.ts; never
//                        read back to a page), the last health check (time, ok/error, message),
//                        and `demo` (answered by the emulator this process serves; `npm start`
//                        with the emulators on).
//   hosting_plans        the panel's plans, synced by their Enhance id (unique per master
//                        organization: plan ids are small integers per panel, so the demo
//                        panel's plan 1 is not a real panel's plan 1), with what staff set
//                        locally: name, description, monthly retail price (micro-units; null =
//                        not priced, never sellable), active, position. A plan the panel no
//                        longer lists is deactivated and stamped upstream_missing_at; sync never
//                        deletes a plan (subscriptions will reference it). Staff may delete only
//                        a plan that was never sold (later sessions add the subscriptions check).
// Both are catalogue data: a change NOTIFYs `skypanel_data` with 'catalogue' (migration 0021).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table hosting_integration (
      id smallint primary key default 1 check (id = 1),
      enabled boolean not null default false,
      demo boolean not null default false,
      api_url text,
      master_org_id uuid,
      default_server_group_id uuid,
      token_ciphertext text,
      health text not null default 'unknown' check (health in ('unknown', 'ok', 'error')),
      health_message text,
      checked_at timestamptz,
      plans_synced_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      check (not enabled or demo or (api_url is not null and master_org_id is not null and token_ciphertext is not null))
    );

    create table hosting_plans (
      id uuid primary key default gen_random_uuid(),
      master_org_id uuid not null,
      enhance_plan_id integer not null,
      upstream_name text not null,
      name text not null,
      description text not null default '',
      monthly_price bigint check (monthly_price >= 0),
      resources jsonb not null default '[]',
      allowances jsonb not null default '[]',
      selections jsonb not null default '[]',
      plan_type text not null default 'shared',
      php_versions text[] not null default '{}',
      default_php_version text,
      allow_server_group_selection boolean not null default false,
      active boolean not null default false,
      upstream_missing_at timestamptz,
      position integer not null default 0 check (position between 0 and 10000),
      synced_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      check (not active or (monthly_price is not null and upstream_missing_at is null)),
      unique (master_org_id, enhance_plan_id)
    );
    create index hosting_plans_sellable on hosting_plans (position, name) where active;

    create trigger hosting_integration_changed_data after insert or update or delete or truncate on hosting_integration
      for each statement execute function data_changed_catalogue();
    create trigger hosting_plans_changed_data after insert or update or delete or truncate on hosting_plans
      for each statement execute function data_changed_catalogue();
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table hosting_plans, hosting_integration`.execute(db);
}
