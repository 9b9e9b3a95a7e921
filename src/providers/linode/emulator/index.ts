import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { Clock } from '../../../lib/time.ts';
import type { LinodeEvent, LinodeInstance, LinodeStatus } from '../types.ts';
import { accountRoutes } from './account.ts';
import { backupRoutes } from './backups.ts';
import { armFault, type FaultOptions, type LinodeFault } from './faults.ts';
import { firewallRoutes } from './firewalls.ts';
import { SPEC_VERSION } from './http.ts';
import { instanceRoutes } from './instances.ts';
import { createLishServer, lishRoute, SESSION_EXPIRED, type LishServer } from './lish.ts';
import { automaticBackup, forceStatus, removeInstance, sync } from './machine.ts';
import { networkingRoutes } from './networking.ts';
import { powerRoutes } from './power.ts';
import { isStepped, type LinodeEmulatorOptions } from './options.ts';
import { createLinodeEmulatorState, setResolvable, type LinodeEmulatorState, type RecordedRequest } from './state.ts';
import { eventJson, instanceJson } from './views.ts';

export {
  createSteppedClock,
  DEFAULT_DURATIONS,
  DEMO_DURATIONS,
  LINODE_EMULATOR_TOKEN,
  type Durations,
  type LinodeEmulatorOptions,
  type SteppedClock,
} from './options.ts';
export { OPERATIONS, type FaultOptions, type LinodeFault, type LinodeOperation } from './faults.ts';
export { SESSION_EXPIRED } from './lish.ts';
export { createLinodeEmulatorState, type LinodeEmulatorState, type RecordedRequest } from './state.ts';

/**
 * A local Linode API v4 (specs/linode-api-v4.md) on 127.0.0.1: the catalogue, instances with
 * their asynchronous status machine on an injectable clock, IPs and rDNS, backups, firewalls,
 * transfer, stats, events, account/profile, and Lish over WebSocket. Tests start it with a
 * stepped clock and step time; demo mode starts it with `demo: true` (real time, short
 * durations). Failures are armed through the controls below only: nothing on the network can
 * make it misbehave. It never calls a Linode host.
 */

export interface LinodeEmulatorControls {
  readonly state: LinodeEmulatorState;
  readonly clock: Clock;
  /** Steps the (stepped) clock and plays out what became due. */
  advance(ms: number): void;
  /** Steps the (stepped) clock to the end of every pending transition and snapshot (of one instance, or all). */
  settle(id?: number | string): void;
  /** An instance as the API would answer now, or null once it is gone. */
  instance(id: number | string): LinodeInstance | null;
  instances(): LinodeInstance[];
  /** Events, oldest first. */
  events(): LinodeEvent[];
  /** Arms a failure for the next matching request(s); see `LinodeFault`. */
  inject(fault: LinodeFault, opts?: FaultOptions): void;
  clearFaults(): void;
  /** Puts an instance in a status outside the machine (`stopped`, `billing_suspension`, …). */
  setStatus(id: number | string, status: LinodeStatus): void;
  /** Replaces the names the emulator's DNS resolves (for the rDNS forward-lookup rule). */
  setResolvableNames(names: Record<string, string | string[]>): void;
  /** Adds to the public traffic counted this month. */
  growTransfer(id: number | string, bytes: number): void;
  /** Takes an automatic backup now (backups must be enabled). */
  takeAutomaticBackup(id: number | string): void;
  /** Deletes an instance outside the API, as if someone removed it in Linode's own console. */
  removeInstance(id: number | string): void;
  /** Requests answered so far, oldest first (no tokens, passwords redacted). */
  requests(): RecordedRequest[];
  clearRequests(): void;
  setRateLimit(limit: number, windowSeconds: number): void;
  /** Ends open Lish sessions (of one instance, or all) with "Your session has expired." and voids unused credentials. Returns how many sessions ended. */
  expireConsoleSessions(id?: number | string): number;
  /** Ends open Lish sessions with an error `reason`, as a message or as the close reason. */
  closeConsoleWithError(reason: string, opts?: { id?: number | string; via?: 'message' | 'close' }): number;
}

export interface LinodeEmulator extends LinodeEmulatorControls {
  /** Base URL for the client, e.g. `http://127.0.0.1:41234/v4`. */
  url: string;
  /** The bearer token it accepts. */
  token: string;
  close(): Promise<void>;
}

