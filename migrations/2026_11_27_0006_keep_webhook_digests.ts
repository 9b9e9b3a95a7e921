import { type Kysely, sql } from 'kysely';

// Frozen history: anyone can POST to a webhook endpoint, so a delivery that was not verified
// keeps only its sha256 and the first 4096 characters of its body, never the whole body; a
// verified one keeps its event as before. Old rows are purged by received_at.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table webhook_deliveries
      add column body_sha256 text,
      add column body_excerpt text,
      alter column payload drop not null;
    update webhook_deliveries set body_sha256 = encode(sha256(convert_to(payload::text, 'UTF8')), 'hex');
    update webhook_deliveries set body_excerpt = left(payload::text, 4096), payload = null where not verified;
    alter table webhook_deliveries
      alter column body_sha256 set not null,
      add constraint webhook_deliveries_body_sha256_check check (body_sha256 ~ '^[0-9a-f]{64}$'),
      -- unverified: the digest and an excerpt only; verified: the whole event
      add constraint webhook_deliveries_kept_check check (
        case when verified then payload is not null and body_excerpt is null
             else payload is null and body_excerpt is not null and length(body_excerpt) <= 4096 end);
    create index webhook_deliveries_received_idx on webhook_deliveries (received_at);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop index webhook_deliveries_received_idx;
    alter table webhook_deliveries drop constraint webhook_deliveries_kept_check, drop constraint webhook_deliveries_body_sha256_check;
    update webhook_deliveries set payload = to_jsonb(body_excerpt) where payload is null;
    alter table webhook_deliveries drop column body_sha256, drop column body_excerpt, alter column payload set not null;
  `.execute(db);
}
