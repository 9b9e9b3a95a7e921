import { share } from '../../lib/shared-values.ts';
import type { SessionUser } from './sessions.ts';

/** The channel the database's triggers NOTIFY on when sessions, users, memberships or roles change (migration 0020). */
export const AUTH_CHANNEL = 'skypanel_auth';

interface Entry<T> {
  session: T;
  userId: string;
  lastSeenAt: Date;
  cachedAt: number;
}

/**
 * Signed-in sessions (with their user and role in the active organization) kept in this
 * process — and the same for API access tokens (`T`: what a token resolves to), so a page view does not read them from the database each time. Correct across
 * processes because it is emptied when something they depend on changes:
 *
 * - the database NOTIFYs `skypanel_auth` with the user ids concerned at commit, whoever made the
 *   change (triggers, migration 0020), and the LISTEN hub calls `forget()` in every process;
 * - a write from this process forgets at once, without waiting for its own notification
 *   (src/db/index.ts `onAuthWrite`);
 * - it is only used while the hub is listening (`setListening`): when the LISTEN connection is
 *   lost notifications may be missed, so every request reads the database until it is back;
 * - every entry is re-read after `ttlMs` whatever happens (a safety net, not the mechanism).
 *
 * Expiry and the idle timeout are checked against the entry on every request; an entry that
 * looks idle or expired is read again rather than trusted (another process may have seen the
 * session more recently).
 */
export class SessionCache<T = SessionUser> {
  private readonly entries = new Map<string, Entry<T>>();
  private listening = false;
  /** Moves on every invalidation: a read that started before one must not be stored. */
  private generation = 0;

  constructor(private readonly opts: { ttlMs?: number; max?: number } = {}) {}

  get active(): boolean {
    return this.listening;
  }

  /** The hub reports its LISTEN connection: entries are used only while it listens, and start over either way. */
  setListening(listening: boolean): void {
    this.listening = listening;
    this.forget('*');
  }

  /** A token hash's session, if cached and not older than the TTL. */
  get(key: string): Entry<T> | undefined {
    if (!this.listening) return undefined;
    const e = this.entries.get(key);
    if (e && Date.now() - e.cachedAt > (this.opts.ttlMs ?? 30_000)) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }

  /** The generation to pass to `set` for a read starting now. */
  get version(): number {
    return this.generation;
  }

  /** Keeps a session read from the database, unless something was invalidated since the read began. */
  set(key: string, session: T, userId: string, lastSeenAt: Date, readAtVersion: number): void {
    if (!this.listening || readAtVersion !== this.generation) return;
    if (this.entries.size >= (this.opts.max ?? 10_000)) {
      // Oldest first (insertion order): drop a tenth.
      let drop = Math.ceil(this.entries.size / 10);
      for (const k of this.entries.keys()) {
        this.entries.delete(k);
        if (--drop <= 0) break;
      }
    }
    this.entries.set(key, { session: share(session), userId, lastSeenAt, cachedAt: Date.now() });
  }

  /** Forgets the sessions of these users, or every session ('*'). */
  forget(users: readonly string[] | '*'): void {
    this.generation++;
    if (users === '*') {
      this.entries.clear();
      return;
    }
    if (!users.length || !this.entries.size) return;
    const ids = new Set(users);
    for (const [k, e] of this.entries) if (ids.has(e.userId)) this.entries.delete(k);
  }

  /** Handles a `skypanel_auth` notification's payload: user ids, comma-separated, or '*'. */
  notified(payload: string | undefined): void {
    if (!payload || payload === '*') return this.forget('*');
    this.forget(payload.split(','));
  }

  get size(): number {
    return this.entries.size;
  }
}
