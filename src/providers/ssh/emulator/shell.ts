/**
 * The demo SSH server's pretend shell: a prompt, echo with line editing, and a handful of
 * harmless commands. Nothing runs anywhere; the banner says so. `seq` prints many lines (to see
 * a long output scroll, and backpressure at work): it waits whenever the channel is full.
 */

export interface ShellChannel {
  write(data: string): boolean;
  once(event: 'drain', fn: () => void): unknown;
  /** Ends the session (exit status 0). */
  exit(): void;
  /** Whether the client is still there (a long output stops when it is gone). */
  readonly open: boolean;
  /** The terminal's size, as the client last said (pty request, window changes). */
  size(): { cols: number; rows: number };
}

const BANNER =
  '\r\n*** SkyPanel demo SSH server ***\r\n' +
  'This is a simulated shell on an emulated server: nothing you type runs anywhere.\r\n' +
  "Type 'help' for the commands it knows.\r\n\r\n";

/** Starts the shell on `channel`; returns what to call with each chunk the client sends. */
export function demoShell(channel: ShellChannel, who: { user: string; host: string }): (data: Buffer | string) => void {
  const prompt = () => `${who.user}@${who.host}:~${who.user === 'root' ? '#' : '$'} `;
  channel.write(BANNER + prompt());
  let line = '';
  let escape = false;
  let busy: Promise<void> | null = null;

  const handle = (text: string) => {
    for (const ch of text) {
      if (escape) {
        // The rest of an escape sequence (arrow keys and the like) ends at a letter or ~.
        if (/[A-Za-z~]/.test(ch)) escape = false;
        continue;
      }
      if (ch === '\x1b') escape = true;
      else if (ch === '\r' || ch === '\n') {
        channel.write('\r\n');
        const cmd = line.trim();
        line = '';
        if (cmd === 'exit' || cmd === 'logout') {
          channel.write('logout\r\n');
          return channel.exit();
        }
        busy = run(channel, cmd, who).then(() => {
          busy = null;
          channel.write(prompt());
        });
        return;
      } else if (ch === '\x7f' || ch === '\b') {
        if (line) {
          line = line.slice(0, -1);
          channel.write('\b \b');
        }
      } else if (ch === '\x03') {
        line = '';
        channel.write(`^C\r\n${prompt()}`);
      } else if (ch === '\x04' && !line) {
        channel.write('logout\r\n');
        return channel.exit();
      } else if (ch >= ' ') {
        line += ch;
        channel.write(ch);
      }
    }
  };
  // Input that arrives while a command prints waits for it, as a terminal's type-ahead does.
  return (data) => {
    const text = data.toString();
    if (busy) void busy.then(() => handle(text));
    else handle(text);
  };
}

async function run(channel: ShellChannel, line: string, who: { user: string; host: string }): Promise<void> {
  const [cmd = '', ...args] = line.split(/\s+/);
  const out = (...lines: string[]) => void channel.write(lines.map((l) => `${l}\r\n`).join(''));
  switch (cmd) {
    case '':
      return;
    case 'help':
      return out(
        'Commands: help, echo, uname [-a], hostname, whoami, id, date, stty size, seq N, clear, exit',
        '(This is a demo shell; nothing runs anywhere.)',
      );
    case 'echo':
      return out(args.join(' '));
    case 'uname':
      return out(args.includes('-a') ? `Linux ${who.host} 6.8.0-demo #1 SMP x86_64 GNU/Linux` : 'Linux');
    case 'hostname':
      return out(who.host);
    case 'whoami':
      return out(who.user);
    case 'id':
      return out(who.user === 'root' ? 'uid=0(root) gid=0(root) groups=0(root)' : `uid=1000(${who.user})`);
    case 'date':
      return out(new Date().toUTCString());
    case 'stty': {
      const { cols, rows } = channel.size();
      return out(args[0] === 'size' ? `${rows} ${cols}` : `speed 38400 baud; rows ${rows}; columns ${cols};`);
    }
    case 'clear':
      return void channel.write('\x1b[2J\x1b[H');
    case 'seq': {
      // Written in chunks of about 8 KiB, as a program's output reaches a real SSH server.
      const n = Math.min(Number.parseInt(args[0] ?? '', 10) || 0, 10_000_000);
      let chunk = '';
      for (let i = 1; i <= n && channel.open; i++) {
        chunk += `${i}\r\n`;
        if (chunk.length < 8192 && i < n) continue;
        const more = channel.write(chunk);
        chunk = '';
        if (!more) await new Promise<void>((resolve) => channel.once('drain', resolve));
      }
      return;
    }
    default:
      return out(`${cmd}: command not found`);
  }
}
