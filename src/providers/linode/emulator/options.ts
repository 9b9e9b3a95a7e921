import type { Clock } from '../../../lib/time.ts';

/**
 * How the Linode emulator is started: the token it accepts, its clock, how long each
 * transitional status lasts (spec §7's typical values by default, short ones in demo mode),
 * its rate limit and its pretend DNS.
 */

export const LINODE_EMULATOR_TOKEN = 'emulator-linode-token';

/** How long each transitional status lasts, in ms. Defaults: spec §7's typical values (unconfirmed). */
export interface Durations {
  provisioning: number;
  booting: number;
  shutdown: number;
  reboot: number;
  rebuild: number;
  resize: number;
  restore: number;
  snapshot: number;
  delete: number;
  /** Stats answer 400 "unavailable" this long after create (guess: a few minutes). */
  statsDelay: number;
  /** Backups read `Scheduling` this long after enabling (guess). */
  backupScheduling: number;
  /** An automatic backup is taken this often while backups are enabled. */
  automaticBackupEvery: number;
  /** Backups cannot be re-enabled this long after a cancel (spec §4: 24 hours). */
  backupsReenableBlock: number;
  /** A Lish credential must be used this soon after it was issued (guess). */
  lishCredential: number;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

export const DEFAULT_DURATIONS: Durations = {
  provisioning: 30 * SECOND,
  booting: 20 * SECOND,
  shutdown: 15 * SECOND,
  reboot: 30 * SECOND,
  rebuild: 90 * SECOND,
  resize: 120 * SECOND,
  restore: 120 * SECOND,
  snapshot: 60 * SECOND,
  delete: 5 * SECOND,
  statsDelay: 5 * MINUTE,
  backupScheduling: 2 * MINUTE,
  automaticBackupEvery: 24 * HOUR,
  backupsReenableBlock: 24 * HOUR,
  lishCredential: 5 * MINUTE,
};

/** Demo mode: real time, and a new server is running within three seconds. */
export const DEMO_DURATIONS: Durations = {
  ...DEFAULT_DURATIONS,
  provisioning: 1500,
  booting: 1000,
  shutdown: 1000,
  reboot: 1500,
  rebuild: 2500,
  resize: 3000,
  restore: 3000,
  snapshot: 3000,
  delete: 1000,
  statsDelay: 10 * SECOND,
  backupScheduling: 5 * SECOND,
};

export interface LinodeEmulatorOptions {
  /** The one bearer token accepted. Default `LINODE_EMULATOR_TOKEN`. */
  token?: string;
  /** Injectable clock; pass a `SteppedClock` to step time in tests. Default: real time. */
  clock?: Clock;
  /** Real time with short durations (DEMO_DURATIONS) unless `durations` says otherwise. */
  demo?: boolean;
  durations?: Partial<Durations>;
  /** Requests allowed per window per token (spec §5 general limit: 800 / 120 s). */
  rateLimit?: { limit: number; windowSeconds: number };
  /** Names whose forward lookup (A/AAAA) gives these addresses, for the rDNS rule. */
  resolvableNames?: Record<string, string | string[]>;
  /** Domains under which `a-b-c-d.<domain>` resolves to a.b.c.d (like an rDNS base domain's wildcard records). */
  resolvesDomains?: string[];
  /** Public traffic of a running instance, bytes per second (in + out). Default 25 000. */
  transferBytesPerSecond?: number;
  /** Listening port; default: a free one. */
  port?: number;
}

/** A clock tests move by hand. */
export interface SteppedClock extends Clock {
  advance(ms: number): void;
  set(at: Date): void;
}

export function createSteppedClock(start = new Date('2026-03-02T09:00:00Z')): SteppedClock {
  let at = start.getTime();
  return {
    now: () => new Date(at),
    advance: (ms) => void (at += ms),
    set: (d) => void (at = d.getTime()),
  };
}

export const isStepped = (clock: Clock): clock is SteppedClock =>
  typeof (clock as Partial<SteppedClock>).advance === 'function';
