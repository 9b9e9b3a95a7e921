import { serve } from '@hono/node-server';
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import { sql } from 'kysely';
import { registerJobs } from '../jobs/index.ts';
import { createApp } from './app.ts';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { createDb, type Db } from './db/index.ts';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './db/embedded.ts';
import { migrateToLatest, pendingMigrations } from './db/migrate.ts';
import { seedDemoCatalogue } from './domain/catalogue/demo.ts';
import { seedDemoHosting } from './domain/hosting/demo.ts';
import { ensureFirstAdmin, hasPlatformAdmin } from './domain/accounts/bootstrap.ts';
import type { Deps } from './domain/deps.ts';
import { createLogger, type Logger } from './lib/log.ts';
import { serveMetrics } from './metrics/server.ts';
import { COMPILED } from './paths.ts';
import { createServices, openWeb } from './services.ts';
import { loadManifest } from './web/assets.ts';
import { attachConsole } from './web/console/index.ts';

const stops: Array<() => Promise<unknown>> = [];
let stopping = false;
/** Set by `fatal`: the process is ending because something failed. */
let failing = false;
let processLog: Logger | null = null;

/** Stops what has started, newest first (HTTP, jobs, pools, then the database), and exits with `code`. */
async function stopAndExit(code: number, reason: string): Promise<never> {
  if (!stopping) {
    stopping = true;
    processLog?.info({ reason }, 'shutting down');
    // A shutdown step that hangs must not keep a failed process alive.
    const deadline = setTimeout(() => process.exit(code), 20_000);
    deadline.unref();
    for (const stop of stops.reverse())
      await stop().catch((err: Error) => processLog?.error({ err: err.message }, 'shutdown step failed'));
    processLog?.info('stopped');
  }
  process.exit(code);
}

/** Anything that leaves the process unable to serve ends it with a non-zero code, so a supervisor restarts it. */
function fatal(err: unknown): Promise<never> {
  failing = true;
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
  // Outside production without a configured key, the first start generates one (src/config.ts).
  if (config.encryptionKeyFile) {
    const generated = !existsSync(config.encryptionKeyFile);
    void config.encryptionKeys.current;
    if (generated)
      log.info(
        { file: config.encryptionKeyFile },
        'generated the key for secrets at rest: keep this file with the database',
      );
  }

  let url = config.DATABASE_URL;
  if (!url) {
    log.info({ dir: config.EMBEDDED_PG_DIR }, 'no DATABASE_URL: starting the embedded PostgreSQL');
    const embedded: EmbeddedDatabase = await startEmbeddedPostgres(config.EMBEDDED_PG_DIR, config.EMBEDDED_PG_PORT, {
      log: (line) => log.debug({ postgres: line }),
      notice: (message) => log.info(message),
    });
    stops.push(() => embedded.stop());
    // Ctrl-C in a terminal reaches the database too; only an exit outside a shutdown is fatal.
    // A failure already ending the process because of it (a connection's error can be reported
    // first: pg-boss does not await a finished job's `complete`) still says why the database went.
    embedded.onUnexpectedExit((detail) => {
      if (!stopping) void fatal(new Error(detail));
      else if (failing) log.error({ err: detail }, 'the embedded PostgreSQL went away');
    });
    url = embedded.url;
  }
  // Development from the sources (`npm run dev`) rebuilds CSS from the templates at every start;
  // production and the compiled app (`npm start` builds what is stale first) use the last build.
  const built = config.isProduction || COMPILED ? loadManifest() : null;
  const assets = built ?? (await (await import('../scripts/build-assets.ts')).buildAssets());
  // The pool is made here so the migrations check can run while the services make their own
  // connections (pg-boss, the liveness lock): neither needs the other. Closed after the services.
  const db = createDb(url, config.DATABASE_POOL_MAX);
  stops.push(() => db.destroy());
  const [services] = await Promise.all([
    createServices(config, {
      databaseUrl: url,
      // The demo emulators this process serves are reached over loopback (PUBLIC_URL may be a proxy).
      loopback: config.WEB_ENABLED ? config.loopbackOrigin : undefined,
      // During shutdown (Ctrl-C also reaches the embedded database) dropped connections are expected.
      onQueueError: (err) => !stopping && log.error({ err: err.message }, 'job queue error'),
      overrides: { log, db },
    }).then((started) => {
      stops.push(() => started.stop());
      return started;
    }),
    prepareDatabase(db, log),
  ]);
  log.info(
    {
      paypal: services.paypalEmulator
        ? 'emulator (no real money)'
        : services.paypal
          ? new URL(config.PAYPAL_BASE_URL).host
          : 'not configured',
    },
    'payments',
  );
  // What the web server needs (its LISTEN connection) starts now, its connection made while the
  // first admin and the demo data are seeded, the job workers start and the app is built.
  const web = config.WEB_ENABLED ? openWeb(services, { assets, queueHealthy: () => !stopping }) : null;
  await seedFirstAdmin(services, log);
  // Demo mode: a provider answered by the built-in emulator, with plans to buy (no real servers).
  await seedDemoCatalogue(services).then(
    (seeded) => seeded && log.info('demo server catalogue created (emulated provider: no real servers)'),
    (err: Error) => log.warn({ err: err.message }, 'the demo server catalogue could not be created'),
  );
  // Demo mode: a hosting integration answered by the built-in Enhance emulator, plans priced (no real websites).
  await seedDemoHosting(services).then(
    (seeded) => seeded && log.info('demo hosting created (emulated Enhance panel: no real websites)'),
    (err: Error) => log.warn({ err: err.message }, 'the demo hosting could not be created'),
  );

  // The app is built while the job workers' and the LISTEN connections are made; it is served once they are.
  const jobs = config.JOBS_ENABLED && registerJobs(services);
  const app = web && createApp(web.deps);
  await Promise.all([jobs && jobs.then(() => log.info({ mail: services.mail.name }, 'jobs running')), web?.started]);

  if (web && app) {
    const server = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST });
    server.once(
      'error',
      (err) => void fatal(new Error(`cannot listen on ${config.HOST}:${config.PORT}: ${err.message}`)),
    );
    // Stop accepting first; in-flight requests finish before the pools close.
    stops.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    // The browser console's WebSocket (src/web/console); its consoles close (and are logged) before the server.
    const consoles = attachConsole(server as Server, web.deps);
    stops.push(() => consoles.close());
    log.info({ url: config.publicUrl }, `SkyPanel is listening on ${config.publicUrl}`);
  }

  // Prometheus on an internal listener, for web and worker-only processes alike (startWeb gave
  // `services` the realtime hub when this process serves HTTP).
  if (config.METRICS_PORT) {
    const metrics = await serveMetrics(services, { port: config.METRICS_PORT, host: config.METRICS_HOST });
    stops.push(() => metrics.close());
    log.info({ host: config.METRICS_HOST, port: metrics.port }, 'metrics listening');
  }
}

/** Migrations under an advisory lock: several instances starting together migrate once. */
async function prepareDatabase(db: Db, log: Logger) {
  // Usually there is nothing to apply: one query says so, without the lock or loading the migrations.
  if ((await pendingMigrations(db)).length === 0) return;
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
  // Every start but the first finds one: a query on a connection the pool has, without the lock
  // (whose held connection would have the pool open a second for the check).
  if (await hasPlatformAdmin(deps.db)) return;
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
