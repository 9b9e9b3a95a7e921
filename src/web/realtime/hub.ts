import pg from 'pg';
import { EVENTS_CHANNEL, type Audience, type RealtimeEvent } from '../../db/notify.ts';
import { AUTH_CHANNEL, type SessionCache } from '../../domain/accounts/session-cache.ts';
import { DATA_CHANNEL, type DataCache } from '../../lib/data-cache.ts';
import type { Logger } from '../../lib/log.ts';

export interface Subscriber {
  userId: string;
  organizationIds: string[];
  /** The permissions of the subscriber's role in each of those organizations (for audiences that name one). */
  permissions?: Readonly<Record<string, readonly string[]>>;
  isAdmin: boolean;
  /** Called for each event its audience allows; `frame` is the event as one SSE frame, made once for every subscriber. */
  send(event: RealtimeEvent, frame: string): void;
}

/** An event as a server-sent event frame: its topic is the event's name, its data the JSON payload (one line). */
export function sseFrame(event: RealtimeEvent): string {
  return `event: ${event.topic.replace(/[\r\n]/g, '')}\ndata: ${JSON.stringify(event.data ?? {})}\n\n`;
}

/** What `watch` calls: each notification's payload, and whether the LISTEN connection is up. */
export interface ChannelListener {
  notified(payload: string | undefined): void;
  setListening(listening: boolean): void;
}

/**
 * One LISTEN connection per process, fanning `publish()`ed events out to this process's SSE
 * subscribers, each receiving only what its audience allows. Reconnects after a dropped
 * connection; events sent while disconnected are missed (they are hints; pages re-fetch).
 */
export class RealtimeHub {
  private client: pg.Client | null = null;
  private readonly subscribers = new Set<Subscriber>();
  /** Caches kept correct by a channel's notifications (see `watchSessions`, `watchData`). */
  private readonly caches = new Set<{
    channel: string;
    cache: ChannelListener;
  }>();
  private stopped = false;
  private retry: NodeJS.Timeout | null = null;

  constructor(
    private readonly connectionString: string,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    this.stopped = false;
    const client = new pg.Client({ connectionString: this.connectionString, application_name: 'skypanel-listen' });
    client.on('notification', (msg) => {
      if (msg.channel === EVENTS_CHANNEL) return this.dispatch(msg.payload);
      for (const w of this.caches) if (w.channel === msg.channel) w.cache.notified(msg.payload);
    });
    client.on('error', (err) => {
      this.log.warn({ err: err.message }, 'realtime listener lost its connection');
      this.reconnect();
    });
    await client.connect();
    await client.query(`LISTEN ${EVENTS_CHANNEL}`);
    await client.query(`LISTEN ${AUTH_CHANNEL}`);
    await client.query(`LISTEN ${DATA_CHANNEL}`);
    // Stopped while connecting (a start that failed elsewhere): nothing is left open.
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    for (const w of this.caches) w.cache.setListening(true);
  }

  /**
   * Keeps `cache` correct across processes: it hears every `skypanel_auth` notification, and is
   * only used while this hub listens (a lost connection may have missed some).
   */
  watchSessions(cache: SessionCache<unknown>): void {
    this.caches.add({ channel: AUTH_CHANNEL, cache });
    cache.setListening(this.listening);
  }

  /** The same for the data cache, with `skypanel_data` (migration 0021). */
  watchData(cache: DataCache): void {
    this.caches.add({ channel: DATA_CHANNEL, cache });
    cache.setListening(this.listening);
  }

  /**
   * Any other listener of a channel the hub LISTENs on (`skypanel_auth`, `skypanel_data`): the
   * open browser consoles re-check their authorization (src/web/console/revocation.ts). It is
   * told when the connection is lost and back (notifications in between may be missed).
   */
  watch(channel: string, listener: ChannelListener): () => void {
    const entry = { channel, cache: listener };
    this.caches.add(entry);
    listener.setListening(this.listening);
    return () => this.caches.delete(entry);
  }

  private reconnect(): void {
    for (const w of this.caches) w.cache.setListening(false);
    this.client?.end().catch(() => undefined);
    this.client = null;
    if (this.stopped || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = null;
      this.start().catch(() => this.reconnect());
    }, 1000);
  }

  get listening(): boolean {
    return this.client !== null;
  }

  subscribe(sub: Subscriber): () => void {
    this.subscribers.add(sub);
    return () => this.subscribers.delete(sub);
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  private dispatch(payload: string | undefined): void {
    if (!payload) return;
    let event: RealtimeEvent;
    try {
      event = JSON.parse(payload) as RealtimeEvent;
    } catch {
      return;
    }
    const audiences: readonly Audience[] = Array.isArray(event.audience) ? event.audience : [event.audience];
    const frame = sseFrame(event);
    for (const sub of this.subscribers) {
      if (!audiences.some((a) => reaches(a, sub))) continue;
      try {
        sub.send(event, frame);
      } catch (err) {
        // One broken stream must not keep the event from the others.
        this.log.warn({ err: (err as Error).message }, 'realtime subscriber failed');
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const w of this.caches) w.cache.setListening(false);
    if (this.retry) clearTimeout(this.retry);
    await this.client?.end().catch(() => undefined);
    this.client = null;
  }
}

/** Whether `a` names the subscriber: its user, a member of its organization (with the permission it asks), or staff. */
function reaches(a: Audience, sub: Subscriber): boolean {
  return (
    ('userId' in a && a.userId === sub.userId) ||
    ('organizationId' in a &&
      sub.organizationIds.includes(a.organizationId) &&
      (!a.permission || (sub.permissions?.[a.organizationId]?.includes(a.permission) ?? false))) ||
    ('admins' in a && sub.isAdmin)
  );
}
