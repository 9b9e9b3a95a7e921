/**
 * `npm start` and `npm run migrate`: runs the compiled app (or the migrations), building it
 * first when dist/ is missing or older than its sources (scripts/build.mjs), so that
 * `npm ci && npm start` on a fresh clone just works.
 *
 *   node scripts/start.mjs            the app (dist/src/main.js)
 *   node scripts/start.mjs migrate    pending migrations, then exit (dist/scripts/migrate.js)
 *
 * The build runs in a child process (its tools stay out of the app's memory); the app then
 * runs in this process. Containers run `node dist/src/main.js` directly.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { isStale, ROOT } from './build.mjs';

const entries = { main: 'dist/src/main.js', migrate: 'dist/scripts/migrate.js' };
const name = process.argv[2] ?? 'main';
const entry = entries[name];
if (!entry) {
  console.error(`usage: node scripts/start.mjs [${Object.keys(entries).join('|')}]`);
  process.exit(2);
}

const reason = isStale();
if (reason) {
  console.log(`building first (${reason}): npm run build`);
  const built = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'build.mjs')], { stdio: 'inherit' });
  if (built.status !== 0) {
    console.error(
      built.error?.message ??
        'the build failed; `npm ci` installs what it needs (devDependencies included), then try again',
    );
    process.exit(1);
  }
}
await import(pathToFileURL(path.join(ROOT, entry)).href);
