import { type Kysely, sql } from 'kysely';

// Web hosting's Let's Encrypt requests (issue 17 item 4, src/domain/hosting/ssl.ts): the panel
// issues a certificate asynchronously and tells nobody (no webhooks), so a request is
// remembered here until a read of the domain's certificate finds one issued after it (the row
// goes) or the wait runs out (shown as failed until the customer asks again). One per domain of
// a service; asking again replaces it. No certificate or key is ever kept here.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table hosting_ssl_requests (
      service_id uuid not null references hosting_services(id),
      domain_id uuid not null,
      domain text not null,
      requested_at timestamptz not null,
      requested_by uuid references users(id) on delete set null,
      primary key (service_id, domain_id)
    );
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table hosting_ssl_requests`.execute(db);
}
