/**
 * The console page's island (views/portal/servers/console.eta): an xterm.js terminal bridged
 * to the server over a WebSocket (./protocol.ts). Bundled with xterm, its fit addon and its
 * CSS into one file by the asset build, and loaded by that page only.
 *
 *   <div data-console data-tickets="/vps/…/console/tickets" data-autoconnect="true" data-impersonating="false">
 *     <form data-console-form> <input type="radio" name="mode" value="lish" checked> …
 *       <button type="submit" data-console-connect>Connect</button>
 *       <button type="button" data-console-disconnect disabled>Disconnect</button> </form>
 *     <p data-console-status role="status">…</p>
 *     <div data-console-terminal></div>
 *   </div>
 *
 * Copy and paste: xterm draws its own selection; Ctrl+Shift+C copies it, Ctrl+Shift+V (and
 * Shift+Insert) pastes, and the browser's context menu works too (⌘C / ⌘V on a Mac).
 */
import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import xtermCss from '@xterm/xterm/css/xterm.css';
import {
  authMessage,
  closeSentence,
  parseControl,
  readTicket,
  resizeMessage,
  socketUrl,
  ticketRefusal,
  WARNING_CODES,
  type Mode,
  type Ticket,
} from './protocol.ts';

type State = 'idle' | 'connecting' | 'connected' | 'closed' | 'warning';

// The page's CSP nonce, from this script's own tag (read now: currentScript is only set while it first runs).
const nonce = (document.currentScript as HTMLScriptElement | null)?.nonce ?? '';

