import { Eta } from 'eta';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT_DIR } from '../../src/web/assets.ts';
import { viewHelpers } from '../../src/web/render.ts';
import { buildCallers, type Caller } from '../authz/callers.ts';
import { buildFixtures, type Fixtures } from '../authz/fixtures.ts';
import { call, routeOf } from '../authz/matrix.ts';
import { EMULATORS, ROUTES } from '../authz/routes.ts';
import { billingContext } from '../billing/helpers.ts';
import { seedServerCatalogue, startTestCloud, type TestCloud } from '../helpers/servers.ts';

/**
 * Issue 13, item 4: every page loads at most 35 KB of gzipped JavaScript, none of it
 * render-blocking, and a page that uses Alpine or the SSE extension does load it. Pages are
 * crawled, not imagined: every GET route of the authorization matrix (test/authz/routes.ts),
 * called by the caller who may open it (a visitor and the owner for public pages, Acme's owner
 * for the portal, the platform admin for staff pages, an impersonating admin), with the records
 * each needs made by the matrix's own makers. Sizes are those of the .gz files the build
 * writes, which is what a browser downloads.
 *
 * Issue 14, item 1: the console page (/vps/:id/console) also loads the terminal (xterm.js), so
 * its budget is 150 KB; no other page may load the terminal.
 */

const BUDGET = 35 * 1024;
const CONSOLE_BUDGET = 150 * 1024;
const isConsole = (p: Page) => p.name.startsWith('GET /vps/:id/console ');

interface Page {
  name: string;
  html: string;
}

let fx: Fixtures;
let close: () => Promise<void>;
let cloud: TestCloud;
const pages: Page[] = [];

beforeAll(async () => {
  cloud = await startTestCloud({ rateLimit: { limit: 1_000_000, windowSeconds: 120 } });
  const made = await billingContext(
    { RATE_LIMIT_ANONYMOUS: '1000000', RATE_LIMIT_AUTHENTICATED: '1000000', RATE_LIMIT_ADMIN: '1000000' },
    { cloud: cloud.provider },
  );
  close = made.close;
  fx = await buildFixtures(made.ctx, made.emu);
  fx.servers = { cloud, catalogue: await seedServerCatalogue(made.ctx.db) };
  const everyone = (await buildCallers(fx))(false, undefined);
  const named = (name: string) => everyone.find((c) => c.name === name)!;
  const who: Record<string, Caller[]> = {
    public: [named('anonymous'), named('an owner before his second factor'), named('the owner')],
    session: [named('the owner')],
    admin: [named('a platform admin')],
    impersonating: [named('an impersonating admin')],
  };
  for (const [key, req] of Object.entries(ROUTES)) {
    const route = routeOf(key, req);
    if (route.method !== 'GET' || route.api || route.path.startsWith(EMULATORS)) continue;
    for (const caller of who[req.auth] ?? []) {
      const { out } = await call(fx, route, caller, 'own');
      if (/^<!doctype html>/i.test(out.text))
        pages.push({ name: `${key} (${caller.name}, ${out.status})`, html: out.text });
    }
  }
  // The error pages, in each layout.
  for (const caller of [named('anonymous'), named('the owner'), named('a platform admin')]) {
    const { cookie } = await caller.credentials(false);
    for (const url of ['/no-such-page', '/admin/no-such-page', '/vps/00000000-0000-4000-8000-000000000000']) {
      const res = await made.ctx.app.request(url, { headers: { cookie, 'x-forwarded-for': caller.ip } });
      const html = await res.text();
      if (/^<!doctype html>/i.test(html)) pages.push({ name: `GET ${url} (${caller.name}, ${res.status})`, html });
    }
  }
}, 600_000);
afterAll(async () => {
  await close?.();
  await cloud?.close();
});

const scriptTags = (html: string) => [...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
const srcOf = (tag: string) => /\ssrc="([^"]+)"/.exec(tag)?.[1] ?? null;
const gzipped = (url: string) => readFileSync(path.join(ROOT_DIR, `${url.split('?')[0]}.gz`)).length;
const jsBytes = (html: string) =>
  scriptTags(html)
    .map(srcOf)
    .filter((src): src is string => src !== null)
    .reduce((sum, src) => sum + gzipped(src), 0);
/** Alpine's directives: `x-data` starts a component; the others only work inside one. */
const usesAlpine = (html: string) => /\sx-(data|on:|bind:|show|text|model|init|ref)|\s@[a-z]+[.=]/.test(html);

