import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { classifyAddress } from './ip-ranges.ts';

/**
 * Outbound HTTP to addresses our customers type (webhook endpoints), safe against SSRF.
 *
 * A customer's URL must not reach our own network: the database, the metadata service at
 * 169.254.169.254, a neighbour on 10/8. So:
 * - `https` only; `http` only to loopback and only while an admin allows loopback (development);
 * - no user name or password in the URL, no well-known ports other than 80/443;
 * - every address the host resolves to must be public (or loopback, when allowed). This is
 *   checked when the endpoint is saved (`checkTarget`) AND again inside the socket's own
 *   `lookup` when a request connects (`postJson`), so a name that answers a public address to
 *   the check and a private one to the connection (DNS rebinding) is refused at connect time;
 * - redirects are never followed (a 3xx is just an answer), connect and total timeouts apply,
 *   the response body is read up to a small limit and the socket is then destroyed;
 * - proxy environment variables are not honoured (a fresh agent per request, no pooling).
 *
 * Imports nothing from src/ (src/lib rule).
 */

/** Who may be reached. `allowLoopback` is for development only: http or https to 127.0.0.0/8 and ::1. */
export interface OutboundPolicy {
  allowLoopback: boolean;
}

export type TargetProblem = 'invalid' | 'scheme' | 'credentials' | 'port' | 'private_address' | 'unresolvable';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to every address it has (default: the system resolver, as sockets use). Tests pass stand-ins. */
export type Lookup = (hostname: string) => Promise<ResolvedAddress[]>;

export interface PostResult {
  /** The receiver's status code; null when it never answered (then `error` says why). */
  statusCode: number | null;
  durationMs: number;
  /** The response body as text, cut at `maxResponseBytes`. */
  body: string;
  /** Why no answer came; null whenever `statusCode` is set (a body cut short or stalled after the status still counts as the answer). */
  error: { kind: 'refused' | 'dns' | 'connect' | 'timeout' | 'tls' | 'protocol'; message: string } | null;
}

const MESSAGES: Record<TargetProblem, string> = {
  invalid: 'Enter a full address such as https://example.com/webhooks.',
  scheme: 'Use an https:// address.',
  credentials: 'Remove the user name and password from the address (each delivery is signed instead).',
  port: 'Use the standard port (443) or a port from 1024 to 65535.',
  private_address:
    'This address points to a private, local or reserved network. Webhooks can only be sent to public internet addresses.',
  unresolvable: 'We could not look up this host name. Check the spelling: it must be a public name in DNS.',
};

const DNS_TIMEOUT_MS = 5_000;
const CONNECT_TIMEOUT_MS = 5_000;
const MAX_URL_LENGTH = 2048;

// ---------------------------------------------------------------------------------------------
// Address classes: ./ip-ranges.ts

function addressAllowed(address: string, scheme: 'http:' | 'https:', policy: OutboundPolicy): boolean {
  const cls = classifyAddress(address);
  if (scheme === 'http:') return policy.allowLoopback && cls === 'loopback';
  return cls === 'public' || (policy.allowLoopback && cls === 'loopback');
}

// ---------------------------------------------------------------------------------------------
// Resolution

const systemLookup: Lookup = (hostname) =>
  new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true, verbatim: true }, (err, addresses: LookupAddress[]) => {
      if (err) reject(err);
      else resolve(addresses.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 })));
    });
  });

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(
      () => reject(Object.assign(new Error(`DNS lookup timed out after ${ms} ms`), { code: 'EAI_AGAIN' })),
      ms,
    );
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e: unknown) => (clearTimeout(t), reject(e)),
    );
  });
}

const bare = (hostname: string) => (hostname.startsWith('[') ? hostname.slice(1, -1) : hostname);

const refuse = (problem: TargetProblem) => ({ ok: false as const, problem, message: MESSAGES[problem] });

/**
 * Whether `url` may receive webhooks under `policy`: its form (https, no credentials, port) and
 * every address its host resolves to now. Answers the problem in words a customer understands.
 * `postJson` checks the addresses again when it connects.
 */
