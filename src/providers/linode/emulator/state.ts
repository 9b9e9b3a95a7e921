import { systemClock, type Clock } from '../../../lib/time.ts';
import {
  DEFAULT_DURATIONS,
  DEMO_DURATIONS,
  LINODE_EMULATOR_TOKEN,
  type Durations,
  type LinodeEmulatorOptions,
} from './options.ts';
import type { LinodeEventStatus, LinodeStatus } from '../types.ts';
import type { ArmedFault } from './faults.ts';

/**
 * The Linode emulator's memory: instances, their pending transitions, IPs, backups,
 * firewalls, events, Lish credentials, recorded requests and armed faults. One process only
 * (tests, demo mode). Everything that moves in time reads the injected clock, so a test steps
 * it and a demo runs on real time with short durations.
 */

/** One stretch of a transition: the status shown until `endsAt`, the event it belongs to, what happens when it ends. */
export interface Phase {
  status: LinodeStatus;
  endsAt: number;
  eventId: number | null;
  onEnd?: () => void;
  /** An injected failure: the event ends `failed`. */
  fails?: boolean;
}

export interface EmulatedBackup {
  id: number;
  label: string | null;
  type: 'auto' | 'snapshot';
  status: 'pending' | 'running' | 'successful' | 'failed';
  created: number;
  updated: number;
  finished: number | null;
  /** Snapshots in progress finish then. */
  finishesAt: number | null;
}

export interface EmulatedInstance {
  id: number;
  label: string;
  group: string;
  status: LinodeStatus;
  created: number;
  updated: number;
  type: string;
  region: string;
  image: string | null;
  tags: string[];
  publicIpv4: string;
  privateIpv4: string | null;
  ipv6: string;
  watchdog: boolean;
  /** Pending phases, first = current; empty when the status is settled. */
  phases: Phase[];
  /** Where the last phase leaves the instance; `gone` removes it. */
  settlesTo: LinodeStatus | 'gone';
  /** When it last became running (Lish's uptime). */
  bootedAt: number | null;
  stackscriptId: number | null;
  backups: {
    enabled: boolean;
    enabledAt: number | null;
    cancelledAt: number | null;
    day: string | null;
    window: string | null;
    /** Set by PUT; otherwise the emulator assigns one after `backupScheduling`. */
    chosen: boolean;
    nextAutomaticAt: number | null;
    automatic: EmulatedBackup[];
    current: EmulatedBackup | null;
    inProgress: EmulatedBackup | null;
  };
  transfer: { month: string; usedBytes: number; countedUntil: number };
}

export interface EmulatedEvent {
  id: number;
  action: string;
  created: number;
  /** When it started and finished, for `duration`. */
  started: number | null;
  finished: number | null;
  status: LinodeEventStatus;
  entity: { id: number; label: string; type: 'linode' | 'firewall'; url: string } | null;
  message: string | null;
}

export interface EmulatedFirewall {
  id: number;
  label: string;
  status: 'enabled' | 'disabled';
  tags: string[];
  created: number;
  updated: number;
  rules: {
    inbound: unknown[];
    inbound_policy: 'ACCEPT' | 'DROP';
    outbound: unknown[];
    outbound_policy: 'ACCEPT' | 'DROP';
    version: number;
  };
  devices: Array<{ id: number; linodeId: number; created: number }>;
}

export interface IpRecord {
  address: string;
  linodeId: number;
  /** null = Linode's default (ip.linodeusercontent.com for public IPv4, none otherwise). */
  rdns: string | null;
}

export interface LishCredential {
  token: string;
  protocol: string;
  linodeId: number;
  issuedAt: number;
  used: boolean;
}

export interface RecordedRequest {
  at: string;
  method: string;
  /** Below `/v4`, without the query string. */
  path: string;
  query: Record<string, string>;
  op: string;
  status: number;
  /** The X-Filter header, parsed; null when absent or not JSON. */
  filter: unknown;
  /** The JSON body with passwords replaced by `[redacted]`; never the token. */
  body: unknown;
}

