import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { EMULATORS, ROUTES } from './routes.ts';
import { describeShard, MATRIX_PARTS, useMatrixWorld } from './world.ts';

/**
 * The authorization matrix (issue 3, item 10): every served route × anonymous, each
 * predefined role, a zero-permission custom role, API keys with and without the permission,
 * a platform admin and an impersonating admin × their own and another organization's things.
 * A refused caller gets the refusal the route's requirement implies; a permitted caller gets
 * what the route is for: its status, and its effect (a row made, changed or gone, a page that
 * shows what it should), each call on records made for it.
 *
 * This file checks the table itself and the first part of the routes; matrix-2.test.ts … the others.
 */

const world = useMatrixWorld();

describe('the route table', () => {
  /** Registered routes as `METHOD path`; middleware registrations (method ALL) are not routes. */
  const servedBy = (app: ReturnType<typeof createApp>) => [
    ...new Set(app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${r.path}`)),
  ];

  it('lists every route the app serves, and nothing it no longer serves', () => {
    const served = servedBy(world.ctx.app).filter((key) => !key.split(' ')[1]!.startsWith(EMULATORS));
    expect(
      served.filter((key) => !(key in ROUTES)),
      'served but missing from test/authz/routes.ts',
    ).toEqual([]);
    expect(
      Object.keys(ROUTES).filter((key) => !served.includes(key)),
      'in test/authz/routes.ts but not served',
    ).toEqual([]);
  });

  it('leaves static files (middleware, not routes) open to everyone', async () => {
    const file = world.ctx.deps.assets['htmx.js']!;
    expect((await world.ctx.app.request(file, { headers: { 'x-forwarded-for': '198.18.9.1' } })).status).toBe(200);
  });

  it('leaves out only the emulators of outside services, which are not served with emulators off', () => {
    const config = loadConfig({
      NODE_ENV: 'test',
      DATABASE_URL: world.ctx.url,
      PUBLIC_URL: 'http://localhost:3000',
      EMULATORS_ENABLED: 'false',
    });
    expect(servedBy(createApp({ ...world.ctx.deps, config })).filter((key) => key.includes(EMULATORS))).toEqual([]);
  });

  it('is split into parts that together cover every route once', async () => {
    const { readdir } = await import('node:fs/promises');
    const files = (await readdir(new URL('.', import.meta.url))).filter((f) => /^matrix(-\d+)?\.test\.ts$/.test(f));
    expect(files.sort()).toEqual(
      ['matrix.test.ts', ...Array.from({ length: MATRIX_PARTS - 1 }, (_, i) => `matrix-${i + 2}.test.ts`)].sort(),
    );
  });
});

describeShard(world, 0, MATRIX_PARTS);
