import { Kysely, PostgresDialect, type PostgresPool, type PostgresPoolClient, type Transaction } from 'kysely';
import { createHash } from 'node:crypto';
import pg from 'pg';
import type { Database } from './types.ts';

// bigint (int8) columns hold money and counters: read them as bigint, never as float.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => BigInt(v));
// char(n) columns (the currency codes, char(3)) are read without their blank padding, here once,
// so no caller trims them. Only trailing blanks are padding.
pg.types.setTypeParser(pg.types.builtins.BPCHAR, (v) => v.trimEnd());

export type Db = Kysely<Database>;
export type Tx = Transaction<Database>;
/** Either the pool or a transaction: domain functions accept both. */
export type DbOrTx = Kysely<Database>;

export function createDb(connectionString: string, max = 10): Db {
  const pool = new pg.Pool({ connectionString, max, application_name: 'skypanel' });
  // An idle client that dies (database restarted) must not crash the process.
  pool.on('error', () => undefined);
  const written = { auth: new Set<() => void>(), data: new Set<() => void>() };
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({
      pool: preparing(pool, (kind) => written[kind].forEach((fn) => fn())),
    }),
  });
  pools.set(db, pool);
  writeListeners.set(db, written);
  return db;
}

const writeListeners = new WeakMap<Db, Record<WriteKind, Set<() => void>>>();
type WriteKind = 'auth' | 'data';

/**
 * Calls `fn` once a write through this pool to what signed-in sessions depend on (sessions,
 * API access tokens, users, organization memberships, roles) is visible: when the statement completes outside a
 * transaction, or when its transaction commits. This process's session cache forgets at once,
 * instead of waiting for the database's NOTIFY to come back (other processes get that).
 * A session's last_seen_at moving on alone does not count.
 */
export function onAuthWrite(db: Db, fn: () => void): () => void {
  const set = writeListeners.get(db)?.auth;
  set?.add(fn);
  return () => set?.delete(fn);
}

/**
 * Calls `fn` once a write through this pool to what the data cache holds (src/lib/data-cache.ts:
 * wallets, arrears, servers, organizations, memberships, roles, the catalogue — the tables
 * migration 0021 watches — the bell's notifications, migration 0024, and announcements, migration
 * 0032, payments and fraud checks, migration 0044, and what a server's page shows: its actions,
 * charges, refunds, firewalls and notes, migration 0047) is visible, as `onAuthWrite` does.
 */
export function onDataWrite(db: Db, fn: () => void): () => void {
  const set = writeListeners.get(db)?.data;
  set?.add(fn);
  return () => set?.delete(fn);
}

const AUTH_WRITE =
  /\b(update|delete\s+from|insert\s+into)\s+"?(sessions|access_tokens|users|organization_members|roles)"?[\s(]/i;
const DATA_WRITE =
  /\b(update|delete\s+from|insert\s+into|truncate)\s+(table\s+)?"?(wallets|dunning_cases|servers|organizations|organization_members|roles|cloud_providers|cloud_catalogue|server_regions|server_plans|server_plan_prices|server_plan_regions|server_categories|server_images|server_apps|platform_settings|notifications|announcements|payments|fraud_checks|server_actions|server_charges|server_charge_refunds|firewall_servers|notes)"?[\s(]/i;
const TOUCH = /^update "(sessions|access_tokens)" set "(last_seen_at|last_used_at)" = \$1 where "id" = \$2$/;

/** The pools under the Db instances `createDb` built, for `poolStats`. */
const pools = new WeakMap<Db, pg.Pool>();

/** How a Db's pool is used right now (src/metrics reads it at scrape time); null for a Db createDb did not build. */
export function poolStats(db: Db): { total: number; idle: number; waiting: number; max: number } | null {
  const pool = pools.get(db);
  return pool
    ? { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max: pool.options.max ?? 10 }
    : null;
}

const PREPARABLE = /^\s*(select|insert|update|delete|with)\b/i;

/**
 * Runs every single-statement query as a named prepared statement (named by a hash of its
 * text), so PostgreSQL parses and plans each query shape once per connection instead of on
 * every request — about three times less database time for the queries on every page.
 * Statements are per connection and die with it; migrations run before any are prepared.
 */
function preparing(pool: pg.Pool, written: (kind: WriteKind) => void): PostgresPool {
  // What a query text is, worked out once per text: its prepared statement's name (hashing the
  // same few texts on every request showed in profiles) and whether it writes what sessions
  // depend on (a regular expression over each query's text showed too).
  const known = new Map<string, { name: string | undefined; authWrite: boolean; dataWrite: boolean }>();
  const about = (text: string) => {
    let k = known.get(text);
    if (!k) {
      k = {
        name:
          PREPARABLE.test(text) && !text.includes(';') && text.length < 20_000
            ? `k${createHash('sha1').update(text).digest('base64url')}`
            : undefined,
        authWrite: AUTH_WRITE.test(text) && !TOUCH.test(text),
        dataWrite: DATA_WRITE.test(text),
      };
      if (known.size < 5_000) known.set(text, k);
    }
    return k;
  };
  return {
    async connect() {
      const client = await pool.connect();
      // Writes inside a transaction count once it commits (see onAuthWrite, onDataWrite).
      let inTransaction = false;
      let pendingAuth = false;
      let pendingData = false;
      const announce =
        (auth: boolean, data: boolean) =>
        <R>(r: R) => {
          if (auth) written('auth');
          if (data) written('data');
          return r;
        };
      const query = (text: unknown, values?: unknown[]) => {
        if (typeof text !== 'string') return client.query(text as never);
        const k = about(text);
        const result = client.query(
          k.name ? { name: k.name, text, values: values ?? [] } : { text, values: values ?? [] },
        );
        const head = text.length < 80 ? text.trim().toLowerCase() : '';
        if (head.startsWith('begin') || head.startsWith('start transaction')) inTransaction = true;
        else if (head === 'commit' || head === 'rollback') {
          const [auth, data] = head === 'commit' ? [pendingAuth, pendingData] : [false, false];
          inTransaction = pendingAuth = pendingData = false;
          if (auth || data) return result.then(announce(auth, data));
        } else if (k.authWrite || k.dataWrite) {
          if (inTransaction) {
            pendingAuth ||= k.authWrite;
            pendingData ||= k.dataWrite;
          } else return result.then(announce(k.authWrite, k.dataWrite));
        }
        return result;
      };
      return {
        query: query as unknown as PostgresPoolClient['query'],
        release: (err?: boolean | Error) => client.release(err),
      };
    },
    end: () => pool.end(),
  };
}

/** Runs `fn` in a transaction, or inside the caller's transaction when one is given. */
export async function inTransaction<T>(db: DbOrTx, fn: (trx: Tx) => Promise<T>): Promise<T> {
  if (db.isTransaction) return fn(db as Tx);
  return db.transaction().execute(fn);
}