/** The HTTP API as a Hono app (paths under /v4). Lish's WebSocket needs the server: see `startLinodeEmulator`. */
export function linodeEmulatorApp(state: LinodeEmulatorState): Hono {
  const v4 = new Hono();
  accountRoutes(v4, state);
  instanceRoutes(v4, state);
  powerRoutes(v4, state);
  networkingRoutes(v4, state);
  backupRoutes(v4, state);
  firewallRoutes(v4, state);
  lishRoute(v4, state);
  const app = new Hono();
  app.route('/v4', v4);
  const envelope = (status: 404 | 500, reason: string) =>
    new Response(JSON.stringify({ errors: [{ reason }] }), {
      status,
      headers: { 'content-type': 'application/json', 'x-spec-version': SPEC_VERSION },
    });
  app.notFound(() => envelope(404, 'Not found'));
  app.onError(() => envelope(500, 'Internal Server Error'));
  return app;
}

export function linodeEmulatorControls(state: LinodeEmulatorState, lish: LishServer): LinodeEmulatorControls {
  const inst = (id: number | string) => {
    sync(state);
    const found = state.instances.get(Number(id));
    if (!found) throw new Error(`no emulated instance ${id}`);
    return found;
  };
  const stepped = () => {
    if (!isStepped(state.clock))
      throw new Error(
        'this emulator runs on real time; start it with a stepped clock (createSteppedClock) to move time',
      );
    return state.clock;
  };
  return {
    state,
    clock: state.clock,
    advance(ms) {
      stepped().advance(ms);
      sync(state);
    },
    settle(id) {
      sync(state);
      const targets = id === undefined ? [...state.instances.values()] : [inst(id)];
      const ends = targets.flatMap((i) => [...i.phases.map((p) => p.endsAt), i.backups.inProgress?.finishesAt ?? 0]);
      const last = Math.max(0, ...ends);
      const now = state.clock.now().getTime();
      if (last > now) stepped().advance(last - now);
      sync(state);
    },
    instance(id) {
      sync(state);
      const found = state.instances.get(Number(id));
      return found ? instanceJson(found) : null;
    },
    instances() {
      sync(state);
      return [...state.instances.values()].map(instanceJson);
    },
    events() {
      sync(state);
      return state.events.map(eventJson);
    },
    inject: (fault, opts) => armFault(state, fault, opts),
    clearFaults: () => void (state.faults.length = 0),
    setStatus: (id, status) => forceStatus(state, inst(id), status),
    setResolvableNames: (names) => setResolvable(state, names),
    growTransfer(id, bytes) {
      inst(id).transfer.usedBytes += bytes;
    },
    takeAutomaticBackup(id) {
      const i = inst(id);
      if (!i.backups.enabled) throw new Error(`backups are not enabled on ${id}`);
      i.backups.automatic.push(automaticBackup(state, state.clock.now().getTime()));
    },
    removeInstance: (id) => removeInstance(state, inst(id).id),
    requests: () => [...state.requests],
    clearRequests: () => void (state.requests.length = 0),
    setRateLimit(limit, windowSeconds) {
      state.options.rateLimit = { limit, windowSeconds };
      state.rate.clear();
    },
    expireConsoleSessions: (id) => lish.end(id === undefined ? undefined : Number(id), SESSION_EXPIRED, 'close'),
    closeConsoleWithError: (reason, o = {}) =>
      lish.end(o.id === undefined ? undefined : Number(o.id), reason, o.via ?? 'close'),
  };
}

/** Starts the emulator on 127.0.0.1 (a free port unless `port` is given). */
export async function startLinodeEmulator(opts: LinodeEmulatorOptions = {}): Promise<LinodeEmulator> {
  const state = createLinodeEmulatorState(opts);
  const lish = createLishServer(state);
  const server = serve({
    fetch: linodeEmulatorApp(state).fetch,
    port: opts.port ?? 0,
    hostname: '127.0.0.1',
  }) as Server;
  server.on('upgrade', (req, socket, head) => lish.handleUpgrade(req, socket, head));
  await new Promise<void>((resolve, reject) => {
    if (server.listening) return resolve();
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  state.wsOrigin = `ws://127.0.0.1:${port}`;
  return {
    ...linodeEmulatorControls(state, lish),
    url: `http://127.0.0.1:${port}/v4`,
    token: state.options.token,
    async close() {
      state.closing.abort();
      lish.close();
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}
