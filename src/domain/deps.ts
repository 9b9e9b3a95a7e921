import type { Config } from '../config.ts';
import type { Db } from '../db/index.ts';
import type { DataCache } from '../lib/data-cache.ts';
import type { Logger } from '../lib/log.ts';
import type { Clock } from '../lib/time.ts';
import type { CloudProvider } from '../providers/cloud.ts';
import type { PayPalClient } from '../providers/paypal/client.ts';
import type { JobQueue } from '../queue/index.ts';
import type { NodeLiveness } from '../queue/liveness.ts';
import type { FraudScreener } from './fraud/screen.ts';

/** What every domain function may use; passed explicitly, never read from globals. Built by src/services.ts. */
export interface Deps {
  db: Db;
  config: Config;
  clock: Clock;
  log: Logger;
  queue: JobQueue;
  /** Fraud screening provider (FraudLabs Pro or its emulator); absent when none is configured. */
  fraud?: FraudScreener;
  /** PayPal (or its emulator) for top-ups and refunds; null or absent when none is configured (they answer 503). */
  paypal?: PayPalClient | null;
  /** Server providers: the client for one `cloud_providers` row (see CloudConnector). */
  clouds: CloudConnector;
  /**
   * Small, often-read data kept per process (src/lib/data-cache.ts); in use only while a web
   * process's LISTEN hub keeps it correct, otherwise every read goes to the database.
   */
  cache: DataCache;
  /**
   * This process's liveness lock (src/queue/liveness.ts): its key is written on the work the
   * process holds (job runs, consoles) so others can take that work over the moment it dies.
   * Absent where no process's services were built (some tests).
   */
  node?: NodeLiveness;
}

/** What the domain needs to know of a `cloud_providers` row to reach it. */
export interface CloudProviderRow {
  id: string;
  kind: string;
  emulated: boolean;
  base_url: string | null;
  token_ciphertext: string | null;
  updated_at: Date;
}

/**
 * Turns a provider row into a client (src/services.ts builds it): an emulated row is answered
 * by the emulator this process started (or a test's), a real one by the provider's API with
 * the row's decrypted token. Throws CloudError('unavailable') when it cannot be reached (no
 * emulator running, no token).
 */
export interface CloudConnector {
  forProvider(row: CloudProviderRow): CloudProvider;
}

/** Where a request came from, recorded on sessions and used for rate limits. */
export interface RequestOrigin {
  ip: string;
  userAgent: string | null;
}
