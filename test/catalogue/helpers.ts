import { afterAll, beforeAll } from 'vitest';
import type { TestBrowser } from '../helpers/browser.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createPerson, PASSWORD, signedIn, uniqueEmail } from '../helpers/people.ts';
import { startTestCloud, type TestCloud } from '../helpers/servers.ts';

/**
 * The catalogue's world: a Linode emulator of the file's own with the real client, the app on
 * a real database, Ada (a platform admin) signed in, and Olive (an organization owner).
 */
export interface CatalogueWorld {
  ctx: TestContext;
  cloud: TestCloud;
  ada: Awaited<ReturnType<typeof createPerson>>;
  admin: TestBrowser;
  olive: Awaited<ReturnType<typeof createPerson>>;
  customer: TestBrowser;
}

export function useCatalogueWorld(): CatalogueWorld {
  const world = {} as CatalogueWorld;
  beforeAll(async () => {
    world.cloud = await startTestCloud();
    world.ctx = await createTestContext(
      { RATE_LIMIT_AUTH_ACTIONS: '10000', LOGIN_IP_LOCKOUT_ATTEMPTS: '10000' },
      { cloud: world.cloud.provider },
    );
    world.ada = await createPerson(world.ctx, 'Ada Admin', {
      isAdmin: true,
      verified: true,
      email: uniqueEmail('Ada'),
    });
    world.admin = await signedIn(world.ctx, world.ada.email, PASSWORD, '192.0.2.1');
    world.olive = await createPerson(world.ctx, 'Olive Owner', { verified: true, email: uniqueEmail('Olive') });
    world.customer = await signedIn(world.ctx, world.olive.email, PASSWORD, '192.0.2.2');
  });
  afterAll(async () => {
    await world.ctx?.close();
    await world.cloud?.close();
  });
  return world;
}

/** Submits a form with repeated fields (checkbox lists), as a browser would, with the page's CSRF token. */
export async function submit(
  ctx: TestContext,
  browser: TestBrowser,
  path: string,
  fields: Record<string, string | string[]>,
  opts: { method?: string; headers?: Record<string, string> } = {},
): Promise<Response> {
  const body = new URLSearchParams({ _csrf: browser.csrf });
  for (const [k, v] of Object.entries(fields)) for (const one of Array.isArray(v) ? v : [v]) body.append(k, one);
  const cookie = [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const res = await ctx.app.request(path, {
    method: opts.method ?? 'POST',
    headers: {
      'sec-fetch-site': 'same-origin',
      'x-forwarded-for': '192.0.2.1',
      'content-type': 'application/x-www-form-urlencoded',
      cookie,
      ...opts.headers,
    },
    body,
  });
  if ((res.headers.get('content-type') ?? '').includes('text/html')) browser.lastHtml = await res.clone().text();
  return res;
}

/** A provider row pointed at the world's emulator, added through the admin form; returns its id. */
export async function addProviderByForm(w: CatalogueWorld, form: Record<string, string> = {}): Promise<string> {
  await w.admin.get('/admin/providers/new');
  const res = await w.admin.post('/admin/providers', {
    name: 'Main cloud',
    token: w.cloud.emu.token,
    base_url: w.cloud.emu.url,
    active: 'on',
    display_order: '1',
    ...form,
  });
  if (res.status !== 303) throw new Error(`provider add failed: ${res.status} ${w.admin.lastHtml.slice(0, 500)}`);
  return res.headers.get('location')!.split('/').pop()!;
}
