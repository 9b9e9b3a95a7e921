/**
 * Builds the browser assets and the manifest the layouts use to link them.
 *
 *   npm run build            (minified)
 *   import { buildAssets }   (from tests or a dev server)
 *
 * - static/vendor/: htmx, its SSE extension and Alpine's CSP build, copied from node_modules
 *   with the package version in the name (a new version is a new URL, so caches stay correct).
 * - static/build/app.<hash>.css: Tailwind 4 from static/css/app.css (+ tailwind.config.ts).
 * - static/build/js/<name>.<hash>.js: each static/js/*.js, content-hashed.
 * - static/build/js/<island>.<hash>.js: each island (ISLANDS: TypeScript under static/islands/,
 *   with the packages it imports and their CSS) bundled by esbuild into one file, listed as
 *   `js/<island>.js`; only the pages that use an island load it (the console: xterm.js).
 * - beside each of those files, `<file>.br` (brotli, quality 11) and `<file>.gz` (gzip -9), which
 *   the server sends to browsers that accept them (src/web/middleware/static-files.ts).
 * - static/build/manifest.json: logical name -> URL path, e.g.
 *   { "app.css": "/static/build/app.1a2b3c4d.css", "js/theme.js": "/static/build/js/theme.….js" }
 *
 * The manifest is written last (atomically) and stale files are removed only after it, so a
 * running server never reads a manifest that points at a missing file.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { ROOT_DIR } from '../src/paths.ts';

/** Logical asset name (`app.css`, `htmx.js`, `js/theme.js`) -> URL path under `/static/`. */
export type Manifest = Record<string, string>;

// The project root, also when this runs compiled from dist/scripts/ (src/paths.ts).
const ROOT = ROOT_DIR;
const STATIC = path.join(ROOT, 'static');
const BUILD = path.join(STATIC, 'build');
const VENDOR = path.join(STATIC, 'vendor');
const MANIFEST = path.join(BUILD, 'manifest.json');
const brotli = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);

/** Third-party scripts served as-is. `files` are tried in order; the first that exists wins. */
const VENDOR_SCRIPTS = [
  { key: 'htmx.js', pkg: 'htmx.org', name: 'htmx', files: ['dist/htmx.min.js', 'dist/htmx.js'] },
  {
    key: 'htmx-sse.js',
    pkg: 'htmx-ext-sse',
    name: 'htmx-ext-sse',
    files: ['dist/sse.min.js', 'dist/sse.js', 'sse.js'],
  },
  { key: 'alpine.js', pkg: '@alpinejs/csp', name: 'alpine-csp', files: ['dist/cdn.min.js', 'dist/cdn.js'] },
] as const;

/** Builds everything and returns the manifest it wrote. `minify` defaults to true. */
export async function buildAssets(opts: { minify?: boolean } = {}): Promise<Manifest> {
  const minify = opts.minify ?? true;
  await mkdir(path.join(BUILD, 'js'), { recursive: true });
  await mkdir(VENDOR, { recursive: true });

  const [vendor, css, js, islands] = await Promise.all([
    copyVendor(),
    buildCss(minify),
    hashScripts(),
    buildIslands(minify),
  ]);
  const manifest: Manifest = { ...vendor, ...css, ...js, ...islands };
  await Promise.all(Object.values(manifest).map((url) => precompress(fileOf(url))));

  const tmp = `${MANIFEST}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, `${JSON.stringify(manifest, null, 2)}\n`);
  await rename(tmp, MANIFEST);

  await removeStale(manifest);
  return manifest;
}

/** The manifest from the last build, or null if assets were never built. */
export async function readManifest(): Promise<Manifest | null> {
  let raw: string;
  try {
    raw = await readFile(MANIFEST, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const parsed: unknown = JSON.parse(raw);
  if (!parsed || typeof parsed !== 'object' || Object.values(parsed).some((v) => typeof v !== 'string')) {
    throw new Error(`${path.relative(ROOT, MANIFEST)} is not a map of names to paths; run \`npm run build\``);
  }
  return parsed as Manifest;
}

