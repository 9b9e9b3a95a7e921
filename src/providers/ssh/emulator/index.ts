import { createECDH, createHash, createPrivateKey, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import ssh2 from 'ssh2';
import { demoShell } from './shell.ts';

/**
 * The demo SSH server: a real SSH server (ssh2) on 127.0.0.1 whose only shell is a harmless
 * simulated one (./shell.ts). In demo mode every server of the emulated provider "is" this
 * server for SSH consoles (src/services.ts starts it; src/domain/console/targets.ts points
 * there); tests start their own with the users, keys and host key they need.
 *
 * Passwords and public keys are checked for real, so a wrong one is refused as a real server
 * refuses it. The host key is fixed unless one is given: a demo restarted keeps its key, so
 * the pin SkyPanel keeps for each server still matches.
 */

/** Who the demo server lets in when started by the demo (shown in the console, not a secret). */
export const DEMO_SSH_USER = 'root';
export const DEMO_SSH_PASSWORD = 'demo';

export interface DemoSshOptions {
  host?: string;
  port?: number;
  /** Username → password. Default: root / demo. */
  users?: Record<string, string>;
  /** Username → public keys (OpenSSH `ssh-ed25519 AAAA…` lines) allowed to sign in. */
  authorizedKeys?: Record<string, string[]>;
  /** The host's private key (OpenSSH or PEM); default: the demo's fixed key. */
  hostKey?: string;
  /** The name the shell's prompt shows. */
  hostname?: string;
}

export interface DemoSshServer {
  host: string;
  port: number;
  /** The host key's OpenSSH fingerprint (`SHA256:…`). */
  fingerprint: string;
  /** Sessions with a shell open now. */
  readonly shells: number;
  /** Shells waiting for their client to read what they wrote (the channel is full). */
  readonly waiting: number;
  /** Bytes the shells have written so far (all sessions). */
  readonly written: number;
  close(): Promise<void>;
}

export async function startDemoSshServer(opts: DemoSshOptions = {}): Promise<DemoSshServer> {
  const users = opts.users ?? { [DEMO_SSH_USER]: DEMO_SSH_PASSWORD };
  const hostKey = opts.hostKey ?? demoHostKey();
  const parsedHost = ssh2.utils.parseKey(hostKey);
  if (parsedHost instanceof Error) throw parsedHost;
  const allowed = new Map<string, ssh2.ParsedKey[]>();
  for (const [user, lines] of Object.entries(opts.authorizedKeys ?? {}))
    allowed.set(
      user,
      lines.map((line) => {
        const key = ssh2.utils.parseKey(line);
        if (key instanceof Error) throw key;
        return key;
      }),
    );
  let shells = 0;
  let waiting = 0;
  let written = 0;
  const clients = new Set<ssh2.Connection>();

  const server = new ssh2.Server({ hostKeys: [hostKey] }, (client) => {
    clients.add(client);
    let user = '';
    client.on('close', () => clients.delete(client));
    client.on('error', () => undefined);
    client.on('authentication', (ctx) => {
      if (ctx.method === 'password' && users[ctx.username] !== undefined && same(ctx.password, users[ctx.username]!)) {
        user = ctx.username;
        return ctx.accept();
      }
      if (ctx.method === 'publickey') {
        const key = allowed
          .get(ctx.username)
          ?.find((k) => k.type === ctx.key.algo && k.getPublicSSH().equals(ctx.key.data));
        if (key && (!ctx.signature || key.verify(ctx.blob!, ctx.signature, ctx.hashAlgo) === true)) {
          user = ctx.username;
          return ctx.accept();
        }
      }
      ctx.reject(['password', 'publickey']);
    });
    client.on('ready', () => {
      client.on('session', (accept) => {
        const session = accept();
        const size = { cols: 80, rows: 24 };
        session.on('pty', (ok, _no, info) => {
          Object.assign(size, { cols: info.cols, rows: info.rows });
          ok?.();
        });
        session.on('window-change', (ok, _no, info) => {
          Object.assign(size, { cols: info.cols, rows: info.rows });
          ok?.();
        });
        session.on('env', (ok) => ok?.());
        session.on('exec', (_ok, no) => no?.());
        session.on('shell', (ok) => {
          const stream = ok();
          shells += 1;
          let open = true;
          stream.on('close', () => {
            if (open) shells -= 1;
            open = false;
          });
          const input = demoShell(
            {
              write: (data) => {
                if (!open) return false;
                written += Buffer.byteLength(data);
                return stream.write(data);
              },
              once: (event, fn) => {
                // The shell waits for the client to read: counted, so tests see backpressure at work.
                waiting += 1;
                const go = () => {
                  stream.off(event, go);
                  stream.off('close', go);
                  waiting -= 1;
                  fn();
                };
                stream.on(event, go);
                stream.on('close', go);
              },
              size: () => ({ ...size }),
              exit: () => {
                stream.exit(0);
                stream.end();
              },
              get open() {
                return open;
              },
            },
            { user, host: opts.hostname ?? 'demo' },
          );
          stream.on('data', input);
        });
      });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    host: opts.host ?? '127.0.0.1',
    port: address.port,
    fingerprint: `SHA256:${createHash('sha256').update(parsedHost.getPublicSSH()).digest('base64').replace(/=+$/, '')}`,
    get shells() {
      return shells;
    },
    get waiting() {
      return waiting;
    },
    get written() {
      return written;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of clients) c.end();
        server.close(() => resolve());
      }),
  };
}

function same(a: string, b: string): boolean {
  const h = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(h(a), h(b));
}

/**
 * The demo's fixed host key: ECDSA P-256 from a constant seed (ssh2 reads no PKCS#8 Ed25519).
 * Public knowledge, like everything about the demo server: it guards a pretend shell.
 */
export function demoHostKey(seedText = 'SkyPanel demo SSH host key'): string {
  const seed = createHash('sha256').update(seedText).digest();
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(seed);
  const pub = ecdh.getPublicKey();
  const b64 = (b: Buffer) => b.toString('base64url');
  const key = createPrivateKey({
    key: { kty: 'EC', crv: 'P-256', d: b64(seed), x: b64(pub.subarray(1, 33)), y: b64(pub.subarray(33)) },
    format: 'jwk',
  });
  return key.export({ format: 'pem', type: 'sec1' }).toString();
}
