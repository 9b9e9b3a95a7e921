import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { CloudProvider, ConsoleSession } from '../../src/providers/cloud.ts';
import { DEFAULT_DURATIONS } from '../../src/providers/linode/emulator/index.ts';
import { newServer, providerFor, startWorld, type World } from './helpers.ts';

const EXPIRED = JSON.stringify({ type: 'error', reason: 'Your session has expired.' });

/** A console connection that keeps everything the server wrote, and how it ended. */
interface Terminal {
  ws: WebSocket;
  output: () => string;
  messages: string[];
  /** Resolves once the output contains `text`. */
  until(text: string): Promise<string>;
  closed: Promise<{ code: number; reason: string }>;
}

function connect(session: ConsoleSession): Terminal {
  const ws = new WebSocket(session.url, session.protocols);
  const messages: string[] = [];
  const waiters: Array<{ text: string; resolve: (s: string) => void }> = [];
  ws.on('message', (data) => {
    messages.push(data.toString());
    const all = messages.join('');
    for (const w of [...waiters]) if (all.includes(w.text)) w.resolve(all);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  ws.on('error', () => {});
  return {
    ws,
    messages,
    output: () => messages.join(''),
    until: (text) =>
      new Promise((resolve, reject) => {
        if (messages.join('').includes(text)) return resolve(messages.join(''));
        waiters.push({ text, resolve });
        void closed.then(() =>
          reject(new Error(`closed before "${text}" arrived; got: ${JSON.stringify(messages.join(''))}`)),
        );
      }),
    closed,
  };
}

describe('Lish, the out-of-band console, in the Linode emulator', () => {
  let w: World;
  let linode: CloudProvider;
  let id: string;
  beforeEach(async () => {
    w = await startWorld();
    linode = providerFor(w);
    id = (await linode.create(newServer({ label: 'shell-box' }))).id;
    w.emu.settle(id);
  });
  afterEach(async () => {
    await w.emu.close();
  });

  it('greets with a banner saying it is a demo, then a prompt', async () => {
    const term = connect(await linode.console(id));
    const out = await term.until('root@shell-box:~# ');
    expect(out).toContain('SkyPanel demo console');
    expect(out).toContain('nothing you type runs anywhere');
    expect(term.ws.protocol).not.toBe('');
    term.ws.close();
  });

  it('echoes keystrokes and answers echo, uname, uptime, hostname and help', async () => {
    const term = connect(await linode.console(id));
    await term.until('# ');
    w.emu.advance(90 * 60_000);

    term.ws.send('echo hello there\r');
    await term.until('hello there\r\nroot@');
    term.ws.send('uname -a\r');
    await term.until('Linux shell-box 6.8.0-emulated');
    term.ws.send('uptime\r');
    await term.until('up 1:30,  1 user');
    term.ws.send('hostname\r');
    await term.until('shell-box\r\nroot@');
    term.ws.send('help\r');
    await term.until('Commands: help, echo');
    term.ws.send('rm -rf /\r');
    const out = await term.until('rm: command not found');
    expect(out).toContain('echo hello there\r\n'); // the typed line came back as it was typed
    term.ws.close();
  });

  it('edits the line with backspace and ignores arrow keys', async () => {
    const term = connect(await linode.console(id));
    await term.until('# ');
    term.ws.send('echo abcX\x7f\x1b[A\r');
    const out = await term.until('abc\r\nroot@');
    expect(out).toContain('\b \b');
    term.ws.close();
  });

  it('logs out on exit and closes the socket normally', async () => {
    const term = connect(await linode.console(id));
    await term.until('# ');
    term.ws.send('exit\r');
    expect((await term.closed).code).toBe(1000);
    expect(term.output()).toContain('logout');
  });

  it('refuses a credential used once already', async () => {
    const session = await linode.console(id);
    const first = connect(session);
    await first.until('# ');

    const again = connect(session);
    expect(await again.closed).toEqual({ code: 4001, reason: EXPIRED });
    expect(again.output()).toBe('');
    first.ws.close();
  });

  it('refuses a credential that was not used in time', async () => {
    const session = await linode.console(id);
    w.emu.advance(DEFAULT_DURATIONS.lishCredential + 1);
    expect((await connect(session).closed).reason).toBe(EXPIRED);
  });

  it('refuses a connection that does not offer the session’s subprotocol', async () => {
    const session = await linode.console(id);
    expect((await connect({ url: session.url, protocols: ['guess'] }).closed).reason).toBe(EXPIRED);
  });

  it('can be told to expire open sessions early; a fresh session works again', async () => {
    const term = connect(await linode.console(id));
    await term.until('# ');
    const unused = await linode.console(id);

    expect(w.emu.expireConsoleSessions(id)).toBe(1);
    expect(await term.closed).toEqual({ code: 4001, reason: EXPIRED });
    expect((await connect(unused).closed).reason).toBe(EXPIRED);

    const fresh = connect(await linode.console(id));
    await fresh.until('# ');
    fresh.ws.close();
  });

  it('can be told to end a session with another error, as a message', async () => {
    const term = connect(await linode.console(id));
    await term.until('# ');

    w.emu.closeConsoleWithError('lish_unavailable', { id, via: 'message' });

    expect((await term.closed).code).toBe(1000);
    expect(JSON.parse(term.messages.at(-1)!)).toEqual({ type: 'error', reason: 'lish_unavailable' });
  });

  it('says so when the server is powered off', async () => {
    await linode.shutdown(id);
    w.emu.settle(id);
    const term = connect(await linode.console(id));
    const out = await term.until('# ');
    expect(out).toContain('The server is offline; boot it to get a login prompt.');
    term.ws.close();
  });

  it('voids the credentials of a deleted server', async () => {
    const session = await linode.console(id);
    await linode.delete(id);
    w.emu.settle(id);
    expect((await connect(session).closed).reason).toBe(EXPIRED);
  });
});