async function copyVendor(): Promise<Manifest> {
  const entries = await Promise.all(
    VENDOR_SCRIPTS.map(async ({ key, pkg, name, files }) => {
      const dir = path.join(ROOT, 'node_modules', pkg);
      const { version } = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')) as { version: string };
      const source = files.map((f) => path.join(dir, f)).find((f) => existsSync(f));
      if (!source) throw new Error(`${pkg}: none of ${files.join(', ')} found; is it installed?`);
      const file = `${name}-${version}${source.endsWith('.min.js') ? '.min.js' : '.js'}`;
      await copyFile(source, path.join(VENDOR, file));
      return [key, `/static/vendor/${file}`] as const;
    }),
  );
  return Object.fromEntries(entries);
}

async function buildCss(minify: boolean): Promise<Manifest> {
  const cli = path.join(ROOT, 'node_modules', '@tailwindcss', 'cli', 'dist', 'index.mjs');
  if (!existsSync(cli)) throw new Error('@tailwindcss/cli is not installed; run `npm ci`');
  const dir = await mkdtemp(path.join(tmpdir(), 'skypanel-css-'));
  try {
    const out = path.join(dir, 'app.css');
    const args = [cli, '-i', path.join(STATIC, 'css', 'app.css'), '-o', out, ...(minify ? ['--minify'] : [])];
    await run(process.execPath, args);
    const css = await readFile(out);
    const file = `app.${hash(css)}.css`;
    await writeFile(path.join(BUILD, file), css);
    return { 'app.css': `/static/build/${file}` };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function hashScripts(): Promise<Manifest> {
  const srcDir = path.join(STATIC, 'js');
  const names = existsSync(srcDir) ? (await readdir(srcDir)).filter((n) => n.endsWith('.js')).sort() : [];
  const entries = await Promise.all(
    names.map(async (name) => {
      const body = await readFile(path.join(srcDir, name));
      const file = `${name.slice(0, -'.js'.length)}.${hash(body)}.js`;
      await writeFile(path.join(BUILD, 'js', file), body);
      return [`js/${name}`, `/static/build/js/${file}`] as const;
    }),
  );
  return Object.fromEntries(entries);
}

/**
 * Islands: a page's larger behaviour written in TypeScript with npm packages, one entry each
 * (static/islands/<name>/index.ts), bundled into one self-contained script. A `.css` import is
 * its text (the island puts it in the page itself, under the CSP nonce).
 */
const ISLANDS = ['console'] as const;

async function buildIslands(minify: boolean): Promise<Manifest> {
  // A devDependency, loaded only to build (as scripts/build.mjs does).
  const esbuild = await import('esbuild');
  const entries = await Promise.all(
    ISLANDS.map(async (name) => {
      const result = await esbuild.build({
        absWorkingDir: ROOT,
        entryPoints: [path.join(STATIC, 'islands', name, 'index.ts')],
        bundle: true,
        write: false,
        format: 'iife',
        platform: 'browser',
        target: ['es2020'],
        minify,
        loader: { '.css': 'text' },
        plugins: [xtermUnderCsp],
        logLevel: 'warning',
      });
      const body = Buffer.from(result.outputFiles[0]!.contents);
      const file = `${name}.${hash(body)}.js`;
      await writeFile(path.join(BUILD, 'js', file), body);
      return [`js/${name}.js`, `/static/build/js/${file}`] as const;
    }),
  );
  return Object.fromEntries(entries);
}

/**
 * xterm.js 5.5 under our CSP (`style-src 'self' 'nonce-…'`, no 'unsafe-inline'). Its DOM
 * renderer (the default) styles the terminal in two ways the policy blocks: it appends two
 * `<style>` elements (colours, font, cell size) and sets 24-bit colours with
 * `setAttribute('style', …)`. The first gets the page's nonce (read from its own script tag:
 * the nonce is per response, so it cannot be baked in), the second goes through the CSSOM
 * (`element.style`), which CSP does not restrict. Nothing is loosened: no 'unsafe-inline',
 * no eval. Each replacement must match exactly, so an xterm upgrade that changes this code
 * fails the build instead of silently losing the terminal's styles.
 */
const XTERM_PATCHES = [
  { find: 'this._document.createElement("style")', replace: '__nonceStyle(this._document)', times: 2 },
  {
    find: '_addStyle(e,t){e.setAttribute("style",`${e.getAttribute("style")||""}${t};`)}',
    replace: '_addStyle(e,t){e.style.cssText+=`;${t};`}',
    times: 1,
  },
];
const NONCE_STYLE = `function __nonceStyle(d){var s=d.createElement("style"),n=d.querySelector("script[nonce]");if(n&&n.nonce)s.nonce=n.nonce;return s}\n`;

const xtermUnderCsp: import('esbuild').Plugin = {
  name: 'xterm-under-csp',
  setup(b) {
    b.onLoad({ filter: /[\\/]@xterm[\\/]xterm[\\/]lib[\\/]xterm\.js$/ }, async (args) => {
      let code = await readFile(args.path, 'utf8');
      for (const { find, replace, times } of XTERM_PATCHES) {
        const found = code.split(find).length - 1;
        if (found !== times)
          throw new Error(`@xterm/xterm: expected ${times} × ${find} to patch for the CSP, found ${found}`);
        code = code.replaceAll(find, replace);
      }
      return { contents: NONCE_STYLE + code, loader: 'js' };
    });
  },
};

/** Deletes earlier builds' hashed files and superseded vendor versions. */
async function removeStale(manifest: Manifest): Promise<void> {
  const keep = new Set(Object.values(manifest).flatMap((url) => COPIES.map((suffix) => fileOf(url) + suffix)));
  keep.add(MANIFEST);
  const vendorPrefixes = VENDOR_SCRIPTS.map((v) => `${v.name}-`);
  const candidates = [
    ...(await listFiles(BUILD)),
    ...(await listFiles(path.join(BUILD, 'js'))),
    // Only our own vendor files: anything else in static/vendor is left alone.
    ...(await listFiles(VENDOR)).filter((f) => vendorPrefixes.some((p) => path.basename(f).startsWith(p))),
  ];
  // `.tmp` files may be another build's manifest in flight; it renames its own.
  const stale = candidates.filter((f) => !keep.has(f) && !f.endsWith('.tmp'));
  await Promise.all(stale.map((f) => rm(f, { force: true })));
}

/** The file itself and its precompressed copies. Keep the suffixes in step with src/web/middleware/static-files.ts. */
const COPIES = ['', '.br', '.gz'];

function fileOf(url: string): string {
  return path.join(ROOT, ...url.split('/').filter(Boolean));
}

/** Writes `<file>.br` and `<file>.gz` at the highest levels: paid once here, not per request. */
async function precompress(file: string): Promise<void> {
  const body = await readFile(file);
  const [br, gz] = await Promise.all([
    brotli(body, {
      params: {
        [zlib.constants.BROTLI_PARAM_QUALITY]: zlib.constants.BROTLI_MAX_QUALITY,
        [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT,
        [zlib.constants.BROTLI_PARAM_SIZE_HINT]: body.length,
      },
    }),
    gzip(body, { level: zlib.constants.Z_BEST_COMPRESSION }),
  ]);
  await Promise.all([writeFile(`${file}.br`, br), writeFile(`${file}.gz`, gz)]);
}

async function listFiles(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const entries = await readdir(dir, { withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.join(dir, e.name));
}

function hash(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex').slice(0, 8);
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`tailwindcss exited with ${code}:\n${stderr.trim()}`)),
    );
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const started = Date.now();
  buildAssets().then(
    (manifest) => {
      for (const [name, url] of Object.entries(manifest)) console.log(`${name.padEnd(16)} ${url}`);
      console.log(`assets built in ${Date.now() - started} ms`);
    },
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exitCode = 1;
    },
  );
}
