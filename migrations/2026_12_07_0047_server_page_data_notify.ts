import { type Kysely, sql } from 'kysely';

// A server's page (src/domain/servers/page.ts) is kept per process in the data cache and
// forgotten when its organization's data changes. Besides the server row and the catalogue
// (migration 0021), it shows the server's newest actions, what it cost this month (charges less
// refunds) and whether any firewall or note is about it. Their writes now name the
// organization too: directly where the row carries it, through the server where it does not.
const WITH_ORGANIZATION = ['server_actions', 'server_charges', 'notes'] as const;
const THROUGH_SERVER = ['server_charge_refunds', 'firewall_servers'] as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- The organizations of the servers the changed rows name (server_id), before and after.
    create function data_changed_server_rows() returns trigger language plpgsql as $$
    declare scopes text[];
    begin
      if TG_OP = 'INSERT' then
        select array(select distinct s.organization_id::text from new_rows r join servers s on s.id = r.server_id) into scopes;
      elsif TG_OP = 'DELETE' then
        select array(select distinct s.organization_id::text from old_rows r join servers s on s.id = r.server_id) into scopes;
      else
        select array(select s.organization_id::text from old_rows r join servers s on s.id = r.server_id
                     union select s.organization_id::text from new_rows r join servers s on s.id = r.server_id) into scopes;
      end if;
      perform data_changed(scopes);
      return null;
    end $$;
  `.execute(db);
  for (const table of [...WITH_ORGANIZATION, ...THROUGH_SERVER]) {
    const t = sql.table(table);
    const fn = sql.raw(
      (THROUGH_SERVER as readonly string[]).includes(table)
        ? 'data_changed_server_rows()'
        : "data_changed_rows('organization_id')",
    );
    await sql`
      create trigger ${sql.raw(`${table}_inserted_data`)} after insert on ${t}
        referencing new table as new_rows for each statement execute function ${fn};
      create trigger ${sql.raw(`${table}_updated_data`)} after update on ${t}
        referencing old table as old_rows new table as new_rows for each statement execute function ${fn};
      create trigger ${sql.raw(`${table}_deleted_data`)} after delete on ${t}
        referencing old table as old_rows for each statement execute function ${fn};
    `.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [...WITH_ORGANIZATION, ...THROUGH_SERVER])
    for (const op of ['inserted', 'updated', 'deleted'])
      await sql`drop trigger ${sql.raw(`${table}_${op}_data`)} on ${sql.table(table)}`.execute(db);
  await sql`drop function data_changed_server_rows()`.execute(db);
}
