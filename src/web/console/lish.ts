import { WebSocket } from 'ws';
import type { ConsoleGrant } from '../../domain/console/access.ts';
import { outOfBandSession } from '../../domain/console/targets.ts';
import { CloudError } from '../../providers/cloud.ts';
import { CLOSE } from './protocol.ts';
import { HIGH_WATER, LOW_WATER, type Bridge, type BridgeHost, type ConsoleDeps } from './bridge.ts';

/**
 * The out-of-band console: the browser's socket bridged to the provider's console socket
 * (Linode's weblish; specs/linode-api-v4.md "Out-of-band console"). The provider's URL and
 * subprotocol carry a credential: they stay in this process, never logged, never sent on.
 *
 * Upstream, typed text goes as text frames and output arrives as text frames (both as the
 * provider's own client does). An error arrives as a message or as the close reason, JSON
 * `{ "type": "error", "reason" }`: "Your session has expired." means fresh URLs and a new
 * connection, at most RENEWALS times in RENEWAL_WINDOW_MS; any other reason ends the console
 * (4010), the provider's words going to the log only (white label). The provider's console
 * has a fixed size: a resize is accepted and changes nothing there.
 */

const RENEWALS = 3;
const RENEWAL_WINDOW_MS = 60_000;
/** Typing queued while the upstream connects (beyond this the browser waits). */
const QUEUE_MAX = 64 * 1024;

const SESSION_EXPIRED = /^your session has expired\.?$/i;

/** The reason of a provider error (a message or close reason), or null when `text` is not one. */
export function lishError(text: string): string | null {
  if (!text.startsWith('{') || !text.includes('"error"')) return null;
  try {
    const v = JSON.parse(text) as { type?: unknown; reason?: unknown };
    return v.type === 'error' && typeof v.reason === 'string' ? v.reason : null;
  } catch {
    return null;
  }
}

export function lishBridge(host: BridgeHost, deps: ConsoleDeps, grant: ConsoleGrant): Bridge {
  let upstream: WebSocket | null = null;
  let queue: Buffer[] = [];
  let queued = 0;
  let closed = false;
  let inputWaiting = false;
  const renewals: number[] = [];

  const refused = (reason: string) => {
    host.log.warn({ server: grant.serverId, reason: reason.slice(0, 200) }, 'out-of-band console refused');
    host.end(CLOSE.unavailable, 'provider_refused', 'The out-of-band console refused the connection. Try again later.');
  };

  const renew = () => {
    const now = Date.now();
    while (renewals.length && now - renewals[0]! > RENEWAL_WINDOW_MS) renewals.shift();
    if (renewals.length >= RENEWALS)
      return host.end(
        CLOSE.unavailable,
        'console_expired',
        'The out-of-band console session keeps expiring. Try again in a minute.',
      );
    renewals.push(now);
    void connect();
  };

  /** An error from the provider (message or close reason): renew on expiry, else end. */
  const providerError = (reason: string) => (SESSION_EXPIRED.test(reason.trim()) ? renew() : refused(reason));

  const connect = async () => {
    upstream = null;
    host.status('connecting', 'Connecting to the out-of-band console…');
    let session;
    try {
      session = await outOfBandSession(deps, grant.serverId);
    } catch (err) {
      host.log.warn({ server: grant.serverId, err: (err as Error).message }, 'out-of-band console unavailable');
      const message =
        err instanceof CloudError ? err.customerMessage : 'The out-of-band console is not available right now.';
      return host.end(CLOSE.unavailable, 'provider_unavailable', message);
    }
    if (closed) return;
    const ws = new WebSocket(session.url, session.protocols, {
      perMessageDeflate: false,
      handshakeTimeout: 15_000,
      maxPayload: 4 * 1024 * 1024,
    });
    upstream = ws;
    const current = () => upstream === ws && !closed;
    ws.on('open', () => {
      if (!current()) return ws.close(1000);
      host.status('connected', 'Connected to the out-of-band console.');
      const pending = queue;
      queue = [];
      queued = 0;
      for (const data of pending) ws.send(data.toString('utf8'));
      if (inputWaiting) {
        inputWaiting = false;
        host.inputDrained();
      }
    });
    ws.on('message', (data: Buffer, isBinary) => {
      if (!current()) return;
      if (!isBinary) {
        const reason = lishError(data.toString('utf8'));
        if (reason !== null) {
          upstream = null;
          ws.close(1000);
          return providerError(reason);
        }
      }
      if (!host.output(data)) {
        ws.pause();
        host.onOutputDrain(() => ws.resume());
      }
    });
    ws.on('close', (code, reasonBuf) => {
      if (!current()) return;
      upstream = null;
      const reason = lishError(reasonBuf.toString('utf8'));
      if (reason !== null) return providerError(reason);
      if (code === 1000) return host.end(CLOSE.normal, null, 'The console session ended.');
      host.log.warn({ server: grant.serverId, code }, 'out-of-band console closed');
      host.end(CLOSE.unavailable, 'provider_closed', 'The out-of-band console closed the connection.');
    });
    ws.on('error', (err) => {
      // The message names no URL (ws reports the status or the socket's error), so it may be logged.
      if (!current()) return;
      upstream = null;
      host.log.warn({ server: grant.serverId, err: err.message }, 'out-of-band console connection failed');
      host.end(CLOSE.unavailable, 'provider_unavailable', 'The out-of-band console cannot be reached right now.');
    });
  };

  void connect();

  return {
    input(data) {
      const ws = upstream;
      if (!ws || ws.readyState !== WebSocket.OPEN) {
        queue.push(data);
        queued += data.length;
        inputWaiting = queued > QUEUE_MAX;
        return !inputWaiting;
      }
      ws.send(data.toString('utf8'), () => {
        if (inputWaiting && ws.bufferedAmount < LOW_WATER) {
          inputWaiting = false;
          host.inputDrained();
        }
      });
      inputWaiting = ws.bufferedAmount > HIGH_WATER;
      return !inputWaiting;
    },
    resize() {
      // The provider's console has a fixed size (a `screen` session on its host).
    },
    close() {
      closed = true;
      const ws = upstream;
      upstream = null;
      queue = [];
      if (ws && ws.readyState === WebSocket.OPEN) ws.close(1000);
      else ws?.terminate();
    },
  };
}
