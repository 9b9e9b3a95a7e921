import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_THEME, THEMES } from '../../src/domain/settings/themes.ts';
import { ROOT_DIR } from '../../src/web/assets.ts';

/**
 * The colour presets in the built stylesheet (static/css/themes.css through Tailwind, minified
 * as production builds it): every preset in src/domain/settings/themes.ts defines every brand
 * shade, and the shades components put text on meet WCAG AA (4.5:1) in light and dark mode.
 */
const SHADES = [50, 100, 200, 300, 400, 500, 600, 700, 800, 900, 950];
let css = '';
let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'skypanel-theme-'));
  const out = path.join(dir, 'app.css');
  const cli = path.join(ROOT_DIR, 'node_modules', '@tailwindcss', 'cli', 'dist', 'index.mjs');
  await new Promise<void>((resolve, reject) => {
    const p = spawn(
      process.execPath,
      [cli, '-i', path.join(ROOT_DIR, 'static', 'css', 'app.css'), '-o', out, '--minify'],
      {
        cwd: ROOT_DIR,
        stdio: 'ignore',
      },
    );
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`tailwindcss exited with ${code}`))));
  });
  css = await readFile(out, 'utf8');
}, 60_000);
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The declarations of a rule whose selector is exactly `selector` (minified CSS). */
function declarations(selector: RegExp): Map<string, string>[] {
  const found: Map<string, string>[] = [];
  const re = new RegExp(`(?:^|[}{;])${selector.source}\\{([^{}]*)\\}`, 'g');
  for (const m of css.matchAll(re)) {
    const vars = new Map<string, string>();
    for (const d of m[1]!.split(';')) {
      const i = d.indexOf(':');
      if (i > 0) vars.set(d.slice(0, i).trim(), d.slice(i + 1).trim());
    }
    found.push(vars);
  }
  return found;
}

const presetVars = (id: string) => {
  const blocks = declarations(new RegExp(`\\[data-theme="?${id}"?\\]`));
  expect(blocks, `one [data-theme=${id}] rule`).toHaveLength(1);
  return blocks[0]!;
};

/** Tailwind's palette as emitted on :root (every variable the presets refer to must be there). */
const rootVars = () => {
  const all = new Map<string, string>();
  for (const block of declarations(/:root,:host/)) for (const [k, v] of block) all.set(k, v);
  return all;
};

/** oklch(L% C h) or a var() of one, as linear sRGB luminance (WCAG relative luminance). */
function luminance(value: string, root: Map<string, string>): number {
  let v = value;
  for (let i = 0; i < 5; i++) {
    const ref = /^var\((--[a-z0-9-]+)\)$/.exec(v);
    if (!ref) break;
    v = root.get(ref[1]!) ?? '';
  }
  if (v === '#fff' || v === '#ffffff') return 1;
  const m = /^oklch\(([\d.]+)%\s+([\d.]+)\s+([\d.]+)\)$/.exec(v);
  if (!m) throw new Error(`not a colour: ${value} (${v})`);
  const L = Number(m[1]) / 100;
  const C = Number(m[2]);
  const h = (Number(m[3]) * Math.PI) / 180;
  const a = C * Math.cos(h);
  const b = C * Math.sin(h);
  const l = (L + 0.3963377774 * a + 0.2158037573 * b) ** 3;
  const mm = (L - 0.1055613458 * a - 0.0638541728 * b) ** 3;
  const s = (L - 0.0894841775 * a - 1.291485548 * b) ** 3;
  const clamp = (x: number) => Math.min(1, Math.max(0, x));
  const r = clamp(4.0767416621 * l - 3.3077115913 * mm + 0.2309699292 * s);
  const g = clamp(-1.2684380046 * l + 2.6097574011 * mm - 0.3413193965 * s);
  const bl = clamp(-0.0041960863 * l - 0.7034186147 * mm + 1.707614701 * s);
  return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
}
const contrast = (x: number, y: number) => (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);

describe('colour presets in the built CSS', () => {
  it('has at least six presets, the default among them', () => {
    expect(THEMES.length).toBeGreaterThanOrEqual(6);
    expect(THEMES.map((t) => t.id)).toContain(DEFAULT_THEME);
  });

  it('defines every brand shade in each preset (and points sky-* at it), and no preset the app does not offer', () => {
    for (const t of THEMES) {
      const vars = presetVars(t.id);
      for (const n of SHADES) {
        expect(vars.get(`--color-brand-${n}`), `${t.id} --color-brand-${n}`).toBeTruthy();
        if (t.id !== 'sky') expect(vars.get(`--color-sky-${n}`), `${t.id} --color-sky-${n}`).toBeTruthy();
      }
    }
    const offered = new Set<string>(THEMES.map((t) => t.id));
    const inCss = [...css.matchAll(/\[data-theme="?([a-z-]+)"?\]\{/g)].map((m) => m[1]!);
    expect(inCss.filter((id) => !offered.has(id))).toEqual([]);
  });

  it('gives the default brand shades without any attribute (JavaScript off)', () => {
    const root = rootVars();
    for (const n of SHADES) expect(root.get(`--color-brand-${n}`), `--color-brand-${n}`).toMatch(/^oklch\(/);
  });

  it('routes the components through the brand variables', () => {
    expect(css).toMatch(/\.btn-primary\{[^}]*background-color:var\(--color-brand-700\)/);
    expect(css).toMatch(/\.link\{[^}]*color:var\(--color-brand-700\)/);
  });

  it('keeps text on brand colours at WCAG AA (4.5:1) in light and dark mode for every preset', () => {
    const root = rootVars();
    const white = 1;
    const slate = (n: number) => luminance(root.get(`--color-slate-${n}`)!, root);
    const failures: string[] = [];
    for (const t of THEMES) {
      const vars = presetVars(t.id);
      const brand = (n: number) => luminance(vars.get(`--color-brand-${n}`)!, root);
      const pairs: [string, number, number][] = [
        ['light: white on a primary button (700)', white, brand(700)],
        ['light: link (700) on white', brand(700), white],
        ['light: link (700) on the page (slate-50)', brand(700), slate(50)],
        ['light: active navigation (800 on 50)', brand(800), brand(50)],
        ['dark: slate-950 on a primary button (500)', slate(950), brand(500)],
        ['dark: link (300) on the page (slate-950)', brand(300), slate(950)],
        ['dark: link (300) on a card (slate-900)', brand(300), slate(900)],
        ['dark: active navigation (200 on 950)', brand(200), brand(950)],
      ];
      for (const [what, fg, bg] of pairs) {
        const ratio = contrast(fg, bg);
        if (ratio < 4.5) failures.push(`${t.id}: ${what} is ${ratio.toFixed(2)}:1`);
      }
    }
    expect(failures).toEqual([]);
  });
});
