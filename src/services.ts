import type { Hono } from 'hono';
import type PgBoss from 'pg-boss';
import type { Config } from './config.ts';
import { createDb, onAuthWrite, onDataWrite, type Db } from './db/index.ts';
import type { CloudConnector, Deps } from './domain/deps.ts';
import { SharedRateLimiter } from './domain/security/shared-limiter.ts';
import { DataCache } from './lib/data-cache.ts';
import { createLogger, type Logger } from './lib/log.ts';
import { systemClock, type Clock } from './lib/time.ts';
import { decryptSecret } from './lib/crypto.ts';
import { CloudError, type CloudProvider } from './providers/cloud.ts';
import {
  FRAUDLABSPRO_EMULATOR_PATH,
  fraudLabsProDemoEmulator,
  fraudScreenerFromConfig,
} from './providers/fraudlabspro/index.ts';
import type { LinodeEmulator } from './providers/linode/emulator/index.ts';
import type { EnhanceEmulator } from './providers/enhance/emulator/index.ts';
import {
  ENHANCE_EMULATOR_MASTER_ORG_ID,
  ENHANCE_EMULATOR_PATH,
  ENHANCE_EMULATOR_TOKEN,
} from './providers/enhance/index.ts';
import type { DemoSshServer } from './providers/ssh/emulator/index.ts';
import { createLinodeProvider } from './providers/linode/index.ts';
import { createMailTransport } from './mail/delivery.ts';
import type { MailTransport } from './providers/mail/index.ts';
import { paypalEmulatorApp, type PayPalEmulatorState } from './providers/paypal/emulator/index.ts';
import { PAYPAL_EMULATOR_PATH, paypalFromConfig, type PayPalClient } from './providers/paypal/index.ts';
import { bossQueue, createBoss, createQueues } from './queue/index.ts';
import { holdLiveness } from './queue/liveness.ts';
import { startReaper } from './queue/reaper.ts';
import type { Manifest } from './web/assets.ts';
import type { AppDeps } from './web/context.ts';
import { RealtimeHub } from './web/realtime/hub.ts';
import { RenderedPages } from './web/rendered-pages.ts';
import { SessionCache } from './domain/accounts/session-cache.ts';
import type { CachedToken } from './web/api/v1/bearer-auth.ts';

/**
 * The composition root: everything one process needs, built once. `src/main.ts`, the test
 * context (test/helpers/context.ts) and the benchmark (bench/run.ts) call it; nothing else
 * wires providers or emulators.
 *
 *   createServices(config, { databaseUrl })   db, clock, logger, pg-boss and its queues, the
 *                                             outside systems (mail, PayPal, FraudLabs Pro, the
 *                                             cloud provider) and the emulators to serve
 *   startWeb(services, { assets })            adds what serving HTTP needs (the LISTEN hub,
 *                                             the shared rate limiter): the deps of createApp
 *   services.stop()                           stops all of it, newest first
 *
 * Outside systems come from the configuration: real credentials use the real service; without
 * them, and with emulators enabled, the demo emulators this process serves itself (PayPal and
 * FraudLabs Pro under /_emulators, reached over `loopback`) or starts (Linode, on 127.0.0.1).
 * Tests replace any of them through `overrides`.
 */

/**
 * The demo Enhance emulator: where the app mounts it, and the master org's token and id it
 * accepts (the demo hosting integration is seeded with these).
 */
export const enhanceEmulatorDefaults = {
  path: ENHANCE_EMULATOR_PATH,
  token: ENHANCE_EMULATOR_TOKEN,
  masterOrgId: ENHANCE_EMULATOR_MASTER_ORG_ID,
} as const;

/** An emulator served by the app under its own path (src/app.ts mounts these). */
export interface MountedEmulator {
  path: string;
  app: Hono;
}

