import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { backupRoutes, settled } from './backups.ts';
import { domainRoutes } from './domains.ts';
import { emailRoutes } from './email.ts';
import { mysqlRoutes } from './mysql.ts';
import { nodeRoutes } from './node.ts';
import { orgRoutes } from './orgs.ts';
import { planRoutes } from './plans.ts';
import {
  createEnhanceEmulatorState,
  otp,
  type EmuRecordedRequest,
  type EnhanceEmulatorOptions,
  type EnhanceEmulatorState,
} from './state.ts';
import { settleCertificates, sslRoutes } from './ssl.ts';
import { websiteRoutes } from './websites.ts';
import { settleApps, wordpressRoutes } from './wordpress.ts';

export {
  addPlan,
  addServerGroup,
  createEnhanceEmulatorState,
  ENHANCE_EMULATOR_MASTER_ORG_ID,
  ENHANCE_EMULATOR_TOKEN,
  type EmuRecordedRequest,
  type EnhanceEmulatorOptions,
  type EnhanceEmulatorState,
} from './state.ts';

/**
 * A local Enhance API (spec §6) for tests and demo mode: the org tree under a master org,
 * logins, members and owner, member SSO with single-use links, plans, subscriptions (soft and
 * forced delete), websites with server IPs and the domain check, server groups, a website's
 * domains and their DNS zones, e-mail (mailboxes, forwarders, catch-all, webmail SSO), MySQL
 * databases and users with grants and phpMyAdmin SSO, backups and restores (asynchronous),
 * WordPress installs (asynchronous) with users, plugins and admin SSO, SSL certificates
 * (Let's Encrypt asynchronous, upload, force HTTPS), Node.js versions (plans allowing persistent apps). Paths are
 * under /api, so the client's base URL is where the app is served (it appends /api).
 *
 * Failures are armed through `faults` only: nothing on the network can make it misbehave, and
 * the controls are never served. Other endpoints (PHP settings, FTP, cron, …) get their state
 * in the model (`EmuWebsite.extras`) and their routes in files of their own.
 */

export interface EnhanceEmulatorFaults {
  /** The next `times` (default 1) requests matching method and path (below /api; string or RegExp; null = any) answer `status` with `body` (default `{code}`). */
  fail(method: string | null, path: string | RegExp | null, status: number, body?: unknown, times?: number): void;
  /** The next matching requests wait `ms` first; if the client gave up meanwhile, nothing happens. */
  delay(method: string | null, path: string | RegExp | null, ms: number, times?: number): void;
  clear(): void;
}

export interface EnhanceEmulator {
  /** The HTTP API (paths under /api). */
  app: Hono;
  state: EnhanceEmulatorState;
  faults: EnhanceEmulatorFaults;
  /** The master org's token and id. */
  token: string;
  masterOrgId: string;
  /** Requests answered so far, oldest first (passwords redacted, tokens never recorded). */
  requests(): EmuRecordedRequest[];
  clearRequests(): void;
  /** A token scoped to a customer org (for the "not the master org" 403s). */
  issueToken(orgId: string): string;
  /** The next `n` asynchronous jobs (backups, restores, app installs, Let's Encrypt issuance) end `failed`. */
  failNextJobs(n?: number): void;
  /** Ends every running asynchronous job now. */
  finishJobs(): void;
}

export function createEnhanceEmulator(opts: EnhanceEmulatorOptions = {}): EnhanceEmulator {
  const state = createEnhanceEmulatorState(opts);
  const app = new Hono();
  orgRoutes(app, state);
  planRoutes(app, state);
  websiteRoutes(app, state);
  domainRoutes(app, state);
  emailRoutes(app, state);
  mysqlRoutes(app, state);
  backupRoutes(app, state);
  wordpressRoutes(app, state);
  sslRoutes(app, state);
  nodeRoutes(app, state);
  const json = (status: number, code: string) =>
    new Response(JSON.stringify({ code }), { status, headers: { 'content-type': 'application/json' } });
  app.notFound(() => json(404, 'not_found'));
  app.onError(() => json(500, 'internal_server_error'));
  const arm = (f: Omit<EnhanceEmulatorState['faults'][number], 'remaining'>, times = 1) => {
    if (!Number.isInteger(times) || times < 1) throw new RangeError('times must be a positive integer');
    state.faults.push({ ...f, remaining: times });
  };
  return {
    app,
    state,
    token: state.options.token,
    masterOrgId: state.options.masterOrgId,
    faults: {
      fail: (method, path, status, body, times) => arm({ method, path, status, body }, times),
      delay: (method, path, ms, times) => arm({ method, path, delayMs: ms }, times),
      clear: () => void (state.faults.length = 0),
    },
    requests: () => [...state.requests],
    clearRequests: () => void (state.requests.length = 0),
    failNextJobs: (n = 1) => void (state.failJobs += n),
    finishJobs: () => {
      for (const site of state.websites.values()) settleCertificates(settleApps(settled(site, true), true));
    },
    issueToken(orgId) {
      if (!state.orgs.has(orgId)) throw new Error(`no emulated org ${orgId}`);
      const token = `enhance-org-${otp()}`;
      state.tokens.set(token, orgId);
      return token;
    },
  };
}

export interface StartedEnhanceEmulator extends EnhanceEmulator {
  /** e.g. `http://127.0.0.1:41234` (the client appends /api). */
  url: string;
  close(): Promise<void>;
}

/** Serves the emulator on 127.0.0.1 (a free port unless `port` is given). */
export async function startEnhanceEmulator(
  opts: EnhanceEmulatorOptions & { port?: number } = {},
): Promise<StartedEnhanceEmulator> {
  const emu = createEnhanceEmulator(opts);
  const server = serve({ fetch: emu.app.fetch, port: opts.port ?? 0, hostname: '127.0.0.1' }) as Server;
  await new Promise<void>((resolve, reject) => {
    if (server.listening) return resolve();
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    ...emu,
    url: `http://127.0.0.1:${port}`,
    async close() {
      emu.state.closing.abort();
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}