describe('JavaScript on every page', () => {
  it('crawls every page family: public, portal, staff and impersonation, signed in and out', () => {
    expect(pages.length).toBeGreaterThan(80);
    expect(pages.some((p) => p.html.includes('aria-label="Portal"'))).toBe(true);
    expect(pages.some((p) => p.html.includes('aria-label="Admin"'))).toBe(true);
    expect(pages.some((p) => p.html.includes('aria-label="Main"'))).toBe(true);
    expect(pages.some((p) => p.html.includes('sse-connect='))).toBe(true);
    if (process.env.JS_BUDGET_REPORT) {
      const sizes = new Map<number, string[]>();
      for (const p of pages) sizes.set(jsBytes(p.html), [...(sizes.get(jsBytes(p.html)) ?? []), p.name]);
      for (const [bytes, names] of [...sizes].sort((a, b) => b[0] - a[0]))
        console.info(`${bytes} B gzipped JS: ${names.length} pages, e.g. ${names.slice(0, 3).join('; ')}`);
      // The pages themselves as src/web/middleware/compress.ts sends them (brotli 4, gzip 6).
      for (const p of pages.filter((p) =>
        /^GET \/(login|dashboard|vps|vps\/:id|billing|admin|admin\/servers) \(/.test(p.name),
      )) {
        const html = Buffer.from(p.html);
        const br = brotliCompressSync(html, { params: { [constants.BROTLI_PARAM_QUALITY]: 4 } }).length;
        console.info(`${p.name}: HTML ${html.length} B, gzip ${gzipSync(html, { level: 6 }).length} B, br ${br} B`);
      }
    }
  });

  it('is at most 35 KB gzipped', () => {
    const over = pages
      .filter((p) => !isConsole(p) && jsBytes(p.html) > BUDGET)
      .map((p) => `${p.name}: ${jsBytes(p.html)} B`);
    expect(over).toEqual([]);
  });

  it('is at most 150 KB gzipped on the console page, the only page that loads the terminal', () => {
    const terminal = fx.ctx.deps.assets['js/console.js']!;
    const consoles = pages.filter(isConsole);
    expect(consoles.length).toBeGreaterThan(0);
    for (const p of consoles) {
      expect(p.html, p.name).toContain(`src="${terminal}"`);
      expect(jsBytes(p.html), p.name).toBeLessThanOrEqual(CONSOLE_BUDGET);
      if (process.env.JS_BUDGET_REPORT) console.info(`${p.name}: ${jsBytes(p.html)} B gzipped JS`);
    }
    expect(pages.filter((p) => !isConsole(p) && p.html.includes(terminal)).map((p) => p.name)).toEqual([]);
  });

  it('never blocks rendering: every script file is deferred, async or a module', () => {
    const blocking = pages.flatMap((p) =>
      scriptTags(p.html)
        .filter((tag) => srcOf(tag) && !/\s(defer|async)[\s>=]|type="module"/.test(tag))
        .map((tag) => `${p.name}: ${tag}`),
    );
    expect(blocking).toEqual([]);
  });

  it('loads only built files, and Alpine and the SSE extension on the pages that use them', () => {
    const { assets } = fx.ctx.deps;
    const built = new Set(Object.values(assets));
    const wrong = pages.flatMap((p) => {
      const srcs = scriptTags(p.html).map(srcOf).filter(Boolean) as string[];
      return [
        ...srcs.filter((s) => !built.has(s)).map((s) => `loads ${s}, not a built file`),
        ...(usesAlpine(p.html) && !srcs.includes(assets['alpine.js']!) ? ['uses Alpine without loading it'] : []),
        ...(p.html.includes('sse-connect=') && !srcs.includes(assets['htmx-sse.js']!)
          ? ['opens an event stream without the SSE extension']
          : []),
        ...(srcs.includes(assets['htmx.js']!) ? [] : ['has no htmx']),
      ].map((problem) => `${p.name}: ${problem}`);
    });
    expect(wrong).toEqual([]);
  });
});

describe('the layouts', () => {
  const eta = new Eta({ views: path.join(ROOT_DIR, 'views'), autoEscape: true, autoTrim: false });
  const render = (body: string) =>
    eta.render('layouts/public', {
      body,
      h: viewHelpers('UTC'),
      ctx: {
        brand: 'SkyPanel',
        nonce: 'n0nce',
        csrfToken: 't0ken',
        user: null,
        flash: null,
        impersonation: null,
        emulators: false,
        emulatorsInProduction: false,
        asset: (name: string) => fx.ctx.deps.assets[name]!,
      },
    });

  it('load Alpine for a page that uses it and the SSE extension for one that opens a stream, and neither otherwise', () => {
    const { assets } = fx.ctx.deps;
    const plain = render('<p>Hello</p>');
    expect(plain).not.toContain(assets['alpine.js']);
    expect(plain).not.toContain(assets['htmx-sse.js']);
    expect(render('<div x-data="menu"></div>')).toContain(assets['alpine.js']);
    expect(render('<div hx-ext="sse" sse-connect="/events"></div>')).toContain(assets['htmx-sse.js']);
  });
});
