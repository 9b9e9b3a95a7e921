import type { Logger } from '../../lib/log.ts';
import type { AppDeps } from '../context.ts';
import type { CloseCode } from './protocol.ts';

/**
 * What a console (./session.ts) and the bridge behind it (./lish.ts, ./ssh.ts) give each other.
 */

export type ConsoleDeps = Pick<AppDeps, 'db' | 'config' | 'clock' | 'log' | 'clouds' | 'node'> & {
  /** Where SSH for the emulated provider's servers goes (the demo SSH server), if anywhere. */
  demoSsh: { host: string; port: number } | null;
};

/** Bytes a socket may hold unsent before its producer is paused; it resumes below LOW_WATER (backpressure). */
export const HIGH_WATER = 1024 * 1024;
export const LOW_WATER = 256 * 1024;

/** What a bridge may do with its console. */
export interface BridgeHost {
  /** The browser's terminal size now. */
  size(): { cols: number; rows: number };
  readonly log: Logger;
  /** Terminal output to the browser; false when the browser is behind: stop reading until `onOutputDrain`. */
  output(data: Buffer | string): boolean;
  onOutputDrain(fn: () => void): void;
  /** The upstream takes input again (after `input` returned false). */
  inputDrained(): void;
  status(state: 'connecting' | 'connected', message: string): void;
  end(code: CloseCode, errorCode: string | null, message: string): void;
}

/** One way through to the server: the provider's console or SSH. */
export interface Bridge {
  /** Terminal input from the browser; false when the upstream is full (the browser waits for `inputDrained`). */
  input(data: Buffer): boolean;
  resize(cols: number, rows: number): void;
  close(): void;
}
