import { type Kysely, sql } from 'kysely';

// Security screens (issue 16 item 8; src/domain/security): the IP rules and per-user rate-limit
// overrides of migration 0002 gain an expiry and who made them, and an override may now be a
// multiplier of the user's tier or an exemption instead of an explicit limit.
//   ip_rules               + expires_at (null: until deleted; an expired rule never applies),
//                            created_by.
//   rate_limit_overrides   max_requests (explicit limit per window) becomes one of three kinds:
//                            max_requests | multiplier (× the tier's limit) | exempt; + expires_at,
//                            created_by.
// Both are read per process from the data cache under the `security` scope: their triggers
// NOTIFY `skypanel_data` with 'security' at commit (like migration 0021), so a rule added in one
// process applies in every process at once; expiry is checked at each request with the clock.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table ip_rules
      add column expires_at timestamptz,
      add column created_by uuid references users (id) on delete set null;

    alter table rate_limit_overrides
      alter column max_requests drop not null,
      add column multiplier numeric(8, 2) check (multiplier > 0 and multiplier <= 1000),
      add column exempt boolean not null default false,
      add column expires_at timestamptz,
      add column created_by uuid references users (id) on delete set null,
      add constraint rate_limit_overrides_one_kind check (num_nonnulls(max_requests, multiplier) + exempt::int = 1);

    create function data_changed_security() returns trigger language plpgsql as $$
    begin
      perform pg_notify('skypanel_data', 'security');
      return null;
    end $$;
    create trigger ip_rules_changed_data after insert or update or delete or truncate on ip_rules
      for each statement execute function data_changed_security();
    create trigger rate_limit_overrides_changed_data after insert or update or delete or truncate on rate_limit_overrides
      for each statement execute function data_changed_security();
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop trigger rate_limit_overrides_changed_data on rate_limit_overrides;
    drop trigger ip_rules_changed_data on ip_rules;
    drop function data_changed_security();
    delete from rate_limit_overrides where max_requests is null;
    alter table rate_limit_overrides
      drop constraint rate_limit_overrides_one_kind,
      drop column created_by,
      drop column expires_at,
      drop column exempt,
      drop column multiplier,
      alter column max_requests set not null;
    alter table ip_rules drop column created_by, drop column expires_at;
  `.execute(db);
}
