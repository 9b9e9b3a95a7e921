import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerError } from 'smtp-server';

/**
 * A local SMTP server (smtp-server + mailparser) that captures what the real nodemailer
 * transport sends, so the SMTP path is tested over a real socket. See
 * `specs/email-resend-smtp.md`, part B. STARTTLS is not offered: tests connect in plain text.
 */

export interface SmtpCredentials {
  user: string;
  pass: string;
}

/**
 * One-shot failures, consumed at the SMTP step they belong to: `535` at AUTH, `550`/`451` at
 * RCPT TO, `554` at end of DATA, `drop` closes the next connection right after it opens.
 */
export type SmtpFailure = '550' | '451' | '535' | '554' | 'drop';

export interface SmtpEmulatorMessage {
  /** The envelope sender (MAIL FROM). */
  from: string;
  /** The envelope recipients (RCPT TO). */
  to: string[];
  /** The `From` header as written. */
  fromHeader: string;
  subject: string;
  text: string | null;
  html: string | null;
  messageId: string | null;
  /** Header values by lower-case name; repeated headers are joined with ", ". */
  headers: Record<string, string>;
  /** The authenticated user, if the session logged in. */
  user: string | null;
  raw: string;
}

export interface SmtpEmulator {
  /** `smtp://127.0.0.1:<port>`, with the first user's credentials when users are configured. */
  url: string;
  port: number;
  messages: SmtpEmulatorMessage[];
  inject(failure: SmtpFailure): void;
  close(): Promise<void>;
}

export interface SmtpEmulatorOptions {
  /** When given, AUTH PLAIN/LOGIN is required and checked against these. */
  users?: SmtpCredentials | SmtpCredentials[];
  port?: number;
}

const smtpError = (code: number, message: string): SMTPServerError =>
  Object.assign(new Error(message), { responseCode: code });

export async function startSmtpEmulator(opts: SmtpEmulatorOptions = {}): Promise<SmtpEmulator> {
  const users = opts.users ? (Array.isArray(opts.users) ? opts.users : [opts.users]) : [];
  const messages: SmtpEmulatorMessage[] = [];
  const failures: SmtpFailure[] = [];
  // Each failure fires at its own step, so take the first queued one of the kinds that step knows.
  const take = (...kinds: SmtpFailure[]): SmtpFailure | undefined => {
    const i = failures.findIndex((f) => kinds.includes(f));
    return i === -1 ? undefined : failures.splice(i, 1)[0];
  };

  const server = new SMTPServer({
    secure: false,
    disabledCommands: users.length ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    authMethods: ['PLAIN', 'LOGIN'],
    authOptional: users.length === 0,
    // Plain-text AUTH is fine on loopback; without this smtp-server refuses AUTH before TLS.
    allowInsecureAuth: true,
    logger: false,
    // Reverse DNS on 127.0.0.1 only adds latency to every test connection.
    disableReverseLookup: true,
    onAuth(auth, _session, cb) {
      if (take('535')) return cb(smtpError(535, 'Authentication credentials invalid'));
      const ok = users.some((u) => u.user === auth.username && u.pass === auth.password);
      if (!ok) return cb(smtpError(535, 'Authentication credentials invalid'));
      cb(null, { user: auth.username });
    },
    onRcptTo(address, _session, cb) {
      const failure = take('550', '451');
      if (failure === '550')
        return cb(smtpError(550, `5.1.1 <${address.address}>: Recipient address rejected: User unknown`));
      if (failure === '451') return cb(smtpError(451, '4.3.0 Temporary failure, please try again later'));
      cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('error', cb);
      stream.on('end', () => {
        if (take('554')) return cb(smtpError(554, '5.6.0 Message rejected'));
        const raw = Buffer.concat(chunks).toString('utf8');
        // Store before answering 250, so a resolved sendMail() means the message is readable.
        simpleParser(raw)
          .then((parsed) => {
            const envelope = session.envelope;
            const headers = headerRecord(parsed.headerLines);
            messages.push({
              from: envelope.mailFrom ? envelope.mailFrom.address : '',
              to: envelope.rcptTo.map((r) => r.address),
              fromHeader: headers.from ?? '',
              subject: parsed.subject ?? '',
              text: parsed.text ?? null,
              html: typeof parsed.html === 'string' ? parsed.html : null,
              messageId: parsed.messageId ?? null,
              headers,
              user: typeof session.user === 'string' ? session.user : null,
              raw,
            });
            cb();
          })
          .catch((err: Error) => cb(smtpError(554, `5.6.0 Unparseable message: ${err.message}`)));
      });
    },
  });

  // Runs after smtp-server's own connection handler, so the client sees an open-then-closed socket.
  server.server.on('connection', (socket) => {
    if (take('drop')) socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  // Client sockets reset by tests (drops, timeouts) surface here; they are expected, not fatal.
  server.on('error', () => undefined);
  const { port } = server.server.address() as AddressInfo;
  const first = users[0];
  const auth = first ? `${encodeURIComponent(first.user)}:${encodeURIComponent(first.pass)}@` : '';

  return {
    url: `smtp://${auth}127.0.0.1:${port}`,
    port,
    messages,
    inject: (failure) => void failures.push(failure),
    close: () =>
      new Promise<void>((resolve) => {
        for (const conn of server.connections) conn.close();
        server.close(() => resolve());
      }),
  };
}

/** Unfolds raw header lines into `name → value`, keeping repeated headers. */
function headerRecord(lines: ReadonlyArray<{ key: string; line: string }>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { key, line } of lines) {
    const value = line
      .slice(line.indexOf(':') + 1)
      .replace(/\r?\n[ \t]+/g, ' ')
      .trim();
    out[key] = out[key] === undefined ? value : `${out[key]}, ${value}`;
  }
  return out;
}
