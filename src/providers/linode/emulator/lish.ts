import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Hono } from 'hono';
import { WebSocketServer, type WebSocket } from 'ws';
import type { LishError } from '../types.ts';
import { api } from './http.ts';
import { instanceOr404 } from './instances.ts';
import { sync } from './machine.ts';
import { nowMs, type LinodeEmulatorState } from './state.ts';

/**
 * Lish, Linode's out-of-band console (spec, "Out-of-band console"). `POST …/lish` hands out
 * URLs carrying a one-time credential and one subprotocol; the weblish socket then serves a
 * harmless simulated shell. A credential that is unknown, used before or older than
 * `durations.lishCredential` is refused with `{"type":"error","reason":"Your session has expired."}`
 * as the close reason. Glish (graphical) and the monitor are not emulated: they refuse the same way.
 * The URLs are secrets: they are never recorded or logged.
 */

export const SESSION_EXPIRED = 'Your session has expired.';

interface OpenSession {
  socket: WebSocket;
  linodeId: number;
}

export interface LishServer {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Ends open sessions (of one instance, or all) with an error, and voids unused credentials. */
  end(linodeId: number | undefined, reason: string, via: 'message' | 'close'): number;
  close(): void;
}

export function lishRoute(app: Hono, state: LinodeEmulatorState): void {
  app.post(
    '/linode/instances/:id/lish',
    api(state, 'lish', ({ param }) => {
      const inst = instanceOr404(state, param('id'));
      const issue = () => {
        const token = randomBytes(24).toString('base64url');
        state.lish.set(token, {
          token,
          protocol: randomBytes(18).toString('base64url'),
          linodeId: inst.id,
          issuedAt: nowMs(state),
          used: false,
        });
        return state.lish.get(token)!;
      };
      const weblish = issue();
      const glish = issue();
      const monitor = issue();
      const url = (kind: string, token: string) => `${state.wsOrigin}/lish/${kind}?token=${token}`;
      return {
        body: {
          weblish_url: url('weblish', weblish.token),
          glish_url: url('glish', glish.token),
          monitor_url: url('monitor', monitor.token),
          ws_protocols: [weblish.protocol],
        },
      };
    }),
  );
}

const errorJson = (reason: string) => JSON.stringify({ type: 'error', reason } satisfies LishError);

export function createLishServer(state: LinodeEmulatorState): LishServer {
  const wss = new WebSocketServer({ noServer: true, handleProtocols: (offered) => [...offered][0] ?? false });
  const open = new Set<OpenSession>();

  return {
    handleUpgrade(req, socket, head) {
      const url = new URL(req.url ?? '/', 'http://emulator');
      const kind = /^\/lish\/(weblish|glish|monitor)$/.exec(url.pathname)?.[1];
      if (!kind) {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        sync(state);
        const cred = state.lish.get(url.searchParams.get('token') ?? '');
        const fresh = cred && !cred.used && nowMs(state) - cred.issuedAt <= state.durations.lishCredential;
        if (cred) cred.used = true;
        const inst = cred ? state.instances.get(cred.linodeId) : undefined;
        if (!cred || !fresh || !inst || ws.protocol !== cred.protocol || kind !== 'weblish') {
          // Glish and the monitor are not emulated; refusing them like a stale credential is a guess.
          ws.close(4001, errorJson(SESSION_EXPIRED));
          return;
        }
        const session: OpenSession = { socket: ws, linodeId: inst.id };
        open.add(session);
        ws.on('close', () => open.delete(session));
        startShell(state, ws, inst.id);
      });
    },

    end(linodeId, reason, via) {
      for (const [token, cred] of state.lish)
        if (linodeId === undefined || cred.linodeId === linodeId) state.lish.delete(token);
      let ended = 0;
      for (const s of open) {
        if (linodeId !== undefined && s.linodeId !== linodeId) continue;
        ended += 1;
        if (via === 'message') {
          s.socket.send(errorJson(reason));
          s.socket.close(1000);
        } else {
          s.socket.close(4001, errorJson(reason));
        }
      }
      return ended;
    },

    close() {
      for (const s of open) s.socket.terminate();
      wss.close();
    },
  };
}

