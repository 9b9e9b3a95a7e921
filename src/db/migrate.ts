import { promises as fs } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Migrator, sql, type Migration, type MigrationProvider, type MigrationResultSet } from 'kysely';
import { CODE_EXT, MIGRATIONS_DIR } from '../paths.ts';
import type { Db } from './index.ts';

export { MIGRATIONS_DIR };

/**
 * Reads the migrations by file name order: `migrations/*.ts` from the sources, or the build's
 * `dist/migrations/*.js` when the compiled code runs (src/paths.ts). A migration's name is its
 * file name without the extension, the same in both. Our own `import()` (not Kysely's) so the
 * files load through tsx or vitest's TypeScript transform alike.
 */
const folderProvider: MigrationProvider = {
  async getMigrations() {
    const files = (await fs.readdir(MIGRATIONS_DIR)).filter((f) => /^\d/.test(f) && f.endsWith(CODE_EXT)).sort();
    const out: Record<string, Migration> = {};
    for (const file of files)
      out[file.slice(0, -CODE_EXT.length)] = (await import(
        pathToFileURL(path.join(MIGRATIONS_DIR, file)).href
      )) as Migration;
    return out;
  },
};

function migrator(db: Db): Migrator {
  return new Migrator({
    db,
    provider: folderProvider,
  });
}

/**
 * Applies pending migrations. Kysely's Postgres adapter holds an advisory lock for the
 * whole run, so several instances starting together migrate exactly once.
 */
export async function migrateToLatest(db: Db): Promise<MigrationResultSet> {
  const result = await migrator(db).migrateToLatest();
  if (result.error) throw result.error;
  return result;
}

/**
 * The migrations not yet applied, by name (all of them on an empty database): one query and a
 * directory listing, no lock and no module loaded, so a start with nothing to migrate and
 * /ready stay cheap.
 */
export async function pendingMigrations(db: Db): Promise<string[]> {
  const files = (await fs.readdir(MIGRATIONS_DIR)).filter((f) => /^\d/.test(f) && f.endsWith(CODE_EXT));
  const applied = await sql<{ name: string }>`select name from kysely_migration`.execute(db).then(
    (r) => new Set(r.rows.map((row) => row.name)),
    (err: Error & { code?: string }) => {
      // No migration table yet: nothing was ever applied.
      if (err.code === '42P01') return new Set<string>();
      throw err;
    },
  );
  return files
    .map((f) => f.slice(0, -CODE_EXT.length))
    .filter((name) => !applied.has(name))
    .sort();
}

/** True when every migration file has been applied (used by /ready). */
export async function migrationsCurrent(db: Db): Promise<boolean> {
  return (await pendingMigrations(db)).length === 0;
}