export interface Services extends Deps {
  /** PostgreSQL's URL: pg-boss and the LISTEN hub open their own connections with it. */
  databaseUrl: string;
  boss: PgBoss;
  /** How queued email leaves (outbox, SMTP or Resend). */
  mail: MailTransport;
  /** PayPal (or its emulator); null when none is configured (top-ups answer 503). */
  paypal: PayPalClient | null;
  /** Webhook deliveries are verified against this id; none → every delivery is refused. */
  paypalWebhookId: string | undefined;
  /** The demo PayPal emulator's state when this process serves it, else null (the billing page says "no real money"). */
  paypalEmulator: PayPalEmulatorState | null;
  /** The server provider (Linode, or the Linode emulator in demo mode); null when there is none. */
  cloud: CloudProvider | null;
  emulators: {
    /** Served by the app under /_emulators (demo mode only). Their programmatic controls are never served. */
    mounted: MountedEmulator[];
    /** The demo Linode emulator this process started on 127.0.0.1, if any. */
    linode: LinodeEmulator | null;
    /** The demo SSH server (127.0.0.1) the emulated provider's servers are reached at by SSH consoles, if any. */
    ssh: DemoSshServer | null;
    /** The demo Enhance emulator (mounted under /_emulators/enhance), if any: its state and fault controls, never served. */
    enhance: EnhanceEmulator | null;
  };
  /** Stops what was started here (and by `startWeb`), newest first. `graceful: false` drops pg-boss's running jobs. */
  stop(opts?: { graceful?: boolean }): Promise<void>;
}

/** What a caller may supply instead of what would be built; `null` means "none". */
export interface ServiceOverrides {
  /** An open pool to use (tests share the database they created); the caller closes it. */
  db: Db;
  clock: Clock;
  log: Logger;
  mail: MailTransport;
  /** A PayPal client (tests: a real client of their own emulator), with the webhook id its deliveries carry. */
  paypal: PayPalClient | null;
  paypalWebhookId: string | undefined;
  fraud: Deps['fraud'] | null;
  cloud: CloudProvider | null;
}

export interface ServiceOptions {
  /** The PostgreSQL to use (DATABASE_URL, or the embedded cluster's). */
  databaseUrl: string;
  /**
   * This process's own HTTP origin when it serves the demo emulators and can reach itself
   * (main: `config.loopbackOrigin` when WEB_ENABLED). Without it no client is pointed at a
   * mounted emulator: demo PayPal and FraudLabs Pro stay off.
   */
  loopback?: string;
  /** Run pg-boss's scheduler and supervisor (cron, expiry). Default `config.JOBS_ENABLED`. */
  schedule?: boolean;
  /** pg-boss reports trouble as events; default: logged as errors. */
  onQueueError?: (err: Error & { code?: string }) => void;
  overrides?: Partial<ServiceOverrides>;
}

