import { share } from './shared-values.ts';

/** The channel the database's triggers NOTIFY on when cached data changes (migration 0021). */
export const DATA_CHANNEL = 'skypanel_data';

/** The scope of data that is the same for everyone: plans, prices, regions, providers, platform settings. */
export const CATALOGUE = 'catalogue';

/** The scope of what one user sees across organizations (their memberships). */
export const userScope = (userId: string) => `user:${userId}`;

interface Entry {
  value: unknown;
  scopes: readonly string[];
  cachedAt: number;
}

/**
 * Small, often-read data kept in this process — an organization's balance and arrears for the
 * layout's banner, the organization switcher, the dashboard's figures, the catalogue — so a
 * page view does not ask PostgreSQL for it every time. Each entry names the scopes it depends
 * on (organization ids, `user:<id>`, `catalogue`), and is forgotten when any of them changes:
 *
 * - the database NOTIFYs `skypanel_data` with the scopes a committed write touched, whoever made
 *   it (triggers, migration 0021), and the LISTEN hub calls `notified()` in every process;
 * - a write from this process forgets everything at once, without waiting for its own
 *   notification, so a page shown right after a form sees the change (src/db/index.ts
 *   `onDataWrite`);
 * - it is only used while the hub is listening (`setListening`): when the LISTEN connection is
 *   lost notifications may be missed, so every read goes to the database until it is back;
 * - a read that started before an invalidation is not kept (it may hold the old data);
 * - every entry is read again after `ttlMs` whatever happens (a safety net, not the mechanism).
 *
 * Values are shared between requests: they are frozen when kept (src/lib/shared-values.ts), so
 * a change in place throws instead of changing what other requests see.
 */
export class DataCache {
  private readonly entries = new Map<string, Entry>();
  private readonly byScope = new Map<string, Set<string>>();
  private readonly inFlight = new Map<string, { generation: number; promise: Promise<unknown> }>();
  private listening = false;
  private generation = 0;
  private hits = 0;
  private misses = 0;

  constructor(private readonly opts: { ttlMs?: number; max?: number } = {}) {}

  get active(): boolean {
    return this.listening;
  }

  /** The hub reports its LISTEN connection: entries are used only while it listens, and start over either way. */
  setListening(listening: boolean): void {
    this.listening = listening;
    this.forget('*');
  }

  /**
   * The value under `key`, loaded by `load` when it is not kept (or the cache is not active).
   * `scopes`: what it depends on; a function of the loaded value when that decides it (the
   * organizations in a user's switcher). Concurrent reads of one key share one load.
   */
  async read<T>(
    key: string,
    scopes: readonly string[] | ((value: T) => readonly string[]),
    load: () => Promise<T>,
  ): Promise<T> {
    if (!this.listening) return load();
    const e = this.entries.get(key);
    if (e && Date.now() - e.cachedAt <= (this.opts.ttlMs ?? 30_000)) {
      this.hits++;
      return e.value as T;
    }
    this.misses++;
    const generation = this.generation;
    const pending = this.inFlight.get(key);
    if (pending && pending.generation === generation) return pending.promise as Promise<T>;
    const promise = load().then(
      (value) => {
        if (this.inFlight.get(key)?.promise === promise) this.inFlight.delete(key);
        if (this.listening && generation === this.generation)
          this.store(key, value, typeof scopes === 'function' ? scopes(value) : scopes);
        return value;
      },
      (err: unknown) => {
        if (this.inFlight.get(key)?.promise === promise) this.inFlight.delete(key);
        throw err;
      },
    );
    this.inFlight.set(key, { generation, promise });
    return promise;
  }

  private store(key: string, value: unknown, scopes: readonly string[]): void {
    if (this.entries.size >= (this.opts.max ?? 20_000)) this.forget('*');
    this.drop(key);
    this.entries.set(key, { value: share(value), scopes, cachedAt: Date.now() });
    for (const scope of scopes) {
      let keys = this.byScope.get(scope);
      if (!keys) this.byScope.set(scope, (keys = new Set()));
      keys.add(key);
    }
  }

  private drop(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.entries.delete(key);
    for (const scope of e.scopes) {
      const keys = this.byScope.get(scope);
      keys?.delete(key);
      if (keys?.size === 0) this.byScope.delete(scope);
    }
  }

  /** Forgets what depends on these scopes, or everything ('*'); reads in flight are not kept. */
  forget(scopes: readonly string[] | '*'): void {
    this.generation++;
    if (scopes === '*') {
      this.entries.clear();
      this.byScope.clear();
      return;
    }
    for (const scope of scopes) for (const key of [...(this.byScope.get(scope) ?? [])]) this.drop(key);
  }

  /** Handles a `skypanel_data` notification's payload: scopes, comma-separated, or '*'. */
  notified(payload: string | undefined): void {
    if (!payload || payload === '*') return this.forget('*');
    this.forget(payload.split(','));
  }

  /** Entries kept, and reads answered from them or loaded since the start (for /metrics). */
  get stats(): { size: number; hits: number; misses: number } {
    return { size: this.entries.size, hits: this.hits, misses: this.misses };
  }
}
