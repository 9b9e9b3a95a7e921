import { loadConfig } from '../src/config.ts';
import { createDb } from '../src/db/index.ts';
import { startEmbeddedPostgres } from '../src/db/embedded.ts';
import { migrateToLatest } from '../src/db/migrate.ts';

/** `npm run migrate`: applies pending migrations to DATABASE_URL (or the embedded database) and exits. */
const config = loadConfig();
const embedded = config.DATABASE_URL
  ? null
  : await startEmbeddedPostgres(config.EMBEDDED_PG_DIR, config.EMBEDDED_PG_PORT);
const db = createDb(config.DATABASE_URL ?? embedded!.url, 2);
try {
  const result = await migrateToLatest(db);
  const applied = result.results ?? [];
  console.log(
    applied.length ? applied.map((m) => `${m.status}: ${m.migrationName}`).join('\n') : 'Database is up to date.',
  );
} finally {
  await db.destroy();
  await embedded?.stop();
}