function start(root: HTMLElement) {
  const form = root.querySelector<HTMLFormElement>('[data-console-form]')!;
  const connectButton = root.querySelector<HTMLButtonElement>('[data-console-connect]')!;
  const disconnectButton = root.querySelector<HTMLButtonElement>('[data-console-disconnect]')!;
  const statusLine = root.querySelector<HTMLElement>('[data-console-status]')!;
  const container = root.querySelector<HTMLElement>('[data-console-terminal]')!;
  const ticketsUrl = root.dataset.tickets!;
  // An impersonating admin starts each console with the button: that click is the explicit start the server audits.
  const impersonating = root.dataset.impersonating === 'true';
  const csrfToken = document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content ?? '';

  const style = document.createElement('style');
  style.nonce = nonce;
  style.textContent = xtermCss;
  document.head.append(style);

  const term = new Terminal({
    cursorBlink: true,
    fontFamily: '"JetBrains Mono", ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace',
    fontSize: 14,
    scrollback: 5000,
    theme: { background: '#020617', foreground: '#e2e8f0', cursor: '#38bdf8', selectionBackground: '#334155' },
  });
  const fit = new FitAddon();
  term.loadAddon(fit);
  term.open(container);
  fit.fit();

  const encoder = new TextEncoder();
  let socket: WebSocket | null = null;
  /** True once the auth message went: only then may bytes and resizes follow. */
  let authed = false;
  /** Each connect() bumps it, so answers to an earlier attempt are ignored. */
  let attempt = 0;

  function setStatus(state: State, sentence: string) {
    root.dataset.state = state;
    statusLine.textContent = sentence;
    const open = state === 'connecting' || state === 'connected';
    connectButton.textContent = state === 'idle' ? 'Connect' : 'Reconnect';
    disconnectButton.disabled = !open;
  }

  function send(data: string | Uint8Array) {
    if (socket && authed && socket.readyState === WebSocket.OPEN) socket.send(data);
  }

  /** Closes the current socket, if any, without reporting its close (a new one replaces it, or the page goes). */
  function drop() {
    const ws = socket;
    socket = null;
    authed = false;
    if (ws && ws.readyState <= WebSocket.OPEN) ws.close(1000);
  }

  async function requestTicket(mode: Mode): Promise<Ticket> {
    let res: Response;
    try {
      res = await fetch(ticketsUrl, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRF-Token': csrfToken },
        body: JSON.stringify(impersonating ? { mode, impersonation: true } : { mode }),
      });
    } catch {
      throw new Error('The panel could not be reached. Check your network, then reconnect.');
    }
    const body: unknown = await res.json().catch(() => null);
    const ticket = res.ok ? readTicket(body) : null;
    if (!ticket) throw new Error(ticketRefusal(res.status, body));
    return ticket;
  }

  async function connect(mode: Mode) {
    const mine = ++attempt;
    drop();
    term.reset();
    setStatus('connecting', 'Starting the console…');
    let ticket: Ticket;
    try {
      ticket = await requestTicket(mode);
    } catch (err) {
      if (mine === attempt) setStatus('closed', (err as Error).message);
      return;
    }
    if (mine !== attempt) return;
    fit.fit();
    const ws = new WebSocket(socketUrl(location, ticket.url));
    ws.binaryType = 'arraybuffer';
    socket = ws;
    let lastError: string | null = null;
    ws.addEventListener('open', () => {
      if (socket !== ws) return;
      ws.send(authMessage(ticket.ticket, term.cols, term.rows));
      authed = true;
      setStatus('connecting', 'Connecting to the server…');
    });
    ws.addEventListener('message', (event: MessageEvent<string | ArrayBuffer>) => {
      if (socket !== ws) return;
      if (typeof event.data !== 'string') return term.write(new Uint8Array(event.data));
      const control = parseControl(event.data);
      if (control?.type === 'error') lastError = control.message;
      else if (control?.type === 'status' && control.state !== 'closed') {
        setStatus(control.state, control.message || (control.state === 'connected' ? 'Connected.' : 'Connecting…'));
        if (control.state === 'connected') term.focus();
      }
    });
    ws.addEventListener('close', (event) => {
      if (socket !== ws) return;
      socket = null;
      authed = false;
      const state = WARNING_CODES.has(event.code) ? 'warning' : 'closed';
      setStatus(state, closeSentence(event.code, event.reason, lastError));
    });
  }

  const chosenMode = (): Mode => (new FormData(form).get('mode') === 'ssh' ? 'ssh' : 'lish');

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void connect(chosenMode());
    term.focus();
  });
  disconnectButton.addEventListener('click', () => {
    attempt += 1;
    drop();
    setStatus('closed', 'Disconnected. Reconnect to start a new session.');
    connectButton.focus();
  });

  term.onData((data) => send(encoder.encode(data)));
  // Some mouse reports are bytes, not text: one char per byte.
  term.onBinary((data) => send(Uint8Array.from(data, (ch) => ch.charCodeAt(0) & 0xff)));
  term.onResize(({ cols, rows }) => send(resizeMessage(cols, rows)));

  term.attachCustomKeyEventHandler((event) => {
    if (event.type !== 'keydown' || !event.ctrlKey || !event.shiftKey) return true;
    if (event.code === 'KeyC') {
      event.preventDefault();
      copySelection(term);
      return false;
    }
    // Ctrl+Shift+V: not a key for the terminal; the browser pastes into xterm's textarea, which xterm sends.
    return event.code !== 'KeyV';
  });

  // The terminal follows its box (the window, the top bar wrapping): refit at most once per frame.
  let pending = 0;
  new ResizeObserver(() => {
    cancelAnimationFrame(pending);
    pending = requestAnimationFrame(() => fit.fit());
  }).observe(container);

  window.addEventListener('pagehide', () => {
    attempt += 1;
    drop();
  });

  setStatus('idle', 'Not connected.');
  term.focus();
  if (root.dataset.autoconnect === 'true') void connect(chosenMode());
}

/** Copies the terminal's selection: the Clipboard API where the page may use it, else the browser's copy command (xterm answers it). */
function copySelection(term: Terminal) {
  const text = term.getSelection();
  if (!text) return;
  if (window.isSecureContext && navigator.clipboard) void navigator.clipboard.writeText(text);
  else document.execCommand('copy');
}

const root = document.querySelector<HTMLElement>('[data-console]');
if (root) start(root);
