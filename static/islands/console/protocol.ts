/**
 * The console's wire protocol, browser side: what the page sends and how it reads what comes
 * back. The server side (src/web/console/) keeps the same messages and close codes; when one
 * changes, change both.
 *
 *   1. POST /vps/:id/console/tickets {mode} (CSRF header) → 201 {ticket, expiresAt, mode, url}
 *   2. WebSocket to `url` on this origin; first message: {type:"auth", ticket, cols, rows}
 *   3. terminal bytes as binary frames both ways; control messages as JSON text frames:
 *      browser → {type:"resize", cols, rows}; server → {type:"status", state, message} and
 *      {type:"error", code, message} just before it closes.
 *
 * Pure functions only (no DOM), so the rules can be tested on their own.
 */

export type Mode = 'lish' | 'ssh';

export interface Ticket {
  ticket: string;
  expiresAt: string;
  mode: Mode;
  /** The socket's path on this origin (`/console/socket`): never a provider's URL. */
  url: string;
}

export type Control =
  | { type: 'status'; state: 'connecting' | 'connected' | 'closed'; message: string }
  | { type: 'error'; code: string; message: string };

/** What the page says when the socket closes, by close code, when the server gave no sentence of its own. */
export const CLOSE_SENTENCES: Readonly<Record<number, string>> = {
  1000: 'The console session ended.',
  1001: 'The console closed because the panel is restarting. Reconnect in a moment.',
  1006: 'The connection to the console was lost. Check your network, then reconnect.',
  1009: 'The console closed because a message was too large.',
  1011: 'The console closed because of an error on our side. Reconnect to try again.',
  4000: 'The console did not understand the browser. Reload the page and reconnect.',
  4001: 'The console ticket was invalid, already used or expired. Reconnect to get a new one.',
  4003: 'You may no longer use this console: your access, your session or the server has changed.',
  4004: 'This server could not be found. It may have been deleted.',
  4008: 'The console closed after a long time without activity. Reconnect to continue.',
  4009: 'Too many consoles are open (yours, this server’s or the panel’s). Close one, then reconnect.',
  4010: 'The server’s console is unavailable right now. Try again in a minute.',
  4011: 'The server’s SSH host key has changed since the first connection, so we did not connect. If the server was not rebuilt, someone may be intercepting the connection; an administrator can reset the pinned key when the change is expected.',
};

/** Close codes that mean something is wrong, not a session that simply ended. */
export const WARNING_CODES: ReadonlySet<number> = new Set([4011]);

/**
 * The sentence for a close: the server's own error message or close reason when it sent one
 * (it knows more: "The server was suspended."), else ours for the code.
 */
export function closeSentence(code: number, reason: string, lastError: string | null): string {
  const fromServer = (lastError ?? '').trim() || reason.trim();
  if (fromServer) return fromServer;
  return CLOSE_SENTENCES[code] ?? `The console closed (code ${code}). Reconnect to try again.`;
}

/** A control message from the server, or null for anything else (ignored). */
export function parseControl(text: string): Control | null {
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    return null;
  }
  if (!msg || typeof msg !== 'object') return null;
  const m = msg as Record<string, unknown>;
  const message = typeof m.message === 'string' ? m.message : '';
  if (m.type === 'status' && (m.state === 'connecting' || m.state === 'connected' || m.state === 'closed'))
    return { type: 'status', state: m.state, message };
  if (m.type === 'error') return { type: 'error', code: typeof m.code === 'string' ? m.code : 'error', message };
  return null;
}

export const authMessage = (ticket: string, cols: number, rows: number) =>
  JSON.stringify({ type: 'auth', ticket, cols, rows });

export const resizeMessage = (cols: number, rows: number) => JSON.stringify({ type: 'resize', cols, rows });

/** The socket's URL on the page's own origin: wss: under https:, ws: otherwise. */
export function socketUrl(page: { protocol: string; host: string }, path: string): string {
  if (!path.startsWith('/') || path.startsWith('//')) throw new Error('the console socket must be on this origin');
  return `${page.protocol === 'https:' ? 'wss:' : 'ws:'}//${page.host}${path}`;
}

/** Why a ticket was refused, for the status line: the API's sentence when it sent one, else one by status. */
export function ticketRefusal(status: number, body: unknown): string {
  const error = (body as { error?: { message?: unknown } } | null)?.error;
  if (error && typeof error.message === 'string' && error.message.trim()) return error.message;
  if (status === 401) return 'Your session has ended. Sign in again, then reopen the console.';
  if (status === 403) return 'You may not open this server’s console.';
  if (status === 404) return 'This server could not be found.';
  if (status === 409) return 'The console is not available for this server right now.';
  if (status === 429) return 'Too many consoles or attempts. Wait a little, then reconnect.';
  return 'The console could not be started. Try again in a minute.';
}

/** A ticket answer we can use, or null. */
export function readTicket(body: unknown): Ticket | null {
  const t = body as Partial<Ticket> | null;
  if (!t || typeof t.ticket !== 'string' || typeof t.url !== 'string') return null;
  return {
    ticket: t.ticket,
    url: t.url,
    expiresAt: String(t.expiresAt ?? ''),
    mode: t.mode === 'ssh' ? 'ssh' : 'lish',
  };
}
