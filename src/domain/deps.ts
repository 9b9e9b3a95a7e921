import type { Config } from '../config.ts';
import type { Db } from '../db/index.ts';
import type { Logger } from '../lib/log.ts';
import type { Clock } from '../lib/time.ts';
import type { PayPalClient } from '../providers/paypal/client.ts';
import type { JobQueue } from '../queue/index.ts';
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
}

/** Where a request came from, recorded on sessions and used for rate limits. */
export interface RequestOrigin {
  ip: string;
  userAgent: string | null;
}
