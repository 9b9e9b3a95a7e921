import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STALE_MS, sweepLostConsoles, touchConsoleSessions } from '../../src/domain/console/sessions.ts';
import { processRegistry } from '../../src/metrics/registry.ts';
import {
  consoleFor,
  consoleWorld,
  customerWithServer,
  eventually,
  openConsole,
  requestTicket,
  runningServer,
  secondConsole,
  type ConsoleWorld,
  type TestTerminal,
} from './helpers.ts';

/**
 * The console's limits: at most CONSOLE_MAX_PER_USER consoles per user and
 * CONSOLE_MAX_PER_SERVER per server (counted in the database, so across processes), a cap per
 * process, and the idle timeout. A refusal at the ticket is 429; one discovered when the socket
 * opens (two tickets racing for the last place) closes it with 4009.
 */

let world: ConsoleWorld;
beforeAll(async () => {
  world = await consoleWorld();
});
afterAll(async () => {
  await world?.close();
});

const ready = async (t: TestTerminal) => {
  await t.waitFor(':~# ');
  return t;
};
const closeAll = async (terminals: TestTerminal[]) => {
  for (const t of terminals) t.ws.close();
  for (const t of terminals) await t.waitClose();
};
const openRows = (userId: string) =>
  world.ctx.db.selectFrom('console_sessions').select('id').where('user_id', '=', userId).execute();