/** A pretend root shell: prompt, echo, line editing, and a handful of commands. Nothing runs anywhere. */
function startShell(state: LinodeEmulatorState, ws: WebSocket, linodeId: number): void {
  const inst = () => state.instances.get(linodeId);
  const label = inst()?.label ?? 'localhost';
  const prompt = () => `root@${inst()?.label ?? label}:~# `;
  const write = (s: string) => ws.readyState === ws.OPEN && ws.send(s);
  write(
    '\r\n*** SkyPanel demo console ***\r\n' +
      'This is a simulated shell on an emulated server: nothing you type runs anywhere.\r\n' +
      "Type 'help' for the commands it knows.\r\n\r\n",
  );
  if (inst()?.status !== 'running') {
    write(`The server is ${inst()?.status ?? 'gone'}; boot it to get a login prompt.\r\n`);
  }
  write(`${label} login: root (automatic login)\r\n\r\n${prompt()}`);
  let line = '';
  let escape = false;
  ws.on('message', (data) => {
    sync(state);
    for (const ch of data.toString()) {
      if (escape) {
        // Swallow the rest of an escape sequence (arrow keys etc.): ends at a letter or ~.
        if (/[A-Za-z~]/.test(ch)) escape = false;
        continue;
      }
      if (ch === '\x1b') escape = true;
      else if (ch === '\r' || ch === '\n') {
        write('\r\n');
        const out = run(state, linodeId, line.trim());
        line = '';
        if (out === null) {
          write('logout\r\n');
          ws.close(1000);
          return;
        }
        write(out + prompt());
      } else if (ch === '\x7f' || ch === '\b') {
        if (line) {
          line = line.slice(0, -1);
          write('\b \b');
        }
      } else if (ch === '\x03') {
        line = '';
        write(`^C\r\n${prompt()}`);
      } else if (ch === '\x04' && !line) {
        write('logout\r\n');
        ws.close(1000);
        return;
      } else if (ch >= ' ') {
        line += ch;
        write(ch);
      }
    }
  });
}

/** One command's output (ending in CRLF, or empty); null to log out. */
function run(state: LinodeEmulatorState, linodeId: number, line: string): string | null {
  const inst = state.instances.get(linodeId);
  const [cmd = '', ...args] = line.split(/\s+/);
  const out = (...lines: string[]) => lines.map((l) => `${l}\r\n`).join('');
  const host = inst?.label ?? 'localhost';
  switch (cmd) {
    case '':
      return '';
    case 'help':
      return out(
        'Commands: help, echo, uname [-a], uptime, hostname, whoami, date, clear, exit',
        '(This is a demo console; nothing runs anywhere.)',
      );
    case 'echo':
      return out(args.join(' '));
    case 'uname':
      return out(
        args.includes('-a') ? `Linux ${host} 6.8.0-emulated #1 SMP PREEMPT_DYNAMIC x86_64 GNU/Linux` : 'Linux',
      );
    case 'uptime': {
      const now = state.clock.now();
      const up = inst?.bootedAt ? Math.floor((now.getTime() - inst.bootedAt) / 60_000) : 0;
      const hours = Math.floor(up / 60);
      const since = hours ? `${hours}:${String(up % 60).padStart(2, '0')}` : `${up} min`;
      return out(` ${now.toISOString().slice(11, 19)} up ${since},  1 user,  load average: 0.00, 0.01, 0.05`);
    }
    case 'hostname':
      return out(host);
    case 'whoami':
      return out('root');
    case 'date':
      return out(state.clock.now().toUTCString());
    case 'clear':
      return '\x1b[2J\x1b[H';
    case 'exit':
    case 'logout':
      return null;
    default:
      return out(`${cmd}: command not found`);
  }
}
