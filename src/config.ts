import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { decodeKey, keyring, randomToken, type Keyring } from './lib/crypto.ts';
import { loadOrCreateKeyFile } from './lib/key-file.ts';
import { parseMoney } from './lib/money.ts';

/**
 * Environment, parsed once into a frozen, typed object. Every variable is documented in
 * `.env.example`; keep the two in step.
 */
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const schema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  PORT: int(0, 65535).default(3000),
  // Default: 127.0.0.1 outside production (a laptop's demo is not on the network), 0.0.0.0 in production.
  HOST: z.string().min(1).optional(),
  PUBLIC_URL: z.url().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  DATABASE_POOL_MAX: int(1, 200).default(10),
  EMBEDDED_PG_DIR: z.string().min(1).default('./data/postgres'),
  EMBEDDED_PG_PORT: int(1024, 65535).default(54329),

  // SESSION_SECRET is no longer read (nothing signs with a server secret: every token is random
  // and stored hashed). Setting it does no harm.
  ENCRYPTION_KEY: z.string().optional(),
  ENCRYPTION_KEYS: z.string().optional(),
  SESSION_IDLE_MINUTES: int(5, 60 * 24 * 30).default(720),
  SESSION_ABSOLUTE_DAYS: int(1, 365).default(14),
  API_TOKEN_DAYS: int(1, 365).default(30),
  TRUSTED_PROXY_COUNT: int(0, 10).default(0),

  RATE_LIMIT_WINDOW_MINUTES: int(1, 1440).default(15),
  RATE_LIMIT_ANONYMOUS: int(1, 1_000_000).default(1000),
  RATE_LIMIT_AUTHENTICATED: int(1, 1_000_000).default(5000),
  RATE_LIMIT_ADMIN: int(1, 1_000_000).default(10000),
  RATE_LIMIT_AUTH_ACTIONS: int(1, 10_000).default(20),
  LOGIN_LOCKOUT_ATTEMPTS: int(1, 1000).default(5),
  LOGIN_LOCKOUT_MINUTES: int(1, 1440).default(15),
  LOGIN_IP_LOCKOUT_ATTEMPTS: int(1, 10_000).default(50),

  DEFAULT_ADMIN_EMAIL: z.email().default('admin@skypanel.local'),
  DEFAULT_ADMIN_PASSWORD: z.string().min(8).max(72).optional(),
  BRAND_NAME: z.string().min(1).default('SkyPanel'),
  BILLING_CURRENCY: z
    .string()
    .regex(/^[A-Z]{3}$/, 'must be a 3-letter currency code')
    .default('USD'),
  // Low-balance reminders below this balance (decimal, at most 2 places): notifications/reminders.ts.
  LOW_BALANCE_THRESHOLD: z
    .string()
    .refine((v) => (parseMoney(v, 2) ?? -1n) >= 0n, 'must be an amount like 5.00 (at least 0, at most 2 decimals)')
    .default('5.00'),

  // Dunning (src/domain/dunning): hours in arrears before servers are suspended, days before they are deleted.
  DUNNING_SUSPEND_AFTER_HOURS: int(0, 24 * 365).default(24),
  DUNNING_TERMINATE_AFTER_DAYS: int(2, 365).default(7),
  /** Days a resolved support ticket stays resolved before the maintenance job closes it; 0: never. */
  TICKET_AUTO_CLOSE_DAYS: int(0, 365).default(7),
  // Ticket attachments (src/domain/support/attachments.ts): the largest file in bytes, and files per message.
  TICKET_ATTACHMENT_MAX_BYTES: int(1024, 100 * 1024 * 1024).default(10 * 1024 * 1024),
  TICKET_ATTACHMENTS_PER_MESSAGE: int(1, 20).default(5),

  // Stored files (src/domain/files): in PostgreSQL unless an S3-compatible bucket is set (path-style URLs).
  S3_ENDPOINT: z.url().optional(),
  S3_BUCKET: z.string().min(3).max(63).optional(),
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_ACCESS_KEY_ID: z.string().optional(),
  S3_SECRET_ACCESS_KEY: z.string().optional(),

  MAIL_TRANSPORT: z.enum(['outbox', 'smtp', 'resend']).optional(),
  MAIL_FROM: z.string().min(3).default('SkyPanel <no-reply@skypanel.local>'),
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL')
    .optional(),
  RESEND_API_KEY: z.string().optional(),
  RESEND_BASE_URL: z.url().default('https://api.resend.com'),

  FRAUDLABSPRO_API_KEY: z.string().optional(),
  FRAUDLABSPRO_BASE_URL: z.url().default('https://api.fraudlabspro.com'),

  /** The update check's feed (src/domain/operations/update-check.ts); unset: off. */
  UPDATE_FEED_URL: z.url().optional(),

  PAYPAL_CLIENT_ID: z.string().optional(),
  PAYPAL_CLIENT_SECRET: z.string().optional(),
  PAYPAL_BASE_URL: z.url().default('https://api-m.sandbox.paypal.com'),
  PAYPAL_WEBHOOK_ID: z.string().optional(),

  // The browser console (src/web/console, .env.example): minutes without typing before a console
  // closes (fractions allowed: 0.05 is 3 s), open consoles per user, per server (across every
  // process) and per process, and the largest message a browser may send, in KiB.
  CONSOLE_IDLE_MINUTES: z.coerce.number().min(0.01).max(1440).default(30),
  CONSOLE_MAX_PER_USER: int(1, 100).default(3),
  CONSOLE_MAX_PER_SERVER: int(1, 100).default(2),
  CONSOLE_MAX_PER_PROCESS: int(1, 100_000).default(500),
  CONSOLE_MAX_MESSAGE_KB: int(1, 1024).default(64),

  JOBS_ENABLED: bool.default(true),
  WEB_ENABLED: bool.default(true),
  EMULATORS_ENABLED: bool.optional(),
  EMULATORS_IN_PRODUCTION: z.string().optional(),
  BCRYPT_COST: int(4, 15).default(12),

  // GET /metrics (src/metrics): a scraper's bearer token; unset, /metrics is not served on PORT (404).
  METRICS_TOKEN: z
    .string()
    .regex(/^[\x21-\x7e]{32,256}$/, 'must be 32 to 256 visible ASCII characters (openssl rand -hex 32)')
    .optional(),
  // An internal listener serving only /metrics (no token needed there unless METRICS_TOKEN is set).
  METRICS_PORT: int(1, 65535).optional(),
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
});

