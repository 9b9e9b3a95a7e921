import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { AUTH_CHANNEL } from '../../domain/accounts/session-cache.ts';
import { HEARTBEAT_MS, touchConsoleSessions } from '../../domain/console/sessions.ts';
import { DATA_CHANNEL } from '../../lib/data-cache.ts';
import { consoleSessions } from '../../metrics/registry.ts';
import type { AppDeps } from '../context.ts';
import { clientIpOf, CLOSE, closeWith } from './protocol.ts';
import type { ConsoleDeps } from './bridge.ts';
import { LiveConsole } from './session.ts';

/**
 * The browser console's WebSocket endpoint, `/console/socket`, on the HTTP server's `upgrade`
 * event (src/main.ts, and tests that serve the app over HTTP, call `attachConsole`). Before the
 * socket is accepted the `Origin` must be PUBLIC_URL's (403 otherwise: another site's page cannot
 * open a console with the visitor's cookies, and the socket needs a ticket anyway, see
 * src/domain/console/tickets.ts). Every socket counts against CONSOLE_MAX_PER_PROCESS.
 *
 * Open consoles are checked again whenever something they depend on may have changed, so one
 * closes within a moment of the change, on whichever process holds it: the LISTEN hub's
 * `skypanel_auth` (user ids: sessions revoked, users suspended, memberships and roles changed)
 * and `skypanel_data` (organization ids: servers suspended or deleted, members removed)
 * notifications, when the hub's connection comes back (some may have been missed), and every
 * HEARTBEAT_MS (which also tells the database this process still holds them).
 */

export const CONSOLE_PATH = '/console/socket';

export interface ConsoleServer {
  /** Sockets open now (those still authenticating included). */
  readonly size: number;
  /** Re-checks every open console now (what a notification does for the consoles it names). */
  recheckAll(): Promise<void>;
  /** Closes every console (1001: the server is going away) and stops listening for upgrades. */
  close(): Promise<void>;
}

export interface AttachOptions {
  /** Where SSH for the emulated provider's servers goes; default: the demo SSH server this process runs, if any. */
  demoSsh?: { host: string; port: number } | null;
}

export function attachConsole(
  server: Server,
  deps: Pick<AppDeps, 'db' | 'config' | 'clock' | 'log' | 'clouds' | 'hub' | 'emulators'>,
  opts: AttachOptions = {},
): ConsoleServer {
  const consoleDeps: ConsoleDeps = {
    ...deps,
    demoSsh: opts.demoSsh !== undefined ? opts.demoSsh : (deps.emulators.ssh ?? null),
  };
  const log = deps.log.child({ area: 'console' });
  const origin = new URL(deps.config.publicUrl).origin;
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: deps.config.CONSOLE_MAX_MESSAGE_KB * 1024,
    perMessageDeflate: false,
    clientTracking: false,
  });
  const sockets = new Set<LiveConsole>();
  consoleSessions.enable();

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== CONSOLE_PATH) return refuse(socket, 404, 'Not Found');
    if (req.headers.origin !== origin) {
      log.info({ origin: req.headers.origin ?? null }, 'console socket refused: wrong origin');
      return refuse(socket, 403, 'Forbidden');
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (sockets.size >= deps.config.CONSOLE_MAX_PER_PROCESS)
        return closeWith(ws, CLOSE.limit, 'limit', 'Too many consoles are open right now. Try again in a minute.');
      const live = new LiveConsole(
        ws,
        consoleDeps,
        {
          ip: clientIpOf(req, deps.config.TRUSTED_PROXY_COUNT),
          userAgent: req.headers['user-agent']?.slice(0, 400) ?? null,
        },
        { closed: (c) => sockets.delete(c) },
      );
      sockets.add(live);
    });
  };
  server.on('upgrade', onUpgrade);

  const opened = () => [...sockets].filter((c) => c.state === 'open' && c.grant);
  const recheck = (match: (c: LiveConsole) => boolean) =>
    Promise.all(
      opened()
        .filter(match)
        .map((c) => c.recheck()),
    ).then(() => undefined);

  const unwatchAuth = deps.hub.watch(AUTH_CHANNEL, {
    notified(payload) {
      if (!payload || payload === '*') return void recheck(() => true);
      const users = new Set(payload.split(','));
      void recheck((c) => users.has(c.grant!.userId));
    },
    setListening(listening) {
      if (listening) void recheck(() => true);
    },
  });
  const unwatchData = deps.hub.watch(DATA_CHANNEL, {
    notified(payload) {
      if (!payload || payload === '*') return void recheck(() => true);
      const scopes = new Set(payload.split(','));
      void recheck((c) => scopes.has(c.grant!.organizationId) || scopes.has(`user:${c.grant!.userId}`));
    },
    setListening: () => undefined,
  });

  const heartbeat = setInterval(() => {
    const open = opened();
    if (!open.length) return;
    void touchConsoleSessions(deps, open.map((c) => c.counters!).filter(Boolean)).catch((err: Error) =>
      log.warn({ err: err.message }, 'console heartbeat failed'),
    );
    void recheck(() => true);
  }, HEARTBEAT_MS);
  heartbeat.unref();

  return {
    get size() {
      return sockets.size;
    },
    recheckAll: () => recheck(() => true),
    async close() {
      server.off('upgrade', onUpgrade);
      clearInterval(heartbeat);
      unwatchAuth();
      unwatchData();
      const closing = [...sockets].map(
        (c) =>
          new Promise<void>((resolve) => {
            const done = setTimeout(resolve, 2_000);
            c.onceClosed(() => {
              clearTimeout(done);
              resolve();
            });
            c.end(CLOSE.goingAway, null, 'The console server is restarting. Reconnect in a moment.');
          }),
      );
      await Promise.all(closing);
      wss.close();
    },
  };
}

function refuse(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