export async function checkTarget(
  url: string,
  policy: OutboundPolicy,
  opts: { lookup?: Lookup } = {},
): Promise<{ ok: true; url: URL } | { ok: false; problem: TargetProblem; message: string }> {
  if (typeof url !== 'string' || url.length > MAX_URL_LENGTH) return refuse('invalid');
  let u: URL;
  try {
    u = new URL(url.trim());
  } catch {
    return refuse('invalid');
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return refuse('scheme');
  if (u.protocol === 'http:' && !policy.allowLoopback) return refuse('scheme');
  if (u.username || u.password) return refuse('credentials');
  const port = u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
  if (port < 1 || (port < 1024 && port !== 443 && port !== 80)) return refuse('port');
  const host = bare(u.hostname);
  if (!host) return refuse('invalid');
  let addresses: string[];
  if (net.isIP(host)) addresses = [host];
  else {
    try {
      addresses = (await withTimeout((opts.lookup ?? systemLookup)(host), DNS_TIMEOUT_MS)).map((a) => a.address);
    } catch {
      return refuse('unresolvable');
    }
    if (addresses.length === 0) return refuse('unresolvable');
  }
  for (const a of addresses)
    if (!addressAllowed(a, u.protocol, policy)) {
      // http to a public address while loopback is allowed: the scheme is what is wrong.
      if (u.protocol === 'http:' && classifyAddress(a) === 'public') return refuse('scheme');
      return refuse('private_address');
    }
  return { ok: true, url: u };
}

// ---------------------------------------------------------------------------------------------
// Sending

class RefusedAtConnect extends Error {
  readonly code = 'ERR_OUTBOUND_REFUSED';
}

class OutboundTimeout extends Error {
  readonly code = 'ERR_OUTBOUND_TIMEOUT';
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** The socket's `lookup`: resolves, then refuses unless every address is allowed (no rebinding between check and connect). */
function guardedLookup(scheme: 'http:' | 'https:', policy: OutboundPolicy, lookup: Lookup) {
  return (hostname: string, options: { family?: number | string; all?: boolean }, callback: LookupCallback) => {
    withTimeout(lookup(hostname), DNS_TIMEOUT_MS).then(
      (found) => {
        if (found.length === 0)
          return callback(Object.assign(new Error(`${hostname} has no addresses`), { code: 'ENOTFOUND' }), '');
        const bad = found.find((a) => !addressAllowed(a.address, scheme, policy));
        if (bad) return callback(new RefusedAtConnect(`${hostname} resolved to an address we do not send to`), '');
        const fam =
          options.family === 4 || options.family === 'IPv4'
            ? 4
            : options.family === 6 || options.family === 'IPv6'
              ? 6
              : 0;
        const usable = fam ? found.filter((a) => a.family === fam) : found;
        if (usable.length === 0)
          return callback(Object.assign(new Error(`${hostname} has no IPv${fam} address`), { code: 'ENOTFOUND' }), '');
        if (options.all)
          return callback(
            null,
            usable.map((a) => ({ address: a.address, family: a.family })),
          );
        return callback(null, usable[0]!.address, usable[0]!.family);
      },
      (err: NodeJS.ErrnoException) => callback(err, ''),
    );
  };
}

const TLS_CODE = /^(ERR_TLS|ERR_SSL|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|HOSTNAME_MISMATCH|ERR_OSSL)/;

function describe(err: unknown, target: string, timeoutMs: number): NonNullable<PostResult['error']> {
  const e = err as NodeJS.ErrnoException & { reason?: string };
  const code = e?.code ?? '';
  if (err instanceof RefusedAtConnect) return { kind: 'refused', message: MESSAGES.private_address };
  if (err instanceof OutboundTimeout) return { kind: 'timeout', message: e.message };
  if (['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NODATA', 'ENODATA', 'EAI_NONAME'].includes(code))
    return { kind: 'dns', message: `Could not look up ${target} (${code}).` };
  if (code === 'ETIMEDOUT') return { kind: 'timeout', message: `Timed out connecting to ${target}.` };
  if (TLS_CODE.test(code) || /certificate|tls|ssl/i.test(e?.message ?? ''))
    return { kind: 'tls', message: `TLS failed with ${target}: ${e.reason ?? e.message} (${code || 'tls'}).` };
  if (code.startsWith('HPE_'))
    return { kind: 'protocol', message: `The answer from ${target} was not valid HTTP (${code}).` };
  if (code === 'ECONNREFUSED') return { kind: 'connect', message: `${target} refused the connection.` };
  if (code === 'ECONNRESET' || code === 'EPIPE')
    return { kind: 'connect', message: `${target} closed the connection without answering.` };
  void timeoutMs;
  return {
    kind: 'connect',
    message: `Could not connect to ${target}: ${e?.message ?? String(err)}${code ? ` (${code})` : ''}.`,
  };
}

/**
 * POSTs `body` to `url` and reports what happened. Never throws for network or target
 * problems: a refused target, DNS, connect, TLS, timeout and protocol failures come back as
 * `error`. No redirects (a 3xx is returned as is), no proxy, no connection reuse.
 */
export async function postJson(
  url: string,
  body: string,
  headers: Record<string, string>,
  opts: {
    policy: OutboundPolicy;
    /** Total time for DNS, connect, sending and the answer's status line (default 10 s). */
    timeoutMs?: number;
    /** Response bytes kept (default 16 KiB); the socket is destroyed after that. */
    maxResponseBytes?: number;
    lookup?: Lookup;
    /** Extra trusted CA certificates (PEM); for tests with a self-signed receiver. */
    ca?: string;
  },
): Promise<PostResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const maxBytes = opts.maxResponseBytes ?? 16 * 1024;
  const lookup = opts.lookup ?? systemLookup;

  let checked: Awaited<ReturnType<typeof checkTarget>>;
  try {
    checked = await checkTarget(url, opts.policy, { lookup });
  } catch (err) {
    return { statusCode: null, durationMs: elapsed(), body: '', error: { kind: 'refused', message: String(err) } };
  }
  if (!checked.ok)
    return {
      statusCode: null,
      durationMs: elapsed(),
      body: '',
      error: { kind: checked.problem === 'unresolvable' ? 'dns' : 'refused', message: checked.message },
    };
  const u = checked.url;
  const host = bare(u.hostname);
  const target = u.host;
  const scheme = u.protocol as 'http:' | 'https:';
  const remaining = Math.max(1, timeoutMs - elapsed());

  return new Promise<PostResult>((resolve) => {
    let settled = false;
    let statusCode: number | null = null;
    const chunks: Buffer[] = [];
    let kept = 0;
    const timers: NodeJS.Timeout[] = [];
    const finish = (error: PostResult['error']) => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      setImmediate(() => req.destroy()); // never leave a socket behind, whatever ended the exchange
      resolve({
        statusCode,
        durationMs: elapsed(),
        body: Buffer.concat(chunks).toString('utf8'),
        error: statusCode === null ? error : null,
      });
    };

    const common = {
      method: 'POST',
      host,
      port: u.port ? Number(u.port) : undefined,
      path: `${u.pathname}${u.search}`,
      headers: {
        'content-type': 'application/json',
        ...headers,
        'content-length': String(Buffer.byteLength(body)),
        connection: 'close',
      },
      agent: false as const, // a fresh agent: no pooling, no proxy
      lookup: guardedLookup(scheme, opts.policy, lookup) as unknown as net.LookupFunction,
      maxHeaderSize: 16 * 1024,
    };
    const req =
      scheme === 'https:'
        ? https.request({
            ...common,
            rejectUnauthorized: true,
            ...(opts.ca ? { ca: opts.ca } : {}),
            ...(net.isIP(host) ? {} : { servername: host }),
          })
        : http.request(common);

    timers.push(
      setTimeout(() => req.destroy(new OutboundTimeout(`No answer from ${target} within ${timeoutMs} ms.`)), remaining),
    );
    req.once('socket', (socket) => {
      const t = setTimeout(
        () =>
          req.destroy(
            new OutboundTimeout(`Could not connect to ${target} within ${Math.min(CONNECT_TIMEOUT_MS, remaining)} ms.`),
          ),
        Math.min(CONNECT_TIMEOUT_MS, remaining),
      );
      timers.push(t);
      socket.once('connect', () => clearTimeout(t));
    });
    req.on('error', (err) => finish(describe(err, target, timeoutMs)));
    req.on('response', (res) => {
      statusCode = res.statusCode ?? null;
      res.on('data', (chunk: Buffer) => {
        if (kept >= maxBytes) return;
        const take = chunk.subarray(0, maxBytes - kept);
        chunks.push(take);
        kept += take.length;
        if (kept >= maxBytes) {
          finish(null);
          res.destroy();
          req.destroy();
        }
      });
      res.on('end', () => finish(null));
      res.on('error', () => finish(null));
      res.on('close', () => finish(null));
    });
    req.end(body);
  });
}