describe('limits', () => {
  it('lets a user open three consoles, refuses a fourth (429), and lets one in again once one closes', async () => {
    const { person, serverId, browser } = await customerWithServer(world, 'Lena Limit');
    const other = await runningServer(world, person, person.organization.id);
    const open = [
      await ready(await consoleFor(world, browser, serverId)),
      await ready(await consoleFor(world, browser, serverId)),
      await ready(await consoleFor(world, browser, other)),
    ];
    expect(await openRows(person.id)).toHaveLength(3);
    const fourth = await requestTicket(world, browser, other);
    expect(fourth.status).toBe(429);
    expect(fourth.json.error).toMatchObject({ code: 'console_limit', message: expect.stringMatching(/at most 3/) });

    open[0]!.ws.close();
    await open[0]!.waitClose();
    await eventually(async () => (await openRows(person.id)).length === 2, 'the closed console to be counted out');
    const again = await ready(await consoleFor(world, browser, other));
    await closeAll([again, open[1]!, open[2]!]);
  });

  it('refuses a third console on one server (429), whoever asks', async () => {
    const { serverId, browser } = await customerWithServer(world, 'Petra Perserver');
    const open = [
      await ready(await consoleFor(world, browser, serverId)),
      await ready(await consoleFor(world, browser, serverId)),
    ];
    const third = await requestTicket(world, browser, serverId);
    expect(third.status).toBe(429);
    expect(third.json.error).toMatchObject({ message: expect.stringMatching(/This server already has 2 consoles/) });
    await closeAll(open);
  });

  it('closes with 4009 the socket of a ticket that lost the race for the last place', async () => {
    const { serverId, browser } = await customerWithServer(world, 'Rex Racer');
    const first = await ready(await consoleFor(world, browser, serverId));
    // Both tickets are issued while there is room for one more.
    const a = await requestTicket(world, browser, serverId);
    const b = await requestTicket(world, browser, serverId);
    const [ta, tb] = await Promise.all([openConsole(world, a.json.ticket!), openConsole(world, b.json.ticket!)]);
    await eventually(() => ta.closed !== null || tb.closed !== null, 'one of them to be refused');
    const [lost, won] = ta.closed ? [ta, tb] : [tb, ta];
    expect(lost.closed!.code).toBe(4009);
    expect(lost.lastError()).toMatchObject({ code: 'limit' });
    await ready(won);
    await closeAll([first, won]);
  });

  it('counts a console a stopped process left behind until it goes stale, then logs it as ended', async () => {
    const { person, serverId, browser } = await customerWithServer(world, 'Gus Ghost');
    const now = world.ctx.clock.now();
    const leftover = (seenAgo: number) => ({
      user_id: person.id,
      organization_id: person.organization.id,
      server_id: serverId,
      mode: 'lish' as const,
      started_at: new Date(now.getTime() - STALE_MS * 2),
      seen_at: new Date(now.getTime() - seenAgo),
      bytes_in: 12,
      bytes_out: 3400,
    });
    await world.ctx.db
      .insertInto('console_sessions')
      .values([leftover(1_000), leftover(2_000)])
      .execute();
    expect((await requestTicket(world, browser, serverId)).status).toBe(429);

    world.ctx.clock.advance(STALE_MS);
    const terminal = await ready(await consoleFor(world, browser, serverId));
    const ended = await world.ctx.db
      .selectFrom('activity_log')
      .selectAll()
      .where('action', '=', 'server.console_closed')
      .where('target_id', '=', serverId)
      .execute();
    expect(ended).toHaveLength(2);
    expect(ended[0]!.details).toMatchObject({ bytes_sent: 12, bytes_received: 3400, mode: 'lish' });
    expect(ended[0]!.details.reason).toMatch(/process holding the console stopped/);
    terminal.ws.close();
  });

  it('keeps a console counted while its process says it is there, with its bytes so far (the heartbeat)', async () => {
    const { person, serverId, browser } = await customerWithServer(world, 'Hal Heartbeat');
    const terminal = await ready(await consoleFor(world, browser, serverId));
    const [row] = await openRows(person.id);
    world.ctx.clock.advance(STALE_MS - 1_000);
    await touchConsoleSessions(world.ctx.deps, [{ id: row!.id, bytesIn: 5, bytesOut: 700 }]);
    world.ctx.clock.advance(2_000);
    // Not stale: still counted by a console opened now, and not swept.
    await sweepLostConsoles(world.ctx.deps);
    const kept = await world.ctx.db
      .selectFrom('console_sessions')
      .selectAll()
      .where('id', '=', row!.id)
      .executeTakeFirstOrThrow();
    expect(kept).toMatchObject({ bytes_in: 5n, bytes_out: 700n });
    terminal.ws.close();
    await terminal.waitClose();
  });

  it('caps the consoles of one process (CONSOLE_MAX_PER_PROCESS), with 4009', async () => {
    const second = await secondConsole(world, { CONSOLE_MAX_PER_PROCESS: 1 });
    try {
      const { serverId, browser } = await customerWithServer(world, 'Cap Capped');
      const t1 = await requestTicket(world, browser, serverId);
      const first = await ready(await openConsole(world, t1.json.ticket!, undefined, second.url));
      const t2 = await requestTicket(world, browser, serverId);
      const refused = await openConsole(world, t2.json.ticket!, undefined, second.url);
      const closed = await refused.waitClose();
      expect(closed.code).toBe(4009);
      expect(closed.reason).toMatch(/Too many consoles/);
      first.ws.close();
    } finally {
      await second.close();
    }
  });

  it('closes a console nobody types in after CONSOLE_IDLE_MINUTES (4008); typing keeps it open', async () => {
    const second = await secondConsole(world, { CONSOLE_IDLE_MINUTES: 0.02 });
    try {
      const { serverId, browser } = await customerWithServer(world, 'Ida Idle');
      const t = await requestTicket(world, browser, serverId);
      const terminal = await ready(await openConsole(world, t.json.ticket!, undefined, second.url));
      const started = Date.now();
      for (let i = 0; i < 4; i++) {
        await new Promise((r) => setTimeout(r, 600));
        terminal.type(' ');
      }
      expect(terminal.closed).toBeNull();
      const closed = await terminal.waitClose(5_000);
      expect(Date.now() - started).toBeGreaterThan(2_400 + 1_000);
      expect(closed).toEqual({ code: 4008, reason: 'The console closed after 1 second without typing.' });
    } finally {
      await second.close();
    }
  });
});

describe('metrics', () => {
  it('counts open consoles in skypanel_console_sessions', async () => {
    const gauge = async () =>
      (await processRegistry.getSingleMetric('skypanel_console_sessions')!.get()).values[0]?.value ?? 0;
    const { serverId, browser } = await customerWithServer(world, 'Mo Metrics');
    const before = await gauge();
    const terminal = await ready(await consoleFor(world, browser, serverId));
    expect(await gauge()).toBe(before + 1);
    terminal.ws.close();
    await terminal.waitClose();
    await eventually(async () => (await gauge()) === before, 'the gauge to go down');
  });
});
