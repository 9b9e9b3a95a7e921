import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAction } from '../../src/domain/servers/actions.ts';
import { followServer } from '../../src/domain/servers/follow.ts';
import { demoHostKey, startDemoSshServer } from '../../src/providers/ssh/emulator/index.ts';
import { createPerson, signedIn } from '../helpers/people.ts';
import { actorFor } from '../servers/helpers.ts';
import {
  consoleFor,
  consoleWorld,
  customerWithServer,
  eventually,
  openSocket,
  requestTicket,
  sshSignIn,
  SSH_PASSWORD,
  type ConsoleWorld,
} from './helpers.ts';

/**
 * SSH mode end to end: the console asks for the username and password (or a pasted key) in the
 * terminal and connects with ssh2 to the demo SSH server the emulated provider's servers point
 * at, pinning its host key on first use. Nothing typed to sign in is stored.
 */

const key = ssh2.utils.generateKeyPairSync('ed25519');
const lockedKey = ssh2.utils.generateKeyPairSync('ed25519', {
  passphrase: 'secret words',
  cipher: 'aes256-ctr',
  rounds: 16,
});

let world: ConsoleWorld;
beforeAll(async () => {
  world = await consoleWorld({}, { authorizedKeys: { deploy: [key.public, lockedKey.public] } });
});
afterAll(async () => {
  await world?.close();
});

const pinned = (serverId: string) =>
  world.ctx.db.selectFrom('server_host_keys').selectAll().where('server_id', '=', serverId).executeTakeFirst();

