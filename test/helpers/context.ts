import type PgBoss from 'pg-boss';
import { createApp } from '../../src/app.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import type { Db } from '../../src/db/index.ts';
import { createLogger } from '../../src/lib/log.ts';
import type { Clock } from '../../src/lib/time.ts';
import type { CloudProvider } from '../../src/providers/cloud.ts';
import type { PayPalClient } from '../../src/providers/paypal/client.ts';
import { createServices, startWeb } from '../../src/services.ts';
import { loadManifest } from '../../src/web/assets.ts';
import type { AppDeps } from '../../src/web/context.ts';
import { RealtimeHub } from '../../src/web/realtime/hub.ts';
import { createTestDatabase } from './db.ts';

/** A clock tests can move. */
export class TestClock implements Clock {
  constructor(private current = new Date()) {}
  now() {
    return new Date(this.current);
  }
  advance(ms: number) {
    this.current = new Date(this.current.getTime() + ms);
  }
  set(d: Date) {
    this.current = new Date(d);
  }
}

export interface TestContext {
  db: Db;
  url: string;
  config: Config;
  clock: TestClock;
  deps: AppDeps;
  boss: PgBoss;
  hub: RealtimeHub;
  app: ReturnType<typeof createApp>;
  close(): Promise<void>;
}

export interface TestContextOptions {
  shareDatabase?: { url: string; db: Db };
  /** The PayPal top-ups use: tests start `startPayPalEmulator` and pass a real client of it. Default: none (top-ups answer 503). */
  paypal?: PayPalClient;
  /** The webhook id deliveries are verified against (the emulator's `webhookId`). */
  paypalWebhookId?: string;
  /**
   * Demo wiring instead: the PayPal emulator mounted in the app under /_emulators/paypal and
   * reached at PUBLIC_URL (browser tests, where the app really listens there).
   */
  paypalEmulator?: boolean;
  /** The server provider (e.g. a Linode provider aimed at a test's emulator). Default: none. */
  cloud?: CloudProvider;
}

/**
 * The real app on its own database, wired by src/services.ts as main.ts wires it: real
 * PostgreSQL, real pg-boss (jobs are enqueued; tests run handlers directly), a real LISTEN hub.
 * `env` overrides configuration; the clock is a TestClock; outside systems are off unless a
 * test names one (a PayPal client of its emulator, FRAUDLABSPRO_* env, `paypalEmulator`).
 */
export async function createTestContext(
  env: Record<string, string> = {},
  opts: TestContextOptions = {},
): Promise<TestContext> {
  const database = opts.shareDatabase
    ? { ...opts.shareDatabase, drop: async () => undefined }
    : await createTestDatabase();
  const config = loadConfig({
    NODE_ENV: 'test',
    BCRYPT_COST: '4',
    LOG_LEVEL: 'silent',
    DATABASE_URL: database.url,
    PUBLIC_URL: 'http://localhost:3000',
    TRUSTED_PROXY_COUNT: '1',
    ...env,
  });
  const clock = new TestClock();
  const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
  // pg-boss reports trouble as 'error' events, which crash the file when nobody listens. Keep
  // them and fail the file's teardown with the first one; only the connections a dropped
  // database terminates while the context closes are expected.
  let closing = false;
  const bossErrors: Error[] = [];
  const services = await createServices(config, {
    databaseUrl: database.url,
    // Demo PayPal (browser tests): the app really listens at PUBLIC_URL, so that is its loopback.
    loopback: opts.paypalEmulator ? config.publicUrl : undefined,
    schedule: false,
    onQueueError: (err) => {
      const terminated = err.code === '57P01' || /Connection terminated/i.test(err.message);
      if (!(closing && terminated)) bossErrors.push(err);
    },
    overrides: {
      db: database.db,
      clock,
      log,
      ...(opts.paypal
        ? { paypal: opts.paypal, paypalWebhookId: opts.paypalWebhookId }
        : opts.paypalEmulator
          ? {}
          : { paypal: null }),
      // Fraud screening only when a test names a provider (FRAUDLABSPRO_API_KEY/_BASE_URL, e.g. an
      // emulator), never the demo one the loopback would give.
      ...(config.FRAUDLABSPRO_API_KEY ? {} : { fraud: null }),
      cloud: opts.cloud ?? null,
    },
  });
  // Tests flush rate-limit counts explicitly (flushMs far away) so counts are deterministic.
  const deps: AppDeps = await startWeb(services, { assets: loadManifest() ?? {}, rateLimitFlushMs: 3_600_000 });
  const app = createApp(deps);
  return {
    db: database.db,
    url: database.url,
    config,
    clock,
    deps,
    boss: services.boss,
    hub: deps.hub,
    app,
    async close() {
      closing = true;
      await services.stop({ graceful: false });
      await database.drop();
      if (bossErrors.length) throw bossErrors[0];
    },
  };
}
