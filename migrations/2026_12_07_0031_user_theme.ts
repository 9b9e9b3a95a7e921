import { type Kysely, sql } from 'kysely';

// Each person's colour theme (issue 16 item 7): one of the presets in
// src/domain/settings/themes.ts, or null to follow the platform default an admin sets on
// Platform settings. The list lives in code (a preset is CSS), so the column is checked there,
// with only a length bound here.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table users add column theme text check (char_length(theme) between 1 and 40)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table users drop column theme`.execute(db);
}
