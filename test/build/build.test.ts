import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import * as source from '../../src/paths.ts';
import {
  ENHANCE_EMULATOR_MASTER_ORG_ID,
  ENHANCE_EMULATOR_PATH,
  ENHANCE_EMULATOR_TOKEN,
} from '../../src/providers/enhance/index.ts';
import { withDatabase } from '../global-setup.ts';

// `npm run build` compiles the code into dist/ (scripts/build.mjs). Here it compiles into a
// scratch copy of the project (views, static and node_modules linked from this one), so a
// developer's own dist/ is never touched, and the compiled code runs from there with plain Node.

const run = promisify(execFile);
const ROOT = source.ROOT_DIR;
const scratch = path.join(ROOT, '.tmp', `build-test-${process.pid}`);
const dist = path.join(scratch, 'dist');
const children: ChildProcess[] = [];

beforeAll(async () => {
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  for (const dir of ['views', 'static', 'node_modules']) symlinkSync(path.join(ROOT, dir), path.join(scratch, dir));
  copyFileSync(path.join(ROOT, 'package.json'), path.join(scratch, 'package.json'));
  await run(process.execPath, ['scripts/build.mjs', '--code-only', `--out=${dist}`], { cwd: ROOT });
}, 120_000);

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(scratch, { recursive: true, force: true });
});

/** Runs `code` (an ES module) with plain Node, no TypeScript loader, and returns what it printed. */
async function node(code: string): Promise<string> {
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', code], { cwd: scratch });
  return stdout.trim();
}

const sourceFiles = (dir: string, ext: string) =>
  readdirSync(path.join(ROOT, dir))
    .filter((f) => f.endsWith(ext))
    .map((f) => f.slice(0, -ext.length))
    .sort();