export type Config = Readonly<
  Omit<z.infer<typeof schema>, 'HOST'> & {
    /** The interface to listen on (HOST, else 127.0.0.1 outside production and 0.0.0.0 in it). */
    HOST: string;
    isProduction: boolean;
    publicUrl: string;
    /** This process's own HTTP origin over loopback, for what it calls on itself (the demo emulators). */
    loopbackOrigin: string;
    /**
     * Keys for secrets at rest (ENCRYPTION_KEYS / ENCRYPTION_KEY; outside production without
     * them, a generated key file, read on first use; see `encryptionKeysFor`).
     */
    encryptionKeys: Keyring;
    /** Where the generated key file is, when the keys come from one. */
    encryptionKeyFile: string | null;
    mailTransport: 'outbox' | 'smtp' | 'resend';
    emulatorsEnabled: boolean;
    /** Production with emulators on (a demo server, explicitly allowed): every page says so. */
    emulatorsInProduction: boolean;
    cookieName: string;
    /** LOW_BALANCE_THRESHOLD in micro-units. */
    lowBalanceThreshold: bigint;
  }
>;

/** Thrown with one line per problem; main.ts prints them and exits. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** The value EMULATORS_IN_PRODUCTION must have for a production server to run the emulators. */
export const EMULATORS_IN_PRODUCTION_CONSENT = 'i-understand-no-real-money';

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const c = parsed.data;
  const isProduction = c.NODE_ENV === 'production';
  const problems: string[] = [];

  const encryption = encryptionKeysFor(c, problems);
  if (c.MAIL_TRANSPORT === 'smtp' && !c.SMTP_URL) problems.push('SMTP_URL: required when MAIL_TRANSPORT=smtp');
  if (c.MAIL_TRANSPORT === 'resend' && !c.RESEND_API_KEY)
    problems.push('RESEND_API_KEY: required when MAIL_TRANSPORT=resend');
  if (!c.PAYPAL_CLIENT_ID !== !c.PAYPAL_CLIENT_SECRET)
    problems.push('PAYPAL_CLIENT_ID / PAYPAL_CLIENT_SECRET: set both or neither');
  // Without it every webhook is refused, and a capture PayPal holds (PENDING) is never credited.
  if (isProduction && c.PAYPAL_CLIENT_ID && !c.PAYPAL_WEBHOOK_ID)
    problems.push('PAYPAL_WEBHOOK_ID: required in production when PayPal credentials are set');
  // The final notice goes out 24 h before deletion, after the suspension.
  if (c.DUNNING_SUSPEND_AFTER_HOURS > c.DUNNING_TERMINATE_AFTER_DAYS * 24 - 24)
    problems.push(
      'DUNNING_SUSPEND_AFTER_HOURS: must be at most DUNNING_TERMINATE_AFTER_DAYS × 24 − 24 (servers are suspended before the final notice, which comes 24 h before deletion)',
    );
  if (isProduction && c.DEFAULT_ADMIN_PASSWORD && c.DEFAULT_ADMIN_PASSWORD.length < 12) {
    problems.push('DEFAULT_ADMIN_PASSWORD: at least 12 characters in production');
  }
  const emulatorsEnabled = c.EMULATORS_ENABLED ?? !isProduction;
  // Emulators take payments nobody receives: a production server runs them only when told twice.
  if (isProduction && emulatorsEnabled && c.EMULATORS_IN_PRODUCTION !== EMULATORS_IN_PRODUCTION_CONSENT) {
    problems.push(
      `EMULATORS_ENABLED: in production the emulators (no real money moves) also need EMULATORS_IN_PRODUCTION=${EMULATORS_IN_PRODUCTION_CONSENT}`,
    );
  }
  if (!c.S3_ENDPOINT !== !c.S3_BUCKET) problems.push('S3_ENDPOINT / S3_BUCKET: set both or neither');
  if (c.S3_ENDPOINT && (!c.S3_ACCESS_KEY_ID || !c.S3_SECRET_ACCESS_KEY))
    problems.push('S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY: required with S3_ENDPOINT');
  if (c.METRICS_PORT !== undefined && c.METRICS_PORT === c.PORT)
    problems.push('METRICS_PORT: must differ from PORT (it is a second, internal listener)');
  if (problems.length) throw new ConfigError(problems);

  const mailTransport = c.MAIL_TRANSPORT ?? (c.RESEND_API_KEY ? 'resend' : c.SMTP_URL ? 'smtp' : 'outbox');
  if (isProduction && mailTransport === 'outbox' && c.MAIL_TRANSPORT !== 'outbox') {
    throw new ConfigError(['MAIL_TRANSPORT: production needs smtp or resend (or MAIL_TRANSPORT=outbox explicitly)']);
  }
  const port = c.PORT;
  const host = c.HOST ?? (isProduction ? '0.0.0.0' : '127.0.0.1');
  return Object.freeze({
    ...c,
    HOST: host,
    isProduction,
    publicUrl: (c.PUBLIC_URL ?? `http://localhost:${port}`).replace(/\/$/, ''),
    loopbackOrigin: loopbackOrigin(host, port),
    encryptionKeys: encryption.keys,
    encryptionKeyFile: encryption.file,
    mailTransport,
    emulatorsEnabled,
    emulatorsInProduction: isProduction && emulatorsEnabled,
    cookieName: isProduction ? '__Host-sp_session' : 'sp_session',
    lowBalanceThreshold: parseMoney(c.LOW_BALANCE_THRESHOLD, 2)!,
  });
}

