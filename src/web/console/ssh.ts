import type { ConsoleGrant } from '../../domain/console/access.ts';
import { checkHostKey, type HostKeyCheck } from '../../domain/console/host-keys.ts';
import { sshEndpoint, type SshEndpoint } from '../../domain/console/targets.ts';
import { openSshShell, privateKeyProblem, SshError, type SshShell } from '../../providers/ssh/client.ts';
import { CLOSE } from './protocol.ts';
import type { Bridge, BridgeHost, ConsoleDeps } from './bridge.ts';

/**
 * SSH mode: this process asks for the username, then the password (not echoed) or a pasted
 * private key, inside the terminal, and connects with ssh2 to the server's public IPv4 on port
 * 22 (the demo SSH server for the emulated provider). What is typed is used for this
 * connection only: never stored, never logged. The host key is pinned per server on first use
 * (src/domain/console/host-keys.ts); a changed key is refused with a warning (4011).
 *
 *   username → secret → connecting → shell     Access denied: back to username (3 tries, then 4010)
 *   secret starting "-----BEGIN": a key, read until its "-----END … -----" line
 *   Ctrl-C while signing in: the console ends
 */

const TRIES = 3;
const MAX_LINE = 1024;
const MAX_KEY = 16 * 1024;
const TYPE_AHEAD_MAX = 16 * 1024;
const USERNAME = /^[A-Za-z0-9._][A-Za-z0-9._@-]{0,63}$/;

type Step = 'starting' | 'username' | 'secret' | 'key' | 'connecting' | 'shell' | 'closed';