export interface LinodeEmulatorState {
  options: Required<Pick<LinodeEmulatorOptions, 'token' | 'transferBytesPerSecond'>> & {
    rateLimit: { limit: number; windowSeconds: number };
  };
  clock: Clock;
  durations: Durations;
  instances: Map<number, EmulatedInstance>;
  ips: Map<string, IpRecord>;
  firewalls: Map<number, EmulatedFirewall>;
  events: EmulatedEvent[];
  lish: Map<string, LishCredential>;
  requests: RecordedRequest[];
  faults: ArmedFault[];
  /** name → addresses its forward lookup returns. */
  resolvable: Map<string, Set<string>>;
  resolvesDomains: string[];
  rate: Map<string, { windowStart: number; count: number }>;
  /** Base for Lish URLs, e.g. `ws://127.0.0.1:41234`; set when the server listens. */
  wsOrigin: string;
  seq: {
    instance: number;
    backup: number;
    event: number;
    firewall: number;
    device: number;
    ipv4: number;
    private: number;
  };
  /** Aborted by close(): pending delays give up. */
  closing: AbortController;
}

export function createLinodeEmulatorState(opts: LinodeEmulatorOptions = {}): LinodeEmulatorState {
  const state: LinodeEmulatorState = {
    options: {
      token: opts.token ?? LINODE_EMULATOR_TOKEN,
      transferBytesPerSecond: opts.transferBytesPerSecond ?? 25_000,
      rateLimit: opts.rateLimit ?? { limit: 800, windowSeconds: 120 },
    },
    clock: opts.clock ?? systemClock,
    durations: { ...(opts.demo ? DEMO_DURATIONS : DEFAULT_DURATIONS), ...opts.durations },
    instances: new Map(),
    ips: new Map(),
    firewalls: new Map(),
    events: [],
    lish: new Map(),
    requests: [],
    faults: [],
    resolvable: new Map(),
    resolvesDomains: (opts.resolvesDomains ?? []).map((d) => d.toLowerCase().replace(/^\.+|\.+$/g, '')),
    rate: new Map(),
    wsOrigin: 'ws://127.0.0.1',
    seq: {
      instance: 54_300_000,
      backup: 312_000_000,
      event: 912_000_000,
      firewall: 61_000,
      device: 118_000,
      ipv4: 0,
      private: 0,
    },
    closing: new AbortController(),
  };
  setResolvable(state, opts.resolvableNames ?? {});
  return state;
}

/** Replaces the table of names the emulator's "DNS" resolves. */
export function setResolvable(state: LinodeEmulatorState, names: Record<string, string | string[]>): void {
  state.resolvable.clear();
  for (const [name, addrs] of Object.entries(names))
    state.resolvable.set(normalName(name), new Set(Array.isArray(addrs) ? addrs : [addrs]));
}

export const normalName = (name: string) => name.toLowerCase().replace(/\.$/, '');

export const nowMs = (state: LinodeEmulatorState) => state.clock.now().getTime();

/** Linode's timestamp format: UTC, no zone suffix, whole seconds. */
export function linodeTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19);
}

export const monthOf = (ms: number) => new Date(ms).toISOString().slice(0, 7);

/** Records an event; `status` is `started` for what begins now, `scheduled` for what waits its turn. */
export function addEvent(
  state: LinodeEmulatorState,
  action: string,
  entity: EmulatedEvent['entity'],
  status: LinodeEventStatus,
  message: string | null = null,
): EmulatedEvent {
  const at = nowMs(state);
  const event: EmulatedEvent = {
    id: ++state.seq.event,
    action,
    created: at,
    started: status === 'started' ? at : null,
    finished: status === 'finished' || status === 'notification' ? at : null,
    status,
    entity,
    message,
  };
  state.events.push(event);
  return event;
}

export const linodeEntity = (i: Pick<EmulatedInstance, 'id' | 'label'>): EmulatedEvent['entity'] => ({
  id: i.id,
  label: i.label,
  type: 'linode',
  url: `/v4/linode/instances/${i.id}`,
});
