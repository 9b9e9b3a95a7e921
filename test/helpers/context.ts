import type PgBoss from 'pg-boss';
import { createApp } from '../../src/app.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import type { Db } from '../../src/db/index.ts';
import { billingDeps } from '../../src/domain/billing/provider.ts';
import type { Deps } from '../../src/domain/deps.ts';
import { createFraudScreener } from '../../src/domain/fraud/provider.ts';
import { createLogger } from '../../src/lib/log.ts';
import type { Clock } from '../../src/lib/time.ts';
import { SharedRateLimiter } from '../../src/domain/security/shared-limiter.ts';
import { bossQueue, createBoss } from '../../src/queue/index.ts';
import type { PayPalClient } from '../../src/providers/paypal/client.ts';
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
}

/**
 * The real app on its own database: real PostgreSQL, real pg-boss (jobs are enqueued; tests
 * run handlers directly), a real LISTEN hub. `env` overrides configuration.
 */
export async function createTestContext(env: Record<string, string> = {}, opts: TestContextOptions = {}): Promise<TestContext> {
  const database = opts.shareDatabase ? { ...opts.shareDatabase, drop: async () => undefined } : await createTestDatabase();
  const config = loadConfig({ NODE_ENV: 'test', BCRYPT_COST: '4', LOG_LEVEL: 'silent', DATABASE_URL: database.url, PUBLIC_URL: 'http://localhost:3000', TRUSTED_PROXY_COUNT: '1', ...env });
  const clock = new TestClock();
  const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
  const boss = createBoss(database.url, { schedule: false, supervise: false });
  // pg-boss reports trouble as 'error' events, which crash the file when nobody listens. Keep
  // them and fail the file's teardown with the first one; only the connections a dropped
  // database terminates while the context closes are expected.
  let closing = false;
  const bossErrors: Error[] = [];
  boss.on('error', (err: Error & { code?: string }) => {
    const terminated = err.code === '57P01' || /Connection terminated/i.test(err.message);
    if (!(closing && terminated)) bossErrors.push(err);
  });
  await boss.start();
  const hub = new RealtimeHub(database.url, log);
  await hub.start();
  // Fraud screening only when a test names a provider (FRAUDLABSPRO_API_KEY/_BASE_URL, e.g. an emulator).
  const deps: Deps = { db: database.db, config, clock, log, queue: bossQueue(boss), fraud: createFraudScreener(config) };
  // Tests flush explicitly (flushMs far away) so counts are deterministic.
  const rateLimiter = new SharedRateLimiter(database.db, { flushMs: 3_600_000 });
  // Receipts are issued when a top-up is credited, as in production.
  const billing = billingDeps(config, opts.paypalEmulator ? { emulator: { loopbackUrl: config.publicUrl } } : {});
  if (opts.paypal) Object.assign(billing, { paypal: opts.paypal, paypalWebhookId: opts.paypalWebhookId });
  const appDeps: AppDeps = { ...deps, ...billing, assets: loadManifest() ?? {}, hub, rateLimiter, queueHealthy: () => true };
  const app = createApp(appDeps);
  return {
    db: database.db,
    url: database.url,
    config,
    clock,
    deps: appDeps,
    boss,
    hub,
    app,
    async close() {
      closing = true;
      await rateLimiter.stop();
      await hub.stop();
      await boss.stop({ graceful: false, wait: true });
      await database.drop();
      if (bossErrors.length) throw bossErrors[0];
    },
  };
}
