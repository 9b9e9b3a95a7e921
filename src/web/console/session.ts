import type { WebSocket } from 'ws';
import type { ConsoleGrant } from '../../domain/console/access.ts';
import { stillAllowed } from '../../domain/console/access.ts';
import { endConsoleSession, startConsoleSession, type OpenedConsole } from '../../domain/console/sessions.ts';
import { redeemConsoleTicket } from '../../domain/console/tickets.ts';
import type { RequestOrigin } from '../../domain/deps.ts';
import type { Logger } from '../../lib/log.ts';
import { consoleSessions } from '../../metrics/registry.ts';
import { HIGH_WATER, LOW_WATER, type Bridge, type BridgeHost, type ConsoleDeps } from './bridge.ts';
import { lishBridge } from './lish.ts';
import { AUTH_TIMEOUT_MS, clampSize, CLOSE, closeWith, parseControl, sendStatus, type CloseCode } from './protocol.ts';
import { sshBridge } from './ssh.ts';

/**
 * One browser console, from the socket's first message to its close:
 *
 *   authenticating   waits (AUTH_TIMEOUT_MS) for `{ type: 'auth', ticket, cols, rows }`; the
 *                    ticket is redeemed (used up), the grant checked against the database now
 *                    (stillAllowed), and the console counted against the limits (logged as opened)
 *   open             a bridge carries terminal bytes both ways: to the provider's out-of-band
 *                    console (./lish.ts) or to the server over SSH (./ssh.ts)
 *   closed           the bridge is torn down and the console logged as ended, with its bytes
 *
 * Backpressure both ways: when the browser's socket holds more than HIGH_WATER bytes unsent, the
 * bridge stops reading its upstream until it is below LOW_WATER; when the upstream is full, the
 * browser's socket is paused until it drains. Idle: no typing (or resizing) for
 * CONSOLE_IDLE_MINUTES closes it (4008).
 */

type State = 'authenticating' | 'opening' | 'open' | 'closed';

export class LiveConsole {
  state: State = 'authenticating';
  grant: ConsoleGrant | null = null;
  private opened: OpenedConsole | null = null;
  private bridge: Bridge | null = null;
  private size = { cols: 80, rows: 24 };
  private bytesIn = 0;
  private bytesOut = 0;
  private endReason = 'The browser closed the console.';
  private timer: NodeJS.Timeout;
  private drainWaiters: Array<() => void> = [];
  private early: Array<[Buffer, boolean]> = [];
  private checking: Promise<void> | null = null;
  private recheckAgain = false;
  private recorded = false;
  private ending = false;
  private finished = false;
  private closedWaiters: Array<() => void> = [];
  private readonly log: Logger;

  constructor(
    private readonly ws: WebSocket,
    private readonly deps: ConsoleDeps,
    private readonly origin: RequestOrigin,
    private readonly hooks: { closed(c: LiveConsole): void },
  ) {
    this.log = deps.log.child({ console: true });
    this.timer = setTimeout(
      () => this.end(CLOSE.protocol, 'auth_timeout', 'No ticket was sent in time.'),
      AUTH_TIMEOUT_MS,
    );
    ws.on('message', (data, isBinary) => this.message(data as Buffer, isBinary));
    ws.on('close', () => void this.closed());
    ws.on('error', (err) => this.log.debug({ err: err.message }, 'console socket error'));
  }

  /** A method, not `state === 'closed'` inline: the socket may close while the console awaits. */
  private isClosed(): boolean {
    return this.state === 'closed';
  }

  /** The id of its `console_sessions` row, and its counters, for the heartbeat. */
  get counters() {
    return this.opened ? { id: this.opened.id, bytesIn: this.bytesIn, bytesOut: this.bytesOut } : null;
  }

  /** Closes the console with a code and a sentence for the person at the terminal. */
  end(code: CloseCode, errorCode: string | null, message: string): void {
    if (this.state === 'closed' || this.ending) return;
    this.ending = true;
    this.endReason = message;
    closeWith(this.ws, code, errorCode, message);
    // A browser that does not answer the close within a few seconds is cut off.
    setTimeout(() => this.ws.terminate(), 5_000).unref();
  }

  /** Asks the database whether the console may stay open; closes it (4003/4004) when not. Calls made meanwhile run once after. */
  recheck(): Promise<void> {
    if (!this.grant || this.state === 'closed') return Promise.resolve();
    if (this.checking) {
      this.recheckAgain = true;
      return this.checking;
    }
    this.checking = (async () => {
      do {
        this.recheckAgain = false;
        const refusal = await stillAllowed(this.deps, this.grant!).catch((err: Error) => {
          this.log.warn({ err: err.message }, 'console re-check failed');
          return null;
        });
        if (refusal) this.end(refusal.code, 'not_allowed', refusal.message);
      } while (this.recheckAgain && this.state !== 'closed');
      this.checking = null;
    })();
    return this.checking;
  }