/**
 * The keys secrets at rest (TOTP seeds, provider tokens) are sealed with:
 *   ENCRYPTION_KEYS=2:<key>,1:<old key>   versioned keys, the first is current (rotation: add a
 *                                          new first entry, keep the old ones while anything
 *                                          sealed with them remains)
 *   ENCRYPTION_KEY=<key>                   the single-key form: version 1
 *   neither, in production                 refused
 *   neither, NODE_ENV=test                 a random key for this process
 *   neither, otherwise                     a key generated on first use and kept (mode 0600) in
 *                                          `<dirname of EMBEDDED_PG_DIR>/encryption-keys.json`,
 *                                          beside the embedded database's files; with
 *                                          DATABASE_URL only when PUBLIC_URL is loopback (a
 *                                          server others reach, maybe one of several sharing the
 *                                          database, needs a key it was given)
 * Keys are 32 bytes, as 64 hex characters or base64.
 */
function encryptionKeysFor(c: z.infer<typeof schema>, problems: string[]): { keys: Keyring; file: string | null } {
  const unused = { keys: TEST_KEYS, file: null };
  if (c.ENCRYPTION_KEY && c.ENCRYPTION_KEYS) {
    problems.push(
      'ENCRYPTION_KEY / ENCRYPTION_KEYS: set one of them (ENCRYPTION_KEY=<key> is ENCRYPTION_KEYS=1:<key>)',
    );
    return unused;
  }
  const spec = c.ENCRYPTION_KEYS ?? (c.ENCRYPTION_KEY ? `1:${c.ENCRYPTION_KEY}` : null);
  if (spec) {
    const name = c.ENCRYPTION_KEYS ? 'ENCRYPTION_KEYS' : 'ENCRYPTION_KEY';
    try {
      return { keys: parseKeyring(spec), file: null };
    } catch (err) {
      problems.push(`${name}: ${(err as Error).message}`);
      return unused;
    }
  }
  if (c.NODE_ENV === 'production') {
    problems.push(
      'ENCRYPTION_KEY: required in production (32 bytes as 64 hex characters or base64: openssl rand -hex 32)',
    );
    return unused;
  }
  if (c.NODE_ENV === 'test') return { keys: TEST_KEYS, file: null };
  if (c.DATABASE_URL && !isLoopbackUrl(c.PUBLIC_URL)) {
    problems.push(
      'ENCRYPTION_KEY: required with DATABASE_URL when PUBLIC_URL is not a loopback address (every server sharing the database needs the same key: openssl rand -hex 32)',
    );
    return unused;
  }
  const file = path.join(path.dirname(path.resolve(c.EMBEDDED_PG_DIR)), 'encryption-keys.json');
  // A database that already existed may hold secrets sealed with the fixed development key
  // earlier versions used: keep it as version 1, for reading those only.
  const existed = Boolean(c.DATABASE_URL) || existsSync(`${path.resolve(c.EMBEDDED_PG_DIR)}.credentials.json`);
  let loaded: Keyring | null = null;
  const load = () => (loaded ??= loadOrCreateKeyFile(file, existed ? { legacy: FORMER_DEVELOPMENT_KEY } : {}).keys);
  return {
    keys: {
      get current() {
        return load().current;
      },
      key: (version) => load().key(version),
    },
    file,
  };
}

