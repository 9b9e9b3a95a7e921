import type { CloudProvider } from './cloud.ts';

/**
 * A short-lived, per-process memory of a cloud client's read-only answers about one instance
 * (graphs, transfer, addresses, backups): what a server's page shows on every view. Without
 * it each view costs 3–4 provider calls, and a page viewed often (or by many people) runs
 * into the provider's rate limit (Linode: 800 requests per 2 minutes), after which every
 * page says "unavailable". These facts move slowly at the provider (stats are 5-minute
 * points, transfer a monthly counter, backups daily), so 15 seconds old is as good as new.
 *
 * Freshness after a change comes from the `mark` the caller passes, not from this process:
 * the domain reads it with the server's row (servers/page.ts), and every write the app makes
 * to an instance (an action of any kind, a status change) moves it. So the next view after a
 * write, on this process or any other behind the same database, asks the provider again, and
 * nothing here needs to hear about writes.
 *
 * Entries are per client object (a new token or base URL is a new client, hence a new memory)
 * and per instance; expired ones are dropped as new ones come, and there are never more than
 * `max` (a day's graphs are some tens of kilobytes: 1,000 entries stay within tens of MB).
 * Concurrent identical reads share one call; a failed call is forgotten as soon as it fails.
 */

/** How long an answer is reused (see above), and how many answers are kept at most. */
export const CLOUD_READ_TTL_MS = 15_000;
export const CLOUD_READ_MAX_ENTRIES = 1_000;

interface Entry {
  mark: string;
  expiresAt: number;
  promise: Promise<unknown>;
}

/** Answers by key and mark, reused until `ttlMs` after the call started; failures never kept. */
export class ReadCache {
  private readonly entries = new Map<string, Entry>();
  private readonly ttlMs: number;
  private readonly max: number;
  private readonly now: () => number;

  constructor(opts: { ttlMs?: number; max?: number; now?: () => number } = {}) {
    this.ttlMs = opts.ttlMs ?? CLOUD_READ_TTL_MS;
    this.max = opts.max ?? CLOUD_READ_MAX_ENTRIES;
    this.now = opts.now ?? (() => performance.now());
  }

  get size(): number {
    return this.entries.size;
  }

  read<T>(key: string, mark: string, load: () => Promise<T>): Promise<T> {
    const now = this.now();
    const known = this.entries.get(key);
    if (known && known.mark === mark && known.expiresAt > now) return known.promise as Promise<T>;
    const entry: Entry = { mark, expiresAt: now + this.ttlMs, promise: load() };
    this.entries.delete(key);
    this.entries.set(key, entry);
    // Map order is insertion order, so the first entries are the oldest, and the expired ones
    // are all at the front: drop those, and the oldest beyond `max`.
    for (const [oldest, e] of this.entries) {
      if (this.entries.size <= this.max && e.expiresAt > now) break;
      this.entries.delete(oldest);
    }
    entry.promise.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
    return entry.promise as Promise<T>;
  }
}

/** The reads a server's page makes, answered from memory when recent enough. */
export type CloudReads = Pick<CloudProvider, 'stats' | 'transfer' | 'addresses' | 'backups'>;

const memories = new WeakMap<CloudProvider, ReadCache>();

/**
 * `client`'s reads of instances whose change mark is `mark` (the caller's: it changes with
 * every write to the instance), reused for CLOUD_READ_TTL_MS within this process.
 */
export function cachedReads(client: CloudProvider, mark: string): CloudReads {
  let memory = memories.get(client);
  if (!memory) memories.set(client, (memory = new ReadCache()));
  const m = memory;
  return {
    stats: (id) => m.read(`${id}:stats`, mark, () => client.stats(id)),
    transfer: (id) => m.read(`${id}:transfer`, mark, () => client.transfer(id)),
    addresses: (id) => m.read(`${id}:addresses`, mark, () => client.addresses(id)),
    backups: (id) => m.read(`${id}:backups`, mark, () => client.backups(id)),
  };
}