  private message(data: Buffer, isBinary: boolean): void {
    if (this.state === 'authenticating') {
      this.state = 'opening';
      clearTimeout(this.timer);
      void this.authenticate(isBinary ? null : data.toString('utf8')).catch((err: Error) => {
        this.log.error({ err: err.message }, 'console failed to open');
        this.end(CLOSE.unavailable, 'internal_error', 'The console could not be opened. Please try again.');
      });
      return;
    }
    if (this.state === 'opening') {
      // Typed (or resized) while the ticket was being checked: kept, and handled once open.
      if (this.early.length < 64) this.early.push([data, isBinary]);
      return;
    }
    if (this.state !== 'open') return;
    if (isBinary) {
      this.bytesIn += data.length;
      this.touch();
      if (this.bridge && !this.bridge.input(data)) this.ws.pause();
      return;
    }
    const control = parseControl(data.toString('utf8'));
    if (!control) return this.end(CLOSE.protocol, 'protocol', 'The console received a message it does not understand.');
    if (control.type === 'resize') {
      this.size = clampSize(control.cols, control.rows);
      this.touch();
      this.bridge?.resize(this.size.cols, this.size.rows);
    }
    // Other control messages are for later versions of the page: ignored.
  }

  private async authenticate(text: string | null): Promise<void> {
    const auth = text === null ? null : parseControl(text);
    if (!auth || auth.type !== 'auth' || typeof auth.ticket !== 'string')
      return this.end(CLOSE.protocol, 'protocol', 'The console expected a ticket first.');
    this.size = clampSize(auth.cols, auth.rows);
    const grant = await redeemConsoleTicket(this.deps, auth.ticket);
    if (!grant)
      return this.end(
        CLOSE.ticket,
        'ticket_invalid',
        'This console link has expired or was already used. Reload the page.',
      );
    this.grant = grant;
    const refusal = await stillAllowed(this.deps, grant);
    if (refusal) return this.end(refusal.code, 'not_allowed', refusal.message);
    if (this.state === 'closed') return;
    const opened = await startConsoleSession(this.deps, grant, this.origin);
    if ('refused' in opened) return this.end(CLOSE.limit, 'limit', opened.refused);
    this.opened = opened;
    consoleSessions.opened();
    // The browser may have gone while the database answered.
    if (this.isClosed()) return this.recordEnd();
    this.state = 'open';
    this.touch();
    const host = this.bridgeHost();
    this.bridge = grant.mode === 'lish' ? lishBridge(host, this.deps, grant) : sshBridge(host, this.deps, grant);
    for (const [data, isBinary] of this.early.splice(0)) this.message(data, isBinary);
  }

  private bridgeHost(): BridgeHost {
    const ws = this.ws;
    const afterSend = () => {
      if (ws.bufferedAmount > LOW_WATER || !this.drainWaiters.length) return;
      for (const fn of this.drainWaiters.splice(0)) fn();
    };
    return {
      size: () => ({ ...this.size }),
      log: this.log,
      output: (data) => {
        if (this.state !== 'open' || ws.readyState !== ws.OPEN) return true;
        const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
        this.bytesOut += buf.length;
        ws.send(buf, { binary: true }, afterSend);
        return ws.bufferedAmount <= HIGH_WATER;
      },
      onOutputDrain: (fn) => {
        this.drainWaiters.push(fn);
        afterSend();
      },
      inputDrained: () => {
        if (ws.isPaused) ws.resume();
      },
      status: (state, message) => sendStatus(ws, state, message),
      end: (code, errorCode, message) => this.end(code, errorCode, message),
    };
  }

  /** Typing (or resizing) moves the idle deadline. */
  private touch(): void {
    clearTimeout(this.timer);
    const minutes = this.deps.config.CONSOLE_IDLE_MINUTES;
    this.timer = setTimeout(() => this.end(CLOSE.idle, 'idle', idleSentence(minutes)), minutes * 60_000);
  }

  private async closed(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.timer);
    this.bridge?.close();
    this.drainWaiters = [];
    this.hooks.closed(this);
    if (this.opened) await this.recordEnd();
    this.finished = true;
    for (const fn of this.closedWaiters.splice(0)) fn();
  }

  /** Calls `fn` once the console is closed and its end recorded. */
  onceClosed(fn: () => void): void {
    if (this.finished) fn();
    else this.closedWaiters.push(fn);
  }

  /** Once: the console leaves the count, and the log gets its end. */
  private async recordEnd(): Promise<void> {
    if (!this.opened || !this.grant || this.recorded) return;
    this.recorded = true;
    consoleSessions.closed();
    await endConsoleSession(this.deps, {
      id: this.opened.id,
      grant: this.grant,
      startedAt: this.opened.startedAt,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      reason: this.endReason,
      origin: this.origin,
    }).catch((err: Error) => this.log.error({ err: err.message }, 'console end not recorded'));
  }
}

function idleSentence(minutes: number): string {
  const [n, unit] = minutes >= 1 ? [Math.round(minutes), 'minute'] : [Math.max(1, Math.round(minutes * 60)), 'second'];
  return `The console closed after ${n} ${unit}${n === 1 ? '' : 's'} without typing.`;
}
