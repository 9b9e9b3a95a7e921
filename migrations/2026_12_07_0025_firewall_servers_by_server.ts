import { type Kysely, sql } from 'kysely';

// A server's firewalls are looked up by server (the server page, the API's server firewalls);
// firewall_servers' primary key starts with the firewall, so each lookup read the whole table.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index firewall_servers_server_idx on firewall_servers (server_id);`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index firewall_servers_server_idx;`.execute(db);
}
