import type { ClientChannel } from 'ssh2';

type Ssh2 = typeof import('ssh2');
let loading: Promise<Ssh2> | undefined;
/**
 * ssh2 is loaded when a console first needs it, not at start-up: with the WebAssembly memory of
 * its Poly1305 (16 MB) it is some 20 MB of an idle process that may never open a console.
 */
const ssh2 = (): Promise<Ssh2> => (loading ??= import('ssh2').then((m) => m.default));

/**
 * SSH to a customer's server for the browser console: one connection, one shell with a
 * terminal, credentials typed for this connection only (a password, or a pasted private key
 * without a passphrase), and the host key checked by the caller before anything is sent. ssh2
 * is the real client; the demo and the tests point it at the demo SSH server (./emulator).
 */

export type SshFailure =
  | 'auth' // the server refused the username and password or key
  | 'host_key' // the caller refused the server's host key
  | 'key' // the pasted private key cannot be used (not a key, or protected by a passphrase)
  | 'unreachable' // nothing answers, or it refused the connection
  | 'timeout'
  | 'protocol'; // it answered, but not like an SSH server we can talk to

/** Why a connection failed; `message` is a sentence for the person at the terminal. */
export class SshError extends Error {
  constructor(
    readonly kind: SshFailure,
    message: string,
  ) {
    super(message);
    this.name = 'SshError';
  }
}

export interface SshLogin {
  host: string;
  port: number;
  username: string;
  password?: string;
  /** A private key in OpenSSH or PEM form, without a passphrase. */
  privateKey?: string;
  /** Called with the server's host key blob before authentication; false refuses the connection. */
  verifyHostKey(blob: Buffer): Promise<boolean>;
  cols: number;
  rows: number;
  readyTimeoutMs?: number;
}

export interface SshShell {
  stream: ClientChannel;
  resize(cols: number, rows: number): void;
  close(): void;
}

/** Whether `text` can be used as a private key here: null when it can, else why not. */
export async function privateKeyProblem(text: string): Promise<string | null> {
  const parsed = (await ssh2()).utils.parseKey(text);
  if (parsed instanceof Error)
    return /encrypted|passphrase/i.test(parsed.message)
      ? 'This key is protected by a passphrase; only keys without one can be used here.'
      : 'That is not a private key this console can read (OpenSSH or PEM).';
  return parsed.isPrivateKey() ? null : 'That is a public key; paste the private key.';
}

/** Connects, authenticates and opens a shell; rejects with SshError. */
export async function openSshShell(login: SshLogin): Promise<SshShell> {
  const { Client } = await ssh2();
  return new Promise((resolve, reject) => {
    const client = new Client();
    let settled = false;
    let hostKeyRefused = false;
    const fail = (err: SshError) => {
      if (settled) return;
      settled = true;
      client.end();
      reject(err);
    };
    client.on('error', (err: Error & { level?: string; code?: string }) => {
      if (hostKeyRefused || err.level === 'client-verification')
        return fail(new SshError('host_key', 'The host key was refused.'));
      if (err.level === 'client-authentication') return fail(new SshError('auth', 'Access denied.'));
      if (err.level === 'client-timeout') return fail(new SshError('timeout', 'The server did not answer in time.'));
      if (err.code === 'ECONNREFUSED')
        return fail(new SshError('unreachable', `${login.host} refused the connection on port ${login.port}.`));
      if (err.level === 'client-socket' || err.code)
        return fail(new SshError('unreachable', `${login.host} cannot be reached on port ${login.port}.`));
      fail(new SshError('protocol', 'The SSH connection failed.'));
    });
    client.on('close', () => fail(new SshError('unreachable', 'The server closed the connection.')));
    client.on('keyboard-interactive', (_name, _instructions, _lang, prompts, finish) => {
      // Many servers ask for the password this way: answer each prompt with it, once.
      finish(prompts.map(() => login.password ?? ''));
    });
    client.on('ready', () => {
      client.shell({ term: 'xterm-256color', cols: login.cols, rows: login.rows }, (err, stream) => {
        if (err) return fail(new SshError('protocol', 'The server refused to open a shell.'));
        settled = true;
        resolve({
          stream,
          resize: (cols, rows) => stream.setWindow(rows, cols, 0, 0),
          close: () => client.end(),
        });
      });
    });
    try {
      client.connect({
        host: login.host,
        port: login.port,
        username: login.username,
        password: login.password,
        privateKey: login.privateKey,
        tryKeyboard: login.password !== undefined,
        readyTimeout: login.readyTimeoutMs ?? 15_000,
        keepaliveInterval: 30_000,
        hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
          login.verifyHostKey(key).then(
            (ok) => {
              hostKeyRefused = !ok;
              verify(ok);
            },
            () => {
              hostKeyRefused = true;
              verify(false);
            },
          );
        },
      });
    } catch (err) {
      fail(new SshError('key', (err as Error).message));
    }
  });
}
