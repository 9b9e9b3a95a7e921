import { serve } from '@hono/node-server';
import { sql } from 'kysely';
import { registerJobs } from '../jobs/index.ts';
import { createApp } from './app.ts';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { createDb, type Db } from './db/index.ts';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './db/embedded.ts';
import { migrateToLatest } from './db/migrate.ts';
import { ensureFirstAdmin } from './domain/accounts/bootstrap.ts';
import { billingDeps, loopbackOrigin } from './domain/billing/provider.ts';
import type { Deps } from './domain/deps.ts';
import { createFraudScreener, localEmulatorUrl } from './domain/fraud/provider.ts';
import { SharedRateLimiter } from './domain/security/shared-limiter.ts';
import { createLogger, type Logger } from './lib/log.ts';
import { systemClock } from './lib/time.ts';
import { createMailTransport } from './providers/mail/index.ts';
import { bossQueue, createBoss, createQueues } from './queue/index.ts';
import { loadManifest } from './web/assets.ts';
import { RealtimeHub } from './web/realtime/hub.ts';

const stops: Array<() => Promise<unknown>> = [];
let stopping = false;
let processLog: Logger | null = null;

/** Stops what has started, newest first (HTTP, jobs, pools, then the database), and exits with `code`. */
async function stopAndExit(code: number, reason: string): Promise<never> {
  if (!stopping) {
    stopping = true;
    processLog?.info({ reason }, 'shutting down');
    // A shutdown step that hangs must not keep a failed process alive.
    const deadline = setTimeout(() => process.exit(code), 20_000);
    deadline.unref();
    for (const stop of stops.reverse()) await stop().catch((err: Error) => processLog?.error({ err: err.message }, 'shutdown step failed'));
    processLog?.info('stopped');
  }
  process.exit(code);
}

/** Anything that leaves the process unable to serve ends it with a non-zero code, so a supervisor restarts it. */
function fatal(err: unknown): Promise<never> {
  const message = err instanceof Error ? err.message : String(err);
  if (processLog) processLog.fatal({ err: message }, 'fatal error');
  else console.error(`SkyPanel stopped: ${message}`);
  return stopAndExit(1, 'fatal error');
}

/** Starts SkyPanel: database (embedded when no DATABASE_URL), migrations, jobs, HTTP. */
async function main() {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  const log = createLogger(config.LOG_LEVEL);
  processLog = log;
  process.once('SIGINT', () => void stopAndExit(0, 'SIGINT'));
  process.once('SIGTERM', () => void stopAndExit(0, 'SIGTERM'));
  process.once('SIGHUP', () => void stopAndExit(0, 'SIGHUP'));
  process.on('uncaughtException', (err) => void fatal(err));
  process.on('unhandledRejection', (err) => void fatal(err));

  let url = config.DATABASE_URL;
  if (!url) {
    log.info({ dir: config.EMBEDDED_PG_DIR }, 'no DATABASE_URL: starting the embedded PostgreSQL');
    const embedded: EmbeddedDatabase = await startEmbeddedPostgres(config.EMBEDDED_PG_DIR, config.EMBEDDED_PG_PORT, {
      log: (line) => log.debug({ postgres: line }),
      notice: (message) => log.info(message),
    });
    stops.push(() => embedded.stop());
    // Ctrl-C in a terminal reaches the database too; only an exit outside a shutdown is fatal.
    embedded.onUnexpectedExit((detail) => !stopping && void fatal(new Error(detail)));
    url = embedded.url;
  }
  const db = createDb(url, config.DATABASE_POOL_MAX);
  stops.push(() => db.destroy());
  await prepareDatabase(db, log);

  // Development rebuilds CSS from the templates at every start; production uses the image's build.
  const built = config.isProduction ? loadManifest() : null;
  const assets = built ?? (await (await import('../scripts/build-assets.ts')).buildAssets());
  const boss = createBoss(url, { schedule: config.JOBS_ENABLED, supervise: config.JOBS_ENABLED });
  // During shutdown (Ctrl-C also reaches the embedded database) dropped connections are expected.
  boss.on('error', (err: Error) => !stopping && log.error({ err: err.message }, 'job queue error'));
  await boss.start();
  stops.push(() => boss.stop({ graceful: true, wait: true, timeout: 10_000 }));
  await createQueues(boss);
  const fraud = createFraudScreener(config, { emulatorUrl: config.emulatorsEnabled && config.WEB_ENABLED ? localEmulatorUrl(config) : undefined });
  // PayPal: real credentials, else (demo) the emulator this process serves, reached over loopback.
  const billing = billingDeps(config, { emulator: config.WEB_ENABLED ? { loopbackUrl: loopbackOrigin(config) } : undefined });
  const deps: Deps & typeof billing = { db, config, clock: systemClock, log, queue: bossQueue(boss), fraud, ...billing };
  log.info({ paypal: billing.paypalEmulator ? 'emulator (no real money)' : billing.paypal ? new URL(config.PAYPAL_BASE_URL).host : 'not configured' }, 'payments');
  await seedFirstAdmin(deps, log);

  if (config.JOBS_ENABLED) {
    const transport = createMailTransport(config);
    await registerJobs(boss, deps, transport);
    log.info({ mail: transport.name }, 'jobs running');
  }

  if (config.WEB_ENABLED) {
    const hub = new RealtimeHub(url, log);
    await hub.start();
    stops.push(() => hub.stop());
    const rateLimiter = new SharedRateLimiter(db, { onError: (err) => log.warn({ err: err.message }, 'rate-limit flush failed') });
    stops.push(() => rateLimiter.stop());
    const app = createApp({ ...deps, assets, hub, rateLimiter, queueHealthy: () => !stopping });
    const server = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST });
    server.once('error', (err) => void fatal(new Error(`cannot listen on ${config.HOST}:${config.PORT}: ${err.message}`)));
    // Stop accepting first; in-flight requests finish before the pools close.
    stops.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    log.info({ url: config.publicUrl }, `SkyPanel is listening on ${config.publicUrl}`);
  }
}

/** Migrations under an advisory lock: several instances starting together migrate once. */
async function prepareDatabase(db: Db, log: Logger) {
  await db.connection().execute(async (conn) => {
    await sql`select pg_advisory_lock(724171)`.execute(conn);
    try {
      const result = await migrateToLatest(db);
      for (const m of result.results ?? []) log.info({ migration: m.migrationName, status: m.status }, 'migration');
    } finally {
      await sql`select pg_advisory_unlock(724171)`.execute(conn);
    }
  });
}

async function seedFirstAdmin(deps: Deps, log: Logger) {
  await deps.db.connection().execute(async (conn) => {
    await sql`select pg_advisory_lock(724172)`.execute(conn);
    try {
      const created = await ensureFirstAdmin(deps);
      if (created?.generatedPassword) {
        // Printed once, to the terminal only (not the structured log).
        process.stdout.write(
          `\n  First platform admin created\n    email:    ${created.email}\n    password: ${created.generatedPassword}\n  Change it after signing in. It will not be shown again.\n\n`,
        );
      } else if (created) log.info({ email: created.email }, 'first platform admin created');
    } finally {
      await sql`select pg_advisory_unlock(724172)`.execute(conn);
    }
  });
}

main().catch((err: Error) => void fatal(new Error(`SkyPanel failed to start: ${err.message}`)));