describe('the SSH console', () => {
  it('signs in with a typed password (never echoed), pins the host key, and runs echo hello', async () => {
    const { serverId, browser } = await customerWithServer(world, 'Sam Shell');
    const terminal = await consoleFor(world, browser, serverId, { mode: 'ssh' });
    await terminal.waitFor('never stored');
    await sshSignIn(terminal);
    await terminal.waitFor('is now pinned');
    await terminal.waitFor('root@demo:~# ');
    expect(terminal.output).not.toContain(SSH_PASSWORD);
    expect(terminal.controls).toContainEqual(expect.objectContaining({ type: 'status', state: 'connected' }));
    terminal.type('echo hello\r');
    await terminal.waitFor('\r\nhello\r\n');

    const pin = await pinned(serverId);
    expect(pin).toMatchObject({ algorithm: 'ecdsa-sha2-nistp256', fingerprint: world.ssh.fingerprint });
    expect(terminal.output).toContain(world.ssh.fingerprint);

    terminal.type('exit\r');
    expect(await terminal.waitClose()).toEqual({ code: 1000, reason: 'The SSH session ended.' });
    // Nothing typed to sign in is kept anywhere.
    const log = await world.ctx.db
      .selectFrom('activity_log')
      .select('details')
      .where('target_id', '=', serverId)
      .execute();
    expect(JSON.stringify(log)).not.toContain(SSH_PASSWORD);
  });

  it('keeps what is typed before the prompts appear, as a terminal does', async () => {
    const { serverId, browser } = await customerWithServer(world, 'Tom Typeahead');
    const { json } = await requestTicket(world, browser, serverId, { mode: 'ssh' });
    const terminal = await openSocket(world);
    // All at once, in the socket's first moments: the username, the password, and a command.
    terminal.control({ type: 'auth', ticket: json.ticket, cols: 80, rows: 24 });
    terminal.type(`root\r${SSH_PASSWORD}\recho early\r`);
    await terminal.waitFor('\r\nearly\r\n');
    expect(terminal.output).not.toContain(SSH_PASSWORD);
    terminal.ws.close();
  });

  it('follows a resize: the server sees the new terminal size', async () => {
    const { serverId, browser } = await customerWithServer(world, 'Rita Resize');
    const terminal = await consoleFor(world, browser, serverId, { mode: 'ssh' });
    await sshSignIn(terminal);
    await terminal.waitFor(':~# ');
    terminal.type('stty size\r');
    await terminal.waitFor('\r\n24 80\r\n');
    terminal.control({ type: 'resize', cols: 132, rows: 40 });
    terminal.type('stty size\r');
    await terminal.waitFor('\r\n40 132\r\n');
    expect(terminal.closed).toBeNull();
    terminal.ws.close();
  });

  it('refuses a wrong password with "Access denied", asks again, and closes after three tries', async () => {
    const { serverId, browser } = await customerWithServer(world, 'Walt Wrong');
    const terminal = await consoleFor(world, browser, serverId, { mode: 'ssh' });
    await sshSignIn(terminal, 'root', 'not the password');
    await terminal.waitFor('Access denied.');
    await sshSignIn(terminal, 'root', 'still wrong');
    await terminal.until(() => terminal.output.split('Access denied.').length === 3, 'a second refusal');
    await sshSignIn(terminal, 'nobody', SSH_PASSWORD);
    const closed = await terminal.waitClose();
    expect(closed).toEqual({ code: 4010, reason: 'SSH sign-in failed 3 times.' });
    expect(terminal.lastError()).toMatchObject({ code: 'ssh_auth_failed' });
  });

  it('signs in with a pasted private key, and refuses one protected by a passphrase', async () => {
    const { serverId, browser } = await customerWithServer(world, 'Kim Key');
    const terminal = await consoleFor(world, browser, serverId, { mode: 'ssh' });
    await terminal.waitFor('login as: ');
    terminal.type('deploy\r');
    await terminal.waitFor('password (or paste a private key): ');
    // xterm pastes line breaks as carriage returns.
    terminal.type(`${lockedKey.private.trim().replace(/\n/g, '\r')}\r`);
    await terminal.waitFor('protected by a passphrase');
    terminal.type(`${key.private.trim().replace(/\n/g, '\r')}\r`);
    await terminal.waitFor('deploy@demo:~$ ');
    expect(terminal.output).not.toContain('PRIVATE KEY');
    terminal.type('whoami\r');
    await terminal.waitFor('\r\ndeploy\r\n');
    terminal.ws.close();
  });

  it('refuses a changed host key (4011) with a warning until an admin resets the pin, which is audited', async () => {
    const { person, serverId, browser } = await customerWithServer(world, 'Hank Host');
    const first = await consoleFor(world, browser, serverId, { mode: 'ssh' });
    await sshSignIn(first);
    await first.waitFor(':~# ');
    first.ws.close();
    await first.waitClose();

    // The same address now answers with another key.
    const impostor = await startDemoSshServer({
      users: { root: SSH_PASSWORD },
      hostKey: demoHostKey('another machine'),
    });
    const { port } = world.sshTarget;
    world.sshTarget.port = impostor.port;
    try {
      const second = await consoleFor(world, browser, serverId, { mode: 'ssh' });
      await sshSignIn(second);
      const closed = await second.waitClose();
      expect(closed.code).toBe(4011);
      expect(closed.reason).toMatch(/host key has changed/);
      expect(second.output).toContain('WARNING');
      expect(second.output).toContain(world.ssh.fingerprint);
      expect(second.output).toContain(impostor.fingerprint);
      expect(second.lastError()).toMatchObject({ code: 'host_key_changed' });
      expect(impostor.shells).toBe(0);
      expect((await pinned(serverId))!.fingerprint).toBe(world.ssh.fingerprint);

      // A customer cannot reset it; a platform admin can.
      const refused = await browser.post(`/admin/servers/${serverId}/host-key-reset`);
      expect(refused.status).toBe(404);
      const admin = await createPerson(world.ctx, 'Ada Admin', { isAdmin: true, verified: true });
      const staff = await signedIn(world.ctx, admin.email);
      await staff.get(`/admin/servers/${serverId}`);
      expect(staff.lastHtml).toContain(world.ssh.fingerprint);
      const reset = await staff.post(`/admin/servers/${serverId}/host-key-reset`);
      expect(reset.status).toBe(303);
      expect(await pinned(serverId)).toBeUndefined();
      const audit = await world.ctx.db
        .selectFrom('activity_log')
        .selectAll()
        .where('action', '=', 'admin.console_host_key_reset')
        .where('target_id', '=', serverId)
        .executeTakeFirstOrThrow();
      expect(audit).toMatchObject({ actor_user_id: admin.id, organization_id: person.organization.id });

      const third = await consoleFor(world, browser, serverId, { mode: 'ssh' });
      await sshSignIn(third);
      await third.waitFor(':~# ');
      expect((await pinned(serverId))!.fingerprint).toBe(impostor.fingerprint);
      third.ws.close();
    } finally {
      world.sshTarget.port = port;
      await impostor.close();
    }
  });

  it('pins the new key by itself when the server was rebuilt through SkyPanel since the pin', async () => {
    const { person, serverId, browser } = await customerWithServer(world, 'Rob Rebuild');
    const first = await consoleFor(world, browser, serverId, { mode: 'ssh' });
    await sshSignIn(first);
    await first.waitFor(':~# ');
    first.ws.close();

    world.ctx.clock.advance(60_000);
    await runAction(world.ctx.deps, actorFor(person, person.organization.id), serverId, {
      type: 'rebuild',
      image: 'debian12',
    });
    world.cloud.emu.settle();
    await followServer(world.ctx.deps, { serverId, attempt: 0 });

    const rebuilt = await startDemoSshServer({ users: { root: SSH_PASSWORD }, hostKey: demoHostKey('rebuilt') });
    const { port } = world.sshTarget;
    world.sshTarget.port = rebuilt.port;
    try {
      const second = await consoleFor(world, browser, serverId, { mode: 'ssh' });
      await sshSignIn(second);
      await second.waitFor('changed after its rebuild');
      await second.waitFor(':~# ');
      expect((await pinned(serverId))!.fingerprint).toBe(rebuilt.fingerprint);
      second.ws.close();
    } finally {
      world.sshTarget.port = port;
      await rebuilt.close();
    }
  });

  it('holds back a fast producer while the browser does not read, and loses nothing', { timeout: 90_000 }, async () => {
    const { serverId, browser } = await customerWithServer(world, 'Bea Backpressure');
    const terminal = await consoleFor(world, browser, serverId, { mode: 'ssh' });
    await sshSignIn(terminal);
    await terminal.waitFor(':~# ');
    terminal.type('seq 3000000\r');
    await terminal.waitFor('\r\n1000\r\n');
    terminal.ws.pause();
    // The browser reads nothing: the server stops reading the SSH channel, whose window fills,
    // and the shell waits instead of its 23 MB of output piling up in the server's memory.
    let last = -1;
    await eventually(
      async () => {
        const seen = world.ssh.written;
        await new Promise((r) => setTimeout(r, 500));
        const still = seen === last && world.ssh.written === seen && world.ssh.waiting === 1;
        last = seen;
        return still;
      },
      'the shell to stop and wait for its reader',
      20_000,
    );
    expect(world.ssh.written).toBeLessThan(16 * 1024 * 1024);
    terminal.ws.resume();
    await terminal.until(() => terminal.tail.includes('\r\n3000000\r\n'), 'the last line', 60_000);
    const lines = terminal.output.split('\r\n').filter((l) => /^\d+$/.test(l));
    expect(lines.slice(-3)).toEqual(['2999998', '2999999', '3000000']);
    expect(lines.length).toBe(3_000_000);
    expect(lines.every((l, i) => l === String(i + 1))).toBe(true);
    terminal.ws.close();
  });
});
