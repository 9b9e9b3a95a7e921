import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { suspendUser } from '../../src/domain/accounts/admin-changes.ts';
import { revokeUserSession } from '../../src/domain/accounts/sessions.ts';
import { changeMemberRole, removeMember } from '../../src/domain/organizations/members.ts';
import { deleteServer } from '../../src/domain/servers/delete.ts';
import { hashToken } from '../../src/lib/crypto.ts';
import type { TestBrowser } from '../helpers/browser.ts';
import { createPerson } from '../helpers/people.ts';
import { roleId } from '../organizations/cast.ts';
import { actorFor, staffActor } from '../servers/helpers.ts';
import { consoleFor, consoleWorld, customerWithServer, memberOf, type ConsoleWorld } from './helpers.ts';

/**
 * An open console is a root shell: it closes within moments when what allowed it stops being
 * true, whichever process made the change. The database's NOTIFYs (skypanel_auth,
 * skypanel_data) reach the console through the LISTEN hub, which re-checks the consoles they
 * name; nothing here calls the console directly.
 */

let world: ConsoleWorld;
beforeAll(async () => {
  world = await consoleWorld();
});
afterAll(async () => {
  await world?.close();
});

/** An open out-of-band console, ready at its prompt. */
async function openLish(browser: TestBrowser, serverId: string) {
  const terminal = await consoleFor(world, browser, serverId);
  await terminal.waitFor(':~# ');
  return terminal;
}

/** Closes within 3 s of the change, with 4003 and the sentence given. */
async function expectClosedBy(terminal: Awaited<ReturnType<typeof openLish>>, reason: RegExp) {
  const started = Date.now();
  const closed = await terminal.waitClose(3_000);
  expect(Date.now() - started).toBeLessThan(3_000);
  expect(closed.code).toBe(4003);
  expect(closed.reason).toMatch(reason);
  expect(terminal.lastError()).toMatchObject({ code: 'not_allowed' });
}

const sessionIdOf = async (browser: TestBrowser) =>
  (
    await world.ctx.db
      .selectFrom('sessions')
      .select('id')
      .where('token_hash', '=', hashToken(browser.cookies.get('sp_session')!))
      .executeTakeFirstOrThrow()
  ).id;

describe('an open console closes', () => {
  it('when its session is signed out from another device', async () => {
    const { person, serverId, browser } = await customerWithServer(world, 'Sid Session');
    const terminal = await openLish(browser, serverId);
    await revokeUserSession(world.ctx.db, person.id, await sessionIdOf(browser));
    await expectClosedBy(terminal, /session has ended/);
  });

  it('when the member is demoted to a role without vps_manage', async () => {
    const owner = await customerWithServer(world, 'Dora Demoter');
    const member = await memberOf(world, owner.person.organization.id, 'Dirk Demoted', 'member');
    const terminal = await openLish(member.browser, owner.serverId);
    const ownerActor = actorFor(owner.person, owner.person.organization.id);
    await changeMemberRole(world.ctx.deps, ownerActor, {
      userId: member.person.id,
      values: { role_id: await roleId(world.ctx, owner.person.organization.id, 'viewer') },
    });
    await expectClosedBy(terminal, /role no longer allows/);
  });

  it('when the member is removed from the organization', async () => {
    const owner = await customerWithServer(world, 'Rhea Remover');
    const member = await memberOf(world, owner.person.organization.id, 'Remy Removed', 'member');
    const terminal = await openLish(member.browser, owner.serverId);
    await removeMember(world.ctx.deps, actorFor(owner.person, owner.person.organization.id), member.person.id);
    await expectClosedBy(terminal, /no longer a member/);
  });

  it('when staff suspend the account', async () => {
    const { person, serverId, browser } = await customerWithServer(world, 'Sue Suspended');
    const terminal = await openLish(browser, serverId);
    const admin = await createPerson(world.ctx, 'Stan Staff', { isAdmin: true, verified: true });
    await suspendUser(world.ctx.deps, staffActor(admin), { userId: person.id });
    await expectClosedBy(terminal, /account is not active|session has ended/);
  });

  it('when the server is suspended for non-payment (its status moves, as dunning moves it)', async () => {
    const { serverId, browser } = await customerWithServer(world, 'Nora Nonpayment');
    const terminal = await openLish(browser, serverId);
    await world.ctx.db
      .updateTable('servers')
      .set({ status: 'suspended', suspended_at: world.ctx.clock.now() })
      .where('id', '=', serverId)
      .execute();
    await expectClosedBy(terminal, /suspended for non-payment/);
  });

  it('when the server is deleted', async () => {
    const { person, serverId, browser } = await customerWithServer(world, 'Del Deleter');
    const terminal = await openLish(browser, serverId);
    await deleteServer(world.ctx.deps, actorFor(person, person.organization.id), serverId);
    await expectClosedBy(terminal, /has been deleted/);
  });

  it('but stays open when something unrelated changes in the organization', async () => {
    const { person, serverId, browser } = await customerWithServer(world, 'Una Unrelated');
    const terminal = await openLish(browser, serverId);
    await world.ctx.db
      .updateTable('organizations')
      .set({ website: 'https://example.test' })
      .where('id', '=', person.organization.id)
      .execute();
    await world.consoles.recheckAll();
    terminal.type('echo still here\r');
    await terminal.waitFor('\r\nstill here\r\n');
    expect(terminal.closed).toBeNull();
    terminal.ws.close();
  });
});

describe('the out-of-band console at the provider', () => {
  it('renews an expired provider session by itself, at most three times a minute', async () => {
    const { serverId, browser } = await customerWithServer(world, 'Rene Renew');
    const terminal = await openLish(browser, serverId);
    const instance = (
      await world.ctx.db
        .selectFrom('servers')
        .select('provider_instance_id')
        .where('id', '=', serverId)
        .executeTakeFirstOrThrow()
    ).provider_instance_id!;
    for (let i = 1; i <= 3; i++) {
      const before = terminal.output.split('SkyPanel demo console').length;
      expect(world.cloud.emu.expireConsoleSessions(instance)).toBe(1);
      await terminal.until(
        () => terminal.output.split('SkyPanel demo console').length === before + 1,
        `reconnection ${i}`,
      );
      await terminal.waitFor(/:~# $/);
    }
    terminal.type('echo renewed\r');
    await terminal.waitFor('\r\nrenewed\r\n');
    world.cloud.emu.expireConsoleSessions(instance);
    const closed = await terminal.waitClose();
    expect(closed.code).toBe(4010);
    expect(terminal.lastError()).toMatchObject({ code: 'console_expired' });
  });

  it("ends with 4010 on the provider's error, without repeating the provider's words", async () => {
    const { serverId, browser } = await customerWithServer(world, 'Erin Error');
    for (const via of ['close', 'message'] as const) {
      const terminal = await openLish(browser, serverId);
      world.cloud.emu.closeConsoleWithError('Lish is down for maintenance on this host', { via });
      const closed = await terminal.waitClose();
      expect(closed).toEqual({
        code: 4010,
        reason: 'The out-of-band console refused the connection. Try again later.',
      });
      expect(JSON.stringify(terminal.controls)).not.toMatch(/maintenance|Lish/);
    }
  });
});
