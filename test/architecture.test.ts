import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The dependency direction (CONTRIBUTING.md), checked on the source: each rule lists the
 * files that break it, so a failure names the file and the import or query to move.
 *
 *   web, jobs ──▶ domain ──▶ db, lib, providers, queue        migrations ──▶ kysely only
 */

const ROOT = path.resolve(import.meta.dirname, '..');

interface Source {
  /** Repository-relative, with forward slashes: `src/domain/ledger/post.ts`. */
  file: string;
  /** The text with comments taken out, so an example in a doc comment is not an import. */
  code: string;
  /** Every module it imports: bare specifiers as written, relative ones resolved to repository paths. */
  imports: string[];
}

/** Module specifiers of static imports and re-exports (type-only included), side-effect imports and dynamic import() calls. */
function importSpecifiers(code: string): string[] {
  const found: string[] = [];
  const patterns = [
    /^\s*(?:import|export)\s(?:[^'";]*?\sfrom\s*)?['"]([^'"]+)['"]/gm,
    /^\s*import\s*['"]([^'"]+)['"]/gm,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const pattern of patterns) for (const m of code.matchAll(pattern)) found.push(m[1]!);
  return [...new Set(found)];
}

/** The text without comments; strings (`'/settings/*'`, `'http://…'`) and escaped characters in regular expressions are kept as they are. */
function withoutComments(text: string): string {
  let out = '';
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    const next = text[i + 1] ?? '';
    if (ch === '\\') {
      out += ch + next;
      i++;
    } else if (quote) {
      out += ch;
      // A quoted string ends at its quote, or at the end of the line; a template literal only at its backtick.
      if (ch === quote || (ch === '\n' && quote !== '`')) quote = null;
    } else if (ch === '/' && next === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 1;
    } else if (ch === '/' && next === '/') {
      const end = text.indexOf('\n', i);
      i = end < 0 ? text.length : end - 1;
    } else {
      if (ch === "'" || ch === '"' || ch === '`') quote = ch;
      out += ch;
    }
  }
  return out;
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory()) out.push(...filesUnder(rel));
    else if (/\.(ts|mts)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(rel);
  }
  return out;
}

function read(file: string): Source {
  const code = withoutComments(readFileSync(path.join(ROOT, file), 'utf8'));
  const imports = importSpecifiers(code).map((spec) =>
    spec.startsWith('.') ? path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)) : spec,
  );
  return { file, code, imports };
}

const sources = (dir: string) => filesUnder(dir).map(read);
const violations = (list: Source[], bad: (spec: string) => boolean) =>
  list.flatMap((s) => s.imports.filter(bad).map((spec) => `${s.file} imports ${spec}`));

const isPackage = (spec: string, name: string) => spec === name || spec.startsWith(`${name}/`);
const isEmulator = (spec: string) =>
  /^src\/providers\/[^/]+\/emulator(\/|\.ts$)/.test(spec) || /(^|\/)emulator[^/]*$/.test(spec);
const isDomain = (spec: string) => spec.startsWith('src/domain/');

/** Kysely query builders and `sql` templates: how code talks to the database. */
const SQL =
  /\.(selectFrom|selectNoFrom|insertInto|replaceInto|updateTable|deleteFrom|mergeInto)\s*\(|\bsql\s*(<[^>]*>\s*)?`|\bsql\.(raw|ref|id|lit|val|join|table)\s*\(/g;
function queries(s: Source): string[] {
  return [...s.code.matchAll(SQL)].map((m) => `${s.file}: ${m[0]}`);
}

describe('the dependency direction', () => {
  const domain = sources('src/domain');

  it('reads the imports a file really has (and none from its comments)', () => {
    const sample = withoutComments(`
      import { a,
        b } from '../lib/money.ts';
      import type { C } from "hono";
      export { d } from './d.ts';
      export * from './e.ts';
      import './side-effect.ts';
      const f = await import('./lazy.ts');
      /** @example import { x } from 'eta' */
      // import { y } from 'jobs/index.ts';
      app.use('/settings/*', guard); // a string is not a comment
      const slashes = /^https?:\\/\\//;
      import { z } from '../db/paging.ts'; /* */
    `);
    expect(importSpecifiers(sample).sort()).toEqual(
      ['../db/paging.ts', '../lib/money.ts', './d.ts', './e.ts', './lazy.ts', './side-effect.ts', 'hono'].sort(),
    );
    expect(sample).toContain("app.use('/settings/*', guard);");
    expect(domain.length).toBeGreaterThan(50);
    expect(read('src/domain/ledger/post.ts').imports).toContain('src/db/index.ts');
  });

  it('keeps src/domain free of hono, eta, src/web, jobs and the emulators', () => {
    const bad = (spec: string) =>
      isPackage(spec, 'hono') ||
      spec.startsWith('@hono/') ||
      isPackage(spec, 'eta') ||
      spec.startsWith('src/web/') ||
      spec.startsWith('jobs/') ||
      isEmulator(spec);
    expect(violations(domain, bad)).toEqual([]);
  });

  it('keeps src/db, src/lib and src/providers from importing src/domain', () => {
    expect(violations([...sources('src/db'), ...sources('src/lib'), ...sources('src/providers')], isDomain)).toEqual(
      [],
    );
  });

  it('keeps src/lib free of everything else in src', () => {
    expect(violations(sources('src/lib'), (spec) => spec.startsWith('src/') && !spec.startsWith('src/lib/'))).toEqual(
      [],
    );
  });

  it('lets a migration import kysely and nothing else, so it still runs when the app has changed', () => {
    const migrations = sources('migrations');
    expect(migrations.length).toBeGreaterThan(0);
    expect(violations(migrations, (spec) => spec !== 'kysely')).toEqual([]);
  });

  it('leaves SQL to the domain: src/web, jobs and src/app.ts build no queries (readiness is src/domain/status/health.ts)', () => {
    const callers = [...sources('src/web'), ...sources('jobs'), read('src/app.ts')];
    expect(callers.flatMap(queries)).toEqual([]);
  });
});

describe('per-request cost', () => {
  it('reads request variables with c.get(), never c.var (Hono copies every variable into a new object on each c.var read)', () => {
    const found = sources('src').flatMap((s) => [...s.code.matchAll(/\b(c|ctx)\.var\b/g)].map(() => s.file));
    // The PayPal emulator's one read is not on any page's path.
    expect(found.filter((f) => !f.includes('/emulator/'))).toEqual([]);
  });
});