export async function createServices(config: Config, opts: ServiceOptions): Promise<Services> {
  const over = opts.overrides ?? {};
  const stops: Array<(o: { graceful: boolean }) => Promise<unknown>> = [];
  const log = over.log ?? createLogger(config.LOG_LEVEL);
  const db = over.db ?? createDb(opts.databaseUrl, config.DATABASE_POOL_MAX);
  if (!over.db) stops.push(() => db.destroy());

  try {
    const schedule = opts.schedule ?? config.JOBS_ENABLED;
    const boss = createBoss(opts.databaseUrl, { schedule, supervise: schedule });
    boss.on('error', opts.onQueueError ?? ((err: Error) => log.error({ err: err.message }, 'job queue error')));
    // This process's liveness lock (work it holds names it, and is taken over the moment it dies)
    // and pg-boss need nothing from each other: their connections are made together.
    const [liveness, bossStarted] = await Promise.allSettled([holdLiveness(opts.databaseUrl, log), boss.start()]);
    // The lock is released last (stops run newest first), after the jobs it names have stopped.
    if (liveness.status === 'fulfilled') stops.push(() => liveness.value.stop());
    if (bossStarted.status === 'fulfilled')
      stops.push(({ graceful }) =>
        graceful
          ? boss.stop({ graceful: true, wait: true, timeout: 10_000 })
          : boss.stop({ graceful: false, wait: true }),
      );
    if (liveness.status === 'rejected') throw liveness.reason;
    if (bossStarted.status === 'rejected') throw bossStarted.reason;
    const node = liveness.value;
    await createQueues(boss);
    if (schedule) stops.push(startReaper({ db, boss, log, clock: over.clock ?? systemClock }, node));

    const mail = over.mail ?? createMailTransport(config);
    if (mail.close) stops.push(() => mail.close!());

    const loopback = config.emulatorsEnabled ? opts.loopback?.replace(/\/+$/, '') : undefined;
    const paypal =
      'paypal' in over
        ? { client: over.paypal ?? null, webhookId: over.paypalWebhookId, emulator: null }
        : paypalFromConfig(config, { demo: loopback ? { loopbackUrl: loopback } : undefined });
    const fraud =
      'fraud' in over
        ? (over.fraud ?? undefined)
        : fraudScreenerFromConfig(config, { emulatorUrl: loopback && `${loopback}${FRAUDLABSPRO_EMULATOR_PATH}` });

    const mounted: MountedEmulator[] = [];
    if (config.emulatorsEnabled) mounted.push({ path: FRAUDLABSPRO_EMULATOR_PATH, app: fraudLabsProDemoEmulator() });
    if (paypal.emulator) mounted.push({ path: PAYPAL_EMULATOR_PATH, app: paypalEmulatorApp(paypal.emulator) });
    // Web hosting: the Enhance emulator, mounted for the demo integration (SSO links point at it).
    let enhance: EnhanceEmulator | null = null;
    if (config.emulatorsEnabled) {
      const { createEnhanceEmulator } = await import('./providers/enhance/emulator/index.ts');
      enhance = createEnhanceEmulator({ publicOrigin: `${config.publicUrl}${ENHANCE_EMULATOR_PATH}` });
      mounted.push({ path: ENHANCE_EMULATOR_PATH, app: enhance.app });
    }

    // The server provider: no real one can be configured yet (the servers feature brings its
    // settings); in demo mode, a Linode emulator with short transitions, on 127.0.0.1.
    let linode: LinodeEmulator | null = null;
    let ssh: DemoSshServer | null = null;
    let cloud: CloudProvider | null = over.cloud ?? null;
    if (!('cloud' in over) && config.emulatorsEnabled) {
      // Loaded only here: production (no emulators) never loads the emulator's modules.
      const { startLinodeEmulator } = await import('./providers/linode/emulator/index.ts');
      linode = await startLinodeEmulator({ demo: true });
      stops.push(() => linode!.close());
      cloud = createLinodeProvider({ baseUrl: linode.url, token: linode.token });
      // Its servers' SSH consoles reach a demo SSH server with a simulated shell.
      const { startDemoSshServer } = await import('./providers/ssh/emulator/index.ts');
      ssh = await startDemoSshServer();
      stops.push(() => ssh!.close());
    }

    const services: Services = {
      db,
      config,
      clock: over.clock ?? systemClock,
      log,
      queue: bossQueue(boss),
      fraud,
      databaseUrl: opts.databaseUrl,
      boss,
      mail,
      paypal: paypal.client,
      paypalWebhookId: paypal.webhookId,
      paypalEmulator: paypal.emulator,
      cloud,
      clouds: cloudConnector(config, cloud),
      cache: new DataCache(),
      node,
      emulators: { mounted, linode, ssh, enhance },
      stop: (o = {}) => stopAll(stops, { graceful: o.graceful ?? true }, log),
    };
    servicesStops.set(services, stops);
    return services;
  } catch (err) {
    await stopAll(stops, { graceful: false }, log);
    throw err;
  }
}

export interface WebOptions {
  /** The built CSS/JS names (main: the image's manifest in production, a fresh build otherwise). */
  assets: Manifest;
  /** Reports whether the job queue is running, for /ready. Default: always. */
  queueHealthy?: () => boolean;
  /** How often rate-limit counts are written to PostgreSQL (tests flush by hand: far away). */
  rateLimitFlushMs?: number;
}

/** Adds what serving HTTP needs to `services` (the LISTEN hub, the shared rate limiter): createApp's deps. */
export async function startWeb(services: Services, opts: WebOptions): Promise<AppDeps> {
  const web = openWeb(services, opts);
  await web.started;
  return web.deps;
}

