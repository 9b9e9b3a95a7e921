import {
  createLinodeClient,
  createLinodeProvider,
  type LinodeClientOptions,
} from '../../src/providers/linode/index.ts';
import {
  createSteppedClock,
  startLinodeEmulator,
  type LinodeEmulator,
  type LinodeEmulatorOptions,
  type SteppedClock,
} from '../../src/providers/linode/emulator/index.ts';
import type { CreateInstanceInput } from '../../src/providers/cloud.ts';

/** A root password the emulator accepts as strong. */
export const STRONG_PASSWORD = 'Correct-Horse-42-Battery';
export const ED25519_KEY =
  'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHt6Ue0Xb1Q9bZy1p7m0b9l3O2r0Fh0uQn8mJrV3cXyZ ada@laptop';

export interface World {
  emu: LinodeEmulator;
  clock: SteppedClock;
  /** Every wait the client asked for, in ms (the waits step the emulator's clock instead of sleeping). */
  waits: number[];
}

/** The emulator on a stepped clock. */
export async function startWorld(opts: LinodeEmulatorOptions = {}): Promise<World> {
  const clock = createSteppedClock();
  const emu = await startLinodeEmulator({ clock, ...opts });
  return { emu, clock, waits: [] };
}

type Over = Partial<Omit<LinodeClientOptions, 'baseUrl'>>;

function options(w: World, over: Over) {
  return {
    baseUrl: w.emu.url,
    token: w.emu.token,
    timeoutMs: 2_000,
    random: () => 0.5,
    sleep: async (ms: number) => {
      w.waits.push(ms);
      w.clock.advance(ms);
    },
    ...over,
  };
}

export const providerFor = (w: World, over: Over = {}) => createLinodeProvider(options(w, over));
export const clientFor = (w: World, over: Over = {}) => createLinodeClient(options(w, over));

let seq = 0;
/** What the domain sends for a new server; every call gets its own label and tag. */
export function newServer(over: Partial<CreateInstanceInput> = {}): CreateInstanceInput {
  seq += 1;
  return {
    label: `web-${seq}`,
    region: 'us-east',
    type: 'g6-standard-1',
    image: 'ubuntu24.04',
    rootPassword: STRONG_PASSWORD,
    authorizedKeys: [],
    backups: false,
    privateIp: false,
    tag: `skypanel-create-${seq}-${Date.now()}`,
    tags: ['skypanel'],
    ...over,
  };
}

/** Raw HTTP against the emulator, for wire-level assertions. */
export async function raw(
  w: World,
  method: string,
  path: string,
  init: { body?: unknown; filter?: unknown; token?: string | null; query?: string } = {},
) {
  const headers: Record<string, string> = {};
  if (init.token !== null) headers.authorization = `Bearer ${init.token ?? w.emu.token}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  if (init.filter !== undefined) headers['x-filter'] = JSON.stringify(init.filter);
  const res = await fetch(`${w.emu.url}${path}${init.query ? `?${init.query}` : ''}`, {
    method,
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  return { status: res.status, headers: res.headers, json: (await res.json()) as any };
}
