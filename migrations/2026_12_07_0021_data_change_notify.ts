import { type Kysely, sql } from 'kysely';

// Each process keeps small, often-read data in memory (src/lib/data-cache.ts): an
// organization's balance and arrears, a user's organizations, the dashboard's figures, the
// catalogue. These triggers tell every process, through NOTIFY on `skypanel_data` at commit,
// which scopes a write touched, whichever code (or person with psql) made it:
// - an organization's id, for its wallet, arrears case, servers, name, members and roles;
// - `user:<id>` for a user whose memberships changed;
// - `catalogue` for providers, regions, plans, prices, images, apps and platform settings.
// The payload is the scopes, comma-separated, or '*' when there are more than 100 (the hourly
// billing run, which moves every wallet at once).
const ORGANIZATION_TABLES = [
  ['wallets', 'organization_id'],
  ['dunning_cases', 'organization_id'],
  ['servers', 'organization_id'],
  ['organizations', 'id'],
  ['organization_members', 'organization_id'],
  ['roles', 'organization_id'],
] as const;

const CATALOGUE_TABLES = [
  'cloud_providers',
  'cloud_catalogue',
  'server_regions',
  'server_plans',
  'server_plan_prices',
  'server_plan_regions',
  'server_categories',
  'server_images',
  'server_apps',
  'platform_settings',
] as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create function data_changed(scopes text[]) returns void language plpgsql as $$
    begin
      if scopes is null or cardinality(scopes) = 0 then return; end if;
      perform pg_notify('skypanel_data', case when cardinality(scopes) > 100 then '*' else array_to_string(scopes, ',') end);
    end $$;

    -- TG_ARGV[0]: the column naming the organization. Rows before and after the change both count
    -- (a row may move between organizations).
    create function data_changed_rows() returns trigger language plpgsql as $$
    declare scopes text[];
    begin
      if TG_OP = 'INSERT' then
        execute format('select array(select distinct %I::text from new_rows where %I is not null)', TG_ARGV[0], TG_ARGV[0]) into scopes;
      elsif TG_OP = 'DELETE' then
        execute format('select array(select distinct %I::text from old_rows where %I is not null)', TG_ARGV[0], TG_ARGV[0]) into scopes;
      else
        execute format('select array(select %I::text from old_rows where %I is not null union select %I::text from new_rows where %I is not null)',
          TG_ARGV[0], TG_ARGV[0], TG_ARGV[0], TG_ARGV[0]) into scopes;
      end if;
      perform data_changed(scopes);
      return null;
    end $$;

    -- Memberships also name their users: the organizations a user sees changed.
    create function data_changed_members() returns trigger language plpgsql as $$
    declare scopes text[];
    begin
      if TG_OP = 'INSERT' then
        scopes := array(select distinct s from new_rows, unnest(array[organization_id::text, 'user:' || user_id]) s);
      elsif TG_OP = 'DELETE' then
        scopes := array(select distinct s from old_rows, unnest(array[organization_id::text, 'user:' || user_id]) s);
      else
        scopes := array(select s from old_rows, unnest(array[organization_id::text, 'user:' || user_id]) s
                        union select s from new_rows, unnest(array[organization_id::text, 'user:' || user_id]) s);
      end if;
      perform data_changed(scopes);
      return null;
    end $$;

    create function data_changed_catalogue() returns trigger language plpgsql as $$
    begin
      perform pg_notify('skypanel_data', 'catalogue');
      return null;
    end $$;
  `.execute(db);

  for (const [table, column] of ORGANIZATION_TABLES) {
    const fn =
      table === 'organization_members' ? sql.raw('data_changed_members()') : sql.raw(`data_changed_rows('${column}')`);
    const t = sql.table(table);
    await sql`
      create trigger ${sql.raw(`${table}_inserted_data`)} after insert on ${t}
        referencing new table as new_rows for each statement execute function ${fn};
      create trigger ${sql.raw(`${table}_updated_data`)} after update on ${t}
        referencing old table as old_rows new table as new_rows for each statement execute function ${fn};
      create trigger ${sql.raw(`${table}_deleted_data`)} after delete on ${t}
        referencing old table as old_rows for each statement execute function ${fn};
    `.execute(db);
  }
  for (const table of CATALOGUE_TABLES) {
    await sql`
      create trigger ${sql.raw(`${table}_changed_data`)} after insert or update or delete or truncate on ${sql.table(table)}
        for each statement execute function data_changed_catalogue();
    `.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const [table] of ORGANIZATION_TABLES)
    for (const op of ['inserted', 'updated', 'deleted'])
      await sql`drop trigger ${sql.raw(`${table}_${op}_data`)} on ${sql.table(table)}`.execute(db);
  for (const table of CATALOGUE_TABLES)
    await sql`drop trigger ${sql.raw(`${table}_changed_data`)} on ${sql.table(table)}`.execute(db);
  await sql`
    drop function data_changed_catalogue();
    drop function data_changed_members();
    drop function data_changed_rows();
    drop function data_changed(text[]);
  `.execute(db);
}
