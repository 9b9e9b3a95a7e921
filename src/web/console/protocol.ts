import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';

/**
 * The browser console's wire protocol (the page's island, static/js, keeps the other end; the
 * two change together). After the WebSocket opens, the browser's first message is text JSON
 * `{ "type": "auth", "ticket", "cols", "rows" }`. Then terminal bytes are binary frames both ways
 * (browser → server: keystrokes and pastes, UTF-8; server → browser: terminal output as-is), and
 * control messages are text JSON:
 *
 *   browser → server   { "type": "resize", "cols", "rows" }
 *   server → browser   { "type": "status", "state": "connecting" | "connected" | "closed", "message" }
 *                      { "type": "error", "code", "message" }   just before a close
 *
 * The close reason is a short sentence (at most 120 bytes), never a provider's URL.
 */
export const CLOSE = {
  normal: 1000,
  /** This process is stopping. */
  goingAway: 1001,
  /** Bad first message, or a message that breaks the protocol. */
  protocol: 4000,
  /** The ticket is unknown, used or expired. */
  ticket: 4001,
  /** Not allowed (any more): permission lost, member removed, session revoked, account or server suspended or deleted. */
  forbidden: 4003,
  notFound: 4004,
  idle: 4008,
  /** A limit: per user, per server, per process. */
  limit: 4009,
  /** The provider or the server refused, or cannot be reached. */
  unavailable: 4010,
  /** The server's SSH host key is not the pinned one. */
  hostKey: 4011,
} as const;
export type CloseCode = (typeof CLOSE)[keyof typeof CLOSE];

/** The browser must authenticate this soon after the socket opens. */
export const AUTH_TIMEOUT_MS = 10_000;

/** Terminal sizes outside these are clamped (a resize cannot ask for a gigantic pty). */
export function clampSize(cols: unknown, rows: unknown): { cols: number; rows: number } {
  const n = (v: unknown, min: number, max: number, fallback: number) =>
    typeof v === 'number' && Number.isFinite(v) ? Math.min(max, Math.max(min, Math.round(v))) : fallback;
  return { cols: n(cols, 10, 500, 80), rows: n(rows, 4, 200, 24) };
}

/** A text control message as an object, or null when it is not JSON with a string `type`. */
export function parseControl(text: string): ({ type: string } & Record<string, unknown>) | null {
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && typeof (v as { type?: unknown }).type === 'string'
      ? (v as { type: string } & Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

export function sendStatus(ws: WebSocket, state: 'connecting' | 'connected' | 'closed', message: string): void {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: 'status', state, message }));
}

/** Sends the error message, then closes with `code` and the sentence as the reason (cut to 120 bytes). */
export function closeWith(ws: WebSocket, code: CloseCode, errorCode: string | null, message: string): void {
  if (ws.readyState !== ws.OPEN) return;
  if (code !== CLOSE.normal && errorCode) ws.send(JSON.stringify({ type: 'error', code: errorCode, message }));
  sendStatus(ws, 'closed', message);
  ws.close(code, shortReason(message));
}

/** At most 120 bytes of UTF-8, cut at a character boundary. */
export function shortReason(message: string): string {
  if (Buffer.byteLength(message) <= 120) return message;
  const chars = [...message];
  while (chars.length && Buffer.byteLength(`${chars.join('')}…`) > 120) chars.pop();
  return `${chars.join('').trimEnd()}…`;
}

/** The browser's address: the socket's, or with trusted proxies in front the hop they saw (as request-context.ts). */
export function clientIpOf(req: IncomingMessage, trustedProxies: number): string {
  const socketIp = (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
  if (trustedProxies > 0) {
    const header = req.headers['x-forwarded-for'];
    const hops = (Array.isArray(header) ? header.join(',') : (header ?? ''))
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const candidate = hops[hops.length - trustedProxies];
    if (candidate) return candidate;
  }
  return socketIp;
}