export function sshBridge(host: BridgeHost, deps: ConsoleDeps, grant: ConsoleGrant): Bridge {
  let step: Step = 'starting';
  let endpoint: SshEndpoint | null = null;
  let line = '';
  let username = '';
  let key = '';
  let failures = 0;
  let shell: SshShell | null = null;
  let changed: Extract<HostKeyCheck, { outcome: 'changed' }> | null = null;
  const write = (text: string) => host.output(text);
  // A function, not `step === 'closed'` inline: the bridge may be closed while it awaits.
  const isClosed = () => step === 'closed';

  let typeAhead: Buffer[] = [];
  let typeAheadBytes = 0;
  /** What was typed while nothing could take it, handed to what takes it now. */
  const replayTypeAhead = (to: (data: Buffer) => void) => {
    const pending = typeAhead;
    typeAhead = [];
    typeAheadBytes = 0;
    for (const data of pending) to(data);
  };

  const askUsername = () => {
    step = 'username';
    line = '';
    write('login as: ');
    replayTypeAhead((data) => typed(data.toString('utf8')));
  };
  const askSecret = () => {
    step = 'secret';
    line = '';
    key = '';
    write(`${username}@${endpoint!.address}'s password (or paste a private key): `);
  };

  void (async () => {
    endpoint = await sshEndpoint(deps, grant.serverId, deps.demoSsh);
    if (isClosed()) return;
    if (!endpoint)
      return host.end(CLOSE.unavailable, 'ssh_unavailable', 'SSH is not available for this server right now.');
    host.status('connecting', `Sign in to ${endpoint.address} over SSH.`);
    write(
      `SSH to ${endpoint.address}, port 22. What you type to sign in is used for this connection only and never stored.\r\n` +
        (endpoint.demo
          ? `This server is emulated: SSH goes to SkyPanel's demo SSH server. Sign in as root, password demo.\r\n`
          : '') +
        '\r\n',
    );
    askUsername();
  })().catch((err: Error) => {
    host.log.error({ err: err.message }, 'SSH console failed to start');
    host.end(CLOSE.unavailable, 'internal_error', 'The console could not be opened. Please try again.');
  });

  const connect = async (secret: { password: string } | { privateKey: string }) => {
    step = 'connecting';
    changed = null;
    const { cols, rows } = host.size();
    try {
      if ('privateKey' in secret) {
        const problem = await privateKeyProblem(secret.privateKey);
        if (problem) throw new SshError('key', problem);
      }
      const opened = await openSshShell({
        host: endpoint!.host,
        port: endpoint!.port,
        username,
        ...secret,
        cols,
        rows,
        verifyHostKey: async (blob) => {
          const check = await checkHostKey(deps, grant.serverId, blob);
          if (check.outcome === 'pinned')
            write(`The server's host key (${check.key.algorithm} ${check.key.fingerprint}) is now pinned for it.\r\n`);
          if (check.outcome === 'repinned')
            write(
              `The server's host key changed after its ${check.because}; the new key (${check.key.fingerprint}) is now pinned.\r\n`,
            );
          if (check.outcome !== 'changed') return true;
          changed = check;
          return false;
        },
      });
      if (isClosed()) return opened.close();
      shell = opened;
      step = 'shell';
      replayTypeAhead((data) => opened.stream.write(data));
      host.status('connected', `Connected to ${endpoint!.address} over SSH.`);
      const out = (data: Buffer) => {
        if (!host.output(data)) {
          opened.stream.pause();
          host.onOutputDrain(() => opened.stream.resume());
        }
      };
      opened.stream.on('data', out);
      opened.stream.stderr.on('data', out);
      opened.stream.on('drain', () => host.inputDrained());
      opened.stream.on('close', () => {
        if (step !== 'closed') host.end(CLOSE.normal, null, 'The SSH session ended.');
      });
    } catch (err) {
      if (isClosed()) return;
      // Typed ahead for a shell that did not open: dropped, never echoed at the next prompt (it may be a password).
      typeAhead = [];
      typeAheadBytes = 0;
      const e = err instanceof SshError ? err : new SshError('protocol', 'The SSH connection failed.');
      if (e.kind === 'host_key' && changed) return refuseChangedKey(changed);
      if (e.kind === 'auth') {
        failures += 1;
        write('Access denied.\r\n');
        if (failures >= TRIES)
          return host.end(CLOSE.unavailable, 'ssh_auth_failed', `SSH sign-in failed ${TRIES} times.`);
        return askUsername();
      }
      if (e.kind === 'key') {
        write(`${e.message}\r\n`);
        return askSecret();
      }
      write(`${e.message}\r\n`);
      host.end(CLOSE.unavailable, 'ssh_unreachable', e.message);
    }
  };

  const refuseChangedKey = (c: Extract<HostKeyCheck, { outcome: 'changed' }>) => {
    write(
      '\r\n@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\r\n' +
        "WARNING: THE SERVER'S SSH HOST KEY HAS CHANGED\r\n" +
        '@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\r\n' +
        'Someone could be intercepting this connection, or the server was reinstalled outside SkyPanel.\r\n' +
        `Pinned key:  ${c.previous.algorithm} ${c.previous.fingerprint}\r\n` +
        `Offered key: ${c.key.algorithm} ${c.key.fingerprint}\r\n` +
        'The connection was refused and nothing was sent. If the change is yours, ask support to reset the pinned host key.\r\n',
    );
    host.end(
      CLOSE.hostKey,
      'host_key_changed',
      "The server's SSH host key has changed, so the connection was refused. Support can reset the pinned key.",
    );
  };

  /** A finished line at the username prompt. */
  const enteredUsername = (value: string) => {
    write('\r\n');
    if (!USERNAME.test(value)) {
      if (value) write('That is not a valid username.\r\n');
      return askUsername();
    }
    username = value;
    askSecret();
  };

  /** A finished line at the password prompt: a password, or the first line of a pasted key. */
  const enteredSecret = (value: string) => {
    if (value.startsWith('-----BEGIN')) {
      step = 'key';
      key = `${value}\n`;
      return;
    }
    write('\r\n');
    if (!value) return askSecret();
    void connect({ password: value });
  };

  const keyLine = (value: string) => {
    if (!value) return;
    key += `${value}\n`;
    if (key.length > MAX_KEY) {
      write('\r\nThat key is too long.\r\n');
      return askSecret();
    }
    if (!/^-----END [A-Z0-9 ]+-----$/.test(value.trim())) return;
    write('\r\n');
    const privateKey = key;
    key = '';
    void connect({ privateKey });
  };

  const typed = (text: string) => {
    // A paste may come wrapped in bracketed-paste markers; they are not part of what was typed.
    const chars = [...text.replace(/\x1b\[20[01]~/g, '')];
    for (const [i, ch] of chars.entries()) {
      if (step !== 'username' && step !== 'secret' && step !== 'key') {
        // Signing in began mid-chunk: the rest was typed ahead, for the shell.
        const rest = Buffer.from(chars.slice(i).join(''), 'utf8');
        if (step === 'connecting' && typeAheadBytes + rest.length <= TYPE_AHEAD_MAX) {
          typeAhead.push(rest);
          typeAheadBytes += rest.length;
        }
        return;
      }
      if (ch === '\x03') return host.end(CLOSE.normal, null, 'SSH sign-in cancelled.');
      if (ch === '\r' || ch === '\n') {
        const value = line;
        line = '';
        if (step === 'username') enteredUsername(value.trim());
        else if (step === 'secret') enteredSecret(value);
        else keyLine(value);
      } else if (ch === '\x7f' || ch === '\b') {
        if (line && step === 'username') write('\b \b');
        line = line.slice(0, -1);
      } else if (ch === '\x15') {
        if (step === 'username') write('\b \b'.repeat(line.length));
        line = '';
      } else if (ch >= ' ' && line.length < MAX_LINE) {
        line += ch;
        // The username is echoed; a password or key never is.
        if (step === 'username') write(ch);
      }
    }
  };

  return {
    input(data) {
      if (step === 'shell' && shell) return shell.stream.write(data);
      if (step === 'starting' || step === 'connecting') {
        // Typed ahead, as into a terminal: for the prompt that comes, or the shell once open.
        if (typeAheadBytes + data.length <= TYPE_AHEAD_MAX) {
          typeAhead.push(data);
          typeAheadBytes += data.length;
        }
        return true;
      }
      typed(data.toString('utf8'));
      return true;
    },
    resize(cols, rows) {
      shell?.resize(cols, rows);
    },
    close() {
      step = 'closed';
      line = '';
      key = '';
      typeAhead = [];
      shell?.close();
      shell = null;
    },
  };
}