describe('the build', { timeout: 60_000 }, () => {
  it('mirrors src/, jobs/, migrations/ and the scripts as JavaScript, with the files the code reads', () => {
    for (const file of [
      'src/main.js',
      'src/paths.js',
      'jobs/index.js',
      'scripts/migrate.js',
      'scripts/build-assets.js',
      'src/domain/accounts/common-passwords.txt',
    ])
      expect(existsSync(path.join(dist, file)), file).toBe(true);
    const compiled = readdirSync(path.join(dist, 'migrations'))
      .filter((f) => f.endsWith('.js'))
      .map((f) => f.slice(0, -'.js'.length))
      .sort();
    expect(compiled).toEqual(sourceFiles('migrations', '.ts'));
  });

  it('writes the bundle in ASCII, comments included, so V8 keeps its source as one-byte text', () => {
    const bundle = readFileSync(path.join(dist, 'src', 'main.js'), 'utf8');
    // The sources do have non-ASCII text (arrows and dashes in comments, "…" in strings): escaped.
    expect(bundle).toMatch(/\\u(2192|2014|2026)/);
    expect(bundle.match(/[^\x00-\x7f]/g) ?? []).toEqual([]);
  });

  it('runs with plain Node: paths point at the project, not at dist/, and the compiled migrations', async () => {
    const out = JSON.parse(
      await node(`
        const p = await import('./dist/src/paths.js');
        console.log(JSON.stringify({ ...p }));`),
    ) as typeof source;
    expect(out.COMPILED).toBe(true);
    expect(source.COMPILED).toBe(false);
    expect(out.ROOT_DIR).toBe(scratch);
    expect(out.VIEWS_DIR).toBe(path.join(scratch, 'views'));
    expect(out.STATIC_DIR).toBe(path.join(scratch, 'static'));
    expect(out.MIGRATIONS_DIR).toBe(path.join(dist, 'migrations'));
    // From the sources, the same places in this project.
    expect(source.VIEWS_DIR).toBe(path.join(ROOT, 'views'));
    expect(source.MIGRATIONS_DIR).toBe(path.join(ROOT, 'migrations'));
  });

  it('compiled modules read their templates and data: an email renders, the password list loads', async () => {
    const out = JSON.parse(
      await node(`
        const { renderEmail } = await import('./dist/src/mail/templates.js');
        const { isCommonPassword } = await import('./dist/src/domain/accounts/passwords.js');
        const email = await renderEmail('password_reset', 'SkyPanel', { name: 'Ada', resetUrl: 'https://x.test/r/1', expiresMinutes: 30 });
        console.log(JSON.stringify({ email, common: isCommonPassword('password'), rare: isCommonPassword('plum-violet-anvil-42') }));`),
    ) as { email: { html: string; text: string }; common: boolean; rare: boolean };
    expect(out.email.text).toContain('https://x.test/r/1');
    expect(out.email.html).toContain('Ada');
    expect(out.common).toBe(true);
    expect(out.rare).toBe(false);
  });

  it('bundles the packages the app loads at start, and leaves out what it loads only when needed', () => {
    const files = readdirSync(path.join(dist, 'src')).filter((f) => f.endsWith('.js'));
    const staticImports = (file: string) =>
      [...readFileSync(path.join(dist, 'src', file), 'utf8').matchAll(/^import\b[^;]*?from ?"([^"]+)"/gm)].map(
        (m) => m[1]!,
      );
    // What main.js loads at start: itself and the shared chunks it imports.
    const atStart = new Set(['main.js']);
    for (const file of atStart)
      for (const spec of staticImports(file)) if (spec.startsWith('./')) atStart.add(spec.slice(2));
    const packages = [...atStart].flatMap(staticImports).filter((s) => !s.startsWith('./') && !s.startsWith('node:'));
    expect(new Set(packages)).toEqual(new Set(['@node-rs/bcrypt']));
    // The demo emulators are files of their own, loaded when used, importing ssh2 there.
    const lazy = files.filter((f) => !atStart.has(f) && staticImports(f).includes('ssh2'));
    expect(lazy.length).toBe(1);
    const main = readFileSync(path.join(dist, 'src', 'main.js'), 'utf8');
    expect(main).toMatch(new RegExp(`import\\("\\./${lazy[0]!.replace('.', '\\.')}"\\)`));
  });

  it("bundles zod's error messages in English only, not its forty languages", () => {
    const main = readFileSync(path.join(dist, 'src', 'main.js'), 'utf8');
    // English, the messages zod uses by default (schemas.js imports them on its own).
    expect(main).toContain('Too small: expected');
    // German and French, two of the locales that the namespace re-export would bring in.
    expect(main).not.toContain('erwartet');
    expect(main).not.toContain('attendu');
  });

  it('the compiled app migrates an empty database and answers /ready', async () => {
    await withCompiledApp({ NODE_ENV: 'production' }, async ({ origin, url }) => {
      const login = await fetch(`${origin}/login`);
      expect(login.status).toBe(200);
      const db = new pg.Client(url);
      await db.connect();
      const { rows } = await db.query<{ name: string }>('select name from kysely_migration order by name');
      await db.end();
      expect(rows.map((r) => r.name)).toEqual(sourceFiles('migrations', '.ts'));
    });
  });

  it('the compiled app in demo mode starts its emulators, seeds the demo catalogue and hosting, and serves them', async () => {
    await withCompiledApp({ NODE_ENV: 'development' }, async ({ origin, url, output }) => {
      const db = new pg.Client(url);
      await db.connect();
      try {
        // Seeded through the Linode emulator (its own server) and the Enhance emulator (mounted in the app).
        const providers = await db.query<{ emulated: boolean }>('select emulated from cloud_providers');
        expect(providers.rows, output()).toEqual([{ emulated: true }]);
        const plans = await db.query<{ n: number }>('select count(*)::int as n from server_plans');
        expect(plans.rows[0]!.n).toBeGreaterThan(0);
        const hosting = await db.query<{ health: string }>('select health from hosting_integration');
        expect(hosting.rows, output()).toEqual([{ health: 'ok' }]);
      } finally {
        await db.end();
      }
      // The mounted Enhance emulator answers through the app's router, with its own authentication.
      const org = `${origin}${ENHANCE_EMULATOR_PATH}/api/orgs/${ENHANCE_EMULATOR_MASTER_ORG_ID}`;
      const signedIn = await fetch(org, { headers: { authorization: `Bearer ${ENHANCE_EMULATOR_TOKEN}` } });
      expect(signedIn.status).toBe(200);
      expect(((await signedIn.json()) as { id: string }).id).toBe(ENHANCE_EMULATOR_MASTER_ORG_ID);
      expect((await fetch(org)).status).toBe(401);
      const pricing = await fetch(`${origin}/pricing`);
      expect(pricing.status).toBe(200);
    });
  });
});

/**
 * Runs the compiled app (`node dist/src/main.js`) with `env` on a new, empty database until
 * `/ready` answers 200, calls `use`, then stops it with SIGTERM and expects a clean exit.
 */
async function withCompiledApp(
  env: Record<string, string>,
  use: (app: { origin: string; url: string; output: () => string }) => Promise<void>,
): Promise<void> {
  const adminUrl = inject('pgAdminUrl');
  const name = `build_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client(adminUrl);
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = withDatabase(adminUrl, name);
  const port = await freePort();
  const child = spawn(process.execPath, ['dist/src/main.js'], {
    cwd: scratch,
    env: {
      PATH: process.env.PATH ?? '',
      DATABASE_URL: url,
      ENCRYPTION_KEY: randomBytes(32).toString('hex'),
      MAIL_TRANSPORT: 'outbox',
      BCRYPT_COST: '4',
      HOST: '127.0.0.1',
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const origin = `http://127.0.0.1:${port}`;
  try {
    let ready: Response | null = null;
    for (let i = 0; i < 400 && child.exitCode === null; i++) {
      ready = await fetch(`${origin}/ready`).catch(() => null);
      if (ready?.status === 200) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(ready?.status, output).toBe(200);
    await use({ origin, url, output: () => output });
    child.kill('SIGTERM');
    expect(await exited, output).toBe(0);
  } finally {
    child.kill('SIGKILL');
    await exited;
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}