/**
 * `startWeb` without the wait: createApp's deps at once, and the LISTEN connection being made
 * (`started`). src/main.ts builds the app meanwhile, then serves once `started` resolves; until
 * then the hub does not listen, so the caches that depend on it are not used.
 */
export function openWeb(services: Services, opts: WebOptions): { deps: AppDeps; started: Promise<void> } {
  const stops = servicesStops.get(services);
  if (!stops) throw new Error('startWeb takes the services createServices built');
  const { log } = services;
  const hub = new RealtimeHub(services.databaseUrl, log);
  const started = hub.start();
  stops.push(() => hub.stop());
  const rateLimiter = new SharedRateLimiter(services.db, {
    flushMs: opts.rateLimitFlushMs,
    // IP rules and overrides from the data cache (forgotten through NOTIFY when they change).
    cache: services.cache,
    onError: (err) => log.warn({ err: err.message }, 'rate-limit flush failed'),
  });
  stops.push(() => rateLimiter.stop());
  // Signed-in sessions kept per process, forgotten through the hub (other processes' writes)
  // and at once for this process's own writes.
  const sessionCache = new SessionCache();
  const tokenCache = new SessionCache<CachedToken>();
  hub.watchSessions(sessionCache);
  hub.watchSessions(tokenCache);
  const unwatch = onAuthWrite(services.db, () => {
    sessionCache.forget('*');
    tokenCache.forget('*');
  });
  stops.push(async () => unwatch());
  // The same for the data cache (balances, arrears, organizations, the catalogue).
  hub.watchData(services.cache);
  const unwatchData = onDataWrite(services.db, () => services.cache.forget('*'));
  stops.push(async () => unwatchData());
  const deps = Object.assign(services, {
    assets: opts.assets,
    hub,
    rateLimiter,
    sessionCache,
    tokenCache,
    queueHealthy: opts.queueHealthy ?? (() => true),
    // At most 2,000 pages and 32 MB in this process, each forgotten after a minute without a view.
    renderedPages: new RenderedPages({ maxEntries: 2_000, maxBytes: 32 << 20, idleMs: 60_000 }),
  });
  return { deps, started };
}

/**
 * Provider rows to clients. An emulated row (the demo provider) is answered by `emulated`:
 * the Linode emulator this process started, or the provider a test passed. A real row gets a
 * Linode client with the row's token, opened with the install's keys; clients are kept per
 * row until the row changes.
 */
function cloudConnector(config: Config, emulated: CloudProvider | null): CloudConnector {
  const clients = new Map<string, { updatedAt: number; client: CloudProvider }>();
  const unreachable = (why: string) =>
    new CloudError('unavailable', why, 'Servers cannot be managed right now. Please try again later.');
  return {
    forProvider(row) {
      if (row.emulated) {
        if (!emulated)
          throw unreachable(
            'The demo provider is emulated, but no emulator runs in this process (EMULATORS_ENABLED is off).',
          );
        return emulated;
      }
      const known = clients.get(row.id);
      if (known && known.updatedAt === row.updated_at.getTime()) return known.client;
      if (!row.token_ciphertext) throw unreachable('The provider has no API token.');
      if (row.kind !== 'linode') throw unreachable(`Unknown provider kind ${row.kind}.`);
      const token = decryptSecret(config.encryptionKeys, row.token_ciphertext);
      const client = createLinodeProvider({ baseUrl: row.base_url ?? undefined, token });
      clients.set(row.id, { updatedAt: row.updated_at.getTime(), client });
      return client;
    },
  };
}

const servicesStops = new WeakMap<Services, Array<(o: { graceful: boolean }) => Promise<unknown>>>();

async function stopAll(
  stops: Array<(o: { graceful: boolean }) => Promise<unknown>>,
  o: { graceful: boolean },
  log: Logger,
): Promise<void> {
  // Each stop runs once, even when stop() is called again (a second signal during shutdown).
  for (const stop of stops.splice(0).reverse()) {
    await stop(o).catch((err: Error) => log.error({ err: err.message }, 'shutdown step failed'));
  }
}
