import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleFor, consoleWorld, customerWithServer, eventually, type ConsoleWorld } from './helpers.ts';

/**
 * The out-of-band console end to end: a signed-in customer's page asks for a ticket, the
 * browser opens the socket and authenticates with it, and the console is bridged to the Linode
 * emulator's Lish socket (a simulated shell), whose URL never reaches the browser.
 */

let world: ConsoleWorld;
beforeAll(async () => {
  world = await consoleWorld();
});
afterAll(async () => {
  await world?.close();
});

const activity = (serverId: string, action: string) =>
  world.ctx.db
    .selectFrom('activity_log')
    .selectAll()
    .where('target_id', '=', serverId)
    .where('action', '=', action as never)
    .execute();

describe('the out-of-band console', () => {
  it('opens for the owner: type echo hello, read hello; closing it logs start, end, mode and bytes', async () => {
    const { person, serverId, browser } = await customerWithServer(world, 'Olivia Owner');
    const terminal = await consoleFor(world, browser, serverId);
    await terminal.until(
      () => terminal.controls.some((c) => c.type === 'status' && c.state === 'connected'),
      'connected',
    );
    await terminal.waitFor('SkyPanel demo console');
    await terminal.waitFor(':~# ');
    terminal.type('echo hello\r');
    await terminal.waitFor('\r\nhello\r\n');
    // The provider's URL and credential stay on the server.
    const everything = terminal.output + JSON.stringify(terminal.controls);
    expect(everything).not.toMatch(/token=|\/lish\/|ws:\/\/|weblish/i);

    const opened = await activity(serverId, 'server.console_opened');
    expect(opened).toHaveLength(1);
    expect(opened[0]).toMatchObject({ actor_user_id: person.id, organization_id: person.organization.id });
    expect(opened[0]!.details).toMatchObject({ mode: 'lish', impersonated: false });

    terminal.ws.close(1000);
    await eventually(async () => (await activity(serverId, 'server.console_closed')).length === 1, 'the end logged');
    const [closed] = await activity(serverId, 'server.console_closed');
    expect(closed!.details).toMatchObject({ mode: 'lish', bytes_sent: 'echo hello\r'.length });
    expect(closed!.details.bytes_received).toBeGreaterThan(100);
    expect(closed!.details.started_at).toEqual(expect.any(String));
    expect(closed!.details.ended_at).toEqual(expect.any(String));
    const open = await world.ctx.db
      .selectFrom('console_sessions')
      .selectAll()
      .where('server_id', '=', serverId)
      .execute();
    expect(open).toEqual([]);
  });
});