/** `2:<key>,1:<key>` (or one `<key>` for version 1) as a keyring, current first; throws with what is wrong. */
export function parseKeyring(spec: string): Keyring {
  const entries = spec.split(',').map((part) => {
    const m = /^\s*(\d+)\s*:\s*(\S+)\s*$/.exec(part);
    if (!m)
      throw new Error('write versioned keys as <version>:<key>, comma-separated, current first (2:<new>,1:<old>)');
    const key = decodeKey(m[2]!);
    if (!key) throw new Error(`key version ${m[1]} must be 32 bytes as 64 hex characters or base64`);
    return [Number(m[1]), key] as const;
  });
  return keyring(entries);
}

const isLoopbackUrl = (url: string | undefined) => {
  if (!url) return true; // the default, http://localhost:<PORT>
  const host = new URL(url).hostname;
  return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
};

/** NODE_ENV=test without a key: random, for this process only. */
const TEST_KEYS = keyring([[1, Buffer.from(randomToken(32), 'base64url')]]);
/** The key every development install used before keys were generated: public, so read-only. */
const FORMER_DEVELOPMENT_KEY = Buffer.alloc(32, 7);

/** `http://<host>:<port>` reaching this process over loopback: a wildcard HOST becomes 127.0.0.1, an IPv6 one is bracketed. */
function loopbackOrigin(host: string, port: number): string {
  const wildcard = host === '0.0.0.0' || host === '::';
  const name = wildcard ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return `http://${name}:${port}`;
}
