import { expect } from 'vitest';
import { WebSocket } from 'ws';
import { register } from '../../src/domain/accounts/register.ts';
import type { Deps } from '../../src/domain/deps.ts';
import { systemClock } from '../../src/lib/time.ts';
import { fundWallet } from '../helpers/money.ts';
import { seedServerCatalogue, usd, type SeededCatalogue } from '../helpers/servers.ts';
import type { Cluster, ClusterBrowser } from './harness.ts';

/** The people of the cluster tests and what they do through the nodes: shared by every *.cluster.ts file. */

export const PASSWORD = 'correct horse battery';
let seq = 0;

/** A verified customer with a funded organization (50.00), registered through the real domain path. */
export async function customer(cluster: Cluster, name: string) {
  const deps = { db: cluster.db, config: cluster.config, clock: systemClock } as unknown as Deps;
  const email = `${name.toLowerCase()}.${++seq}.${Math.random().toString(36).slice(2, 6)}@example.test`;
  const { user, organization } = await register(deps, { name, email, password: PASSWORD }, { verified: true });
  await fundWallet(cluster.db, organization.id, usd(50));
  return { id: user.id, email, organizationId: organization.id };
}

/** Signs in through the real form at `base` (each sign-in from its own address unless `ip` says); the browser keeps the session cookie. */
export async function signIn(cluster: Cluster, email: string, base: string, ip?: string): Promise<ClusterBrowser> {
  const browser = cluster.browser({ base, ip: ip ?? `198.51.100.${10 + (++seq % 200)}` });
  await browser.get('/login');
  const res = await browser.post('/login', { email, password: PASSWORD });
  expect(res.status, `sign-in at ${base}`).toBe(303);
  await browser.get('/dashboard');
  return browser;
}

/** An API key of the organization with `permissions`, made on the signed-in browser's node; its secret. */
export async function apiKey(browser: ClusterBrowser, organizationId: string, permissions: string): Promise<string> {
  await browser.get('/settings/api-keys');
  const made = await browser.post('/settings/api-keys', {
    name: permissions,
    organization_id: organizationId,
    permissions,
  });
  expect(made.status).toBe(201);
  return /data-testid="api-key-secret">([^<]+)</.exec(browser.lastHtml)![1]!.trim();
}

export const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

/** A server bought over the API through the proxy (at the shared Linode emulator), once a node's job sees it running. */
export async function runningServer(
  cluster: Cluster,
  key: string,
  planId: string,
  label: string,
): Promise<{ id: string }> {
  const created = await fetch(`${cluster.proxyUrl}/api/v1/vps`, {
    method: 'POST',
    headers: { ...bearer(key), 'content-type': 'application/json' },
    body: JSON.stringify({ label, region: 'us-east', plan_id: planId, image: 'debian12' }),
  });
  expect(created.status, await created.clone().text()).toBe(201);
  const server = (await created.json()) as { id: string };
  await until(async () => {
    const row = await cluster.db
      .selectFrom('servers')
      .select('status')
      .where('id', '=', server.id)
      .executeTakeFirstOrThrow();
    return row.status === 'running';
  }, 'the server to be running');
  return server;
}

/** A console socket at `base` that authenticates with `ticket`: its control messages and how it closed. */
export async function consoleWith(cluster: Cluster, base: string, ticket: string) {
  const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/console/socket`, { headers: { origin: cluster.proxyUrl } });
  const controls: Array<Record<string, unknown>> = [];
  const state = { closeCode: 0 };
  const closed = new Promise<void>((resolve) =>
    ws.once('close', (code) => {
      state.closeCode = code;
      resolve();
    }),
  );
  ws.on('error', () => undefined);
  ws.on('message', (data: Buffer, binary) => {
    if (!binary) controls.push(JSON.parse(data.toString('utf8')) as Record<string, unknown>);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.send(JSON.stringify({ type: 'auth', ticket, cols: 80, rows: 24 }));
  return {
    ws,
    closed,
    get closeCode() {
      return state.closeCode;
    },
    async until(ok: (c: Array<Record<string, unknown>>) => boolean, ms = 15_000) {
      const end = Date.now() + ms;
      while (!ok(controls)) {
        if (Date.now() > end || state.closeCode)
          throw new Error(`console: ${JSON.stringify(controls)} closed ${state.closeCode}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}

/** Polls `get` until it answers something other than null, undefined or false (fails after `ms` naming `what`). */
export async function until<T>(
  get: () => Promise<T | null | undefined | false>,
  what: string,
  ms = 20_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await get();
    if (value !== null && value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The servers' provider for a cluster: the one Linode emulator every node reaches, as a real provider row, with its plans. */
export function seedClusterCatalogue(cluster: Cluster): Promise<SeededCatalogue> {
  return seedServerCatalogue(cluster.db, {
    emulated: false,
    baseUrl: cluster.emulators.linode.url,
    token: cluster.emulators.linode.token,
    config: cluster.config,
  });
}
