import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../../src/lib/crypto.ts';
import { startImpersonation } from '../../src/domain/admin/impersonation.ts';
import { deleteServer } from '../../src/domain/servers/delete.ts';
import { TestBrowser } from '../helpers/browser.ts';
import { createPerson, PASSWORD, signedIn } from '../helpers/people.ts';
import { actorFor, staffActor } from '../servers/helpers.ts';
import {
  consoleFor,
  consoleWorld,
  customerWithServer,
  eventually,
  memberOf,
  openConsole,
  openSocket,
  requestTicket,
  type ConsoleWorld,
} from './helpers.ts';

/**
 * Who may open a console, and how the socket refuses everyone else: tickets (single use,
 * short-lived, bound to the user, session, organization and server), the Origin check before
 * the upgrade, and the ticket route's refusals in the API's error envelope.
 */

let world: ConsoleWorld;
beforeAll(async () => {
  world = await consoleWorld();
});
afterAll(async () => {
  await world?.close();
});

describe('tickets', () => {
  it('is 256 random bits, stored only as its hash, expiring within a minute, bound to the session and server', async () => {
    const { person, serverId, browser } = await customerWithServer(world, 'Tia Ticket');
    const { status, json } = await requestTicket(world, browser, serverId);
    expect(status).toBe(201);
    expect(json).toMatchObject({ mode: 'lish', url: '/console/socket' });
    expect(json.ticket).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const row = await world.ctx.db
      .selectFrom('console_tickets')
      .selectAll()
      .where('token_hash', '=', hashToken(json.ticket!))
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ user_id: person.id, organization_id: person.organization.id, server_id: serverId });
    expect(row.expires_at.getTime() - row.created_at.getTime()).toBeLessThanOrEqual(60_000);
    expect(new Date(json.expiresAt as string)).toEqual(row.expires_at);
    const raw = await world.ctx.db.selectFrom('console_tickets').selectAll().execute();
    expect(JSON.stringify(raw)).not.toContain(json.ticket);
  });

  it('opens one console only: a replayed ticket is refused with 4001', async () => {
    const { serverId, browser } = await customerWithServer(world, 'Ray Replay');
    const { json } = await requestTicket(world, browser, serverId);
    const first = await openConsole(world, json.ticket!);
    await first.waitFor(':~# ');
    const second = await openConsole(world, json.ticket!);
    const closed = await second.waitClose();
    expect(closed.code).toBe(4001);
    expect(second.lastError()).toMatchObject({ code: 'ticket_invalid' });
    expect(second.output).toBe('');
    first.ws.close();
  });

  it('is refused with 4001 once expired', async () => {
    const { serverId, browser } = await customerWithServer(world, 'Eve Expired');
    const { json } = await requestTicket(world, browser, serverId);
    world.ctx.clock.advance(31_000);
    const terminal = await openConsole(world, json.ticket!);
    expect((await terminal.waitClose()).code).toBe(4001);
  });

  it('must be the first message: anything else closes the socket with 4000', async () => {
    const terminal = await openSocket(world);
    terminal.type('ls\r');
    expect((await terminal.waitClose()).code).toBe(4000);
    const garbled = await openSocket(world);
    garbled.ws.send('{"type":"resize","cols":80,"rows":24}');
    expect((await garbled.waitClose()).code).toBe(4000);
    const unknown = await openSocket(world);
    unknown.control({ type: 'auth', ticket: 'x'.repeat(43) });
    expect((await unknown.waitClose()).code).toBe(4001);
  });

  it('is asked for with the session and its CSRF token, by a signed-in browser only', async () => {
    const { serverId, browser } = await customerWithServer(world, 'Cleo Csrf');
    const res = await world.ctx.app.request(`/vps/${serverId}/console/tickets`, {
      method: 'POST',
      headers: {
        cookie: [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
        'sec-fetch-site': 'same-origin',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ mode: 'lish' }),
    });
    expect(res.status).toBe(403);
    const anonymous = new TestBrowser(world.ctx.app);
    await anonymous.get('/login');
    const signedOut = await world.ctx.app.request(`/vps/${serverId}/console/tickets`, {
      method: 'POST',
      headers: {
        cookie: [...anonymous.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
        'sec-fetch-site': 'same-origin',
        'content-type': 'application/json',
        'x-csrf-token': anonymous.csrf,
      },
      body: JSON.stringify({ mode: 'lish' }),
    });
    expect(signedOut.status).toBe(401);
    const bad = await requestTicket(world, browser, serverId, { mode: 'vnc' });
    expect(bad.status).toBe(422);
    expect(bad.json).toMatchObject({ error: { code: 'validation_failed' } });
  });
});

describe('who may open a console', () => {
  it('refuses another organization’s server (404) and a ticket row naming a server outside its organization (4004)', async () => {
    const olivia = await customerWithServer(world, 'Olga Own');
    const oscar = await customerWithServer(world, 'Otto Other');
    const foreign = await requestTicket(world, olivia.browser, oscar.serverId);
    expect(foreign.status).toBe(404);
    expect(foreign.json).toEqual({ error: { code: 'not_found', message: 'No such server.' } });

    // A ticket can only be issued through the organization; a row naming another's server (forged) still opens nothing.
    const { json } = await requestTicket(world, olivia.browser, olivia.serverId);
    world.cloud.emu.clearRequests();
    await world.ctx.db
      .updateTable('console_tickets')
      .set({ server_id: oscar.serverId })
      .where('token_hash', '=', hashToken(json.ticket!))
      .execute();
    const terminal = await openConsole(world, json.ticket!);
    const closed = await terminal.waitClose();
    expect(closed).toEqual({ code: 4004, reason: 'No such server.' });
    expect(world.cloud.emu.requests().filter((r) => r.path.endsWith('/lish'))).toHaveLength(0);
  });

  it('refuses a viewer (403) and lets a member with vps_manage in', async () => {
    const owner = await customerWithServer(world, 'Vera Venue');
    const viewer = await memberOf(world, owner.person.organization.id, 'Vic Viewer', 'viewer');
    const refused = await requestTicket(world, viewer.browser, owner.serverId);
    expect(refused.status).toBe(403);
    expect(refused.json.error).toMatchObject({ code: 'forbidden' });
    const member = await memberOf(world, owner.person.organization.id, 'Max Member', 'member');
    const terminal = await consoleFor(world, member.browser, owner.serverId);
    await terminal.waitFor(':~# ');
    terminal.ws.close();
  });

  it('refuses a deleted server (409)', async () => {
    const { person, serverId, browser } = await customerWithServer(world, 'Dan Deleted');
    await deleteServer(world.ctx.deps, actorFor(person, person.organization.id), serverId);
    const res = await requestTicket(world, browser, serverId);
    expect(res.status).toBe(409);
    expect(res.json.error).toMatchObject({ message: 'This server has been deleted.' });
  });

  it('refuses an impersonating admin who did not ask explicitly, and audits one who did', async () => {
    const { person, serverId } = await customerWithServer(world, 'Ivy Impersonated');
    const admin = await createPerson(world.ctx, 'Ian Admin', { isAdmin: true, verified: true });
    const staff = await signedIn(world.ctx, admin.email);
    const adminSession = await world.ctx.db
      .selectFrom('sessions')
      .select('id')
      .where('token_hash', '=', hashToken(staff.cookies.get('sp_session')!))
      .executeTakeFirstOrThrow();
    const started = await startImpersonation(world.ctx.deps, staffActor(admin), {
      userId: person.id,
      password: PASSWORD,
      adminSessionId: adminSession.id,
    });
    const browser = new TestBrowser(world.ctx.app);
    browser.cookies.set('sp_session', started.token);
    await browser.get('/dashboard');

    const implicit = await requestTicket(world, browser, serverId);
    expect(implicit.status).toBe(403);
    expect(implicit.json.error).toMatchObject({ message: expect.stringMatching(/explicitly/) });

    const terminal = await consoleFor(world, browser, serverId, { mode: 'lish', impersonation: true });
    await terminal.waitFor(':~# ');
    const opened = await world.ctx.db
      .selectFrom('activity_log')
      .selectAll()
      .where('action', '=', 'server.console_opened')
      .where('target_id', '=', serverId)
      .executeTakeFirstOrThrow();
    expect(opened).toMatchObject({ actor_user_id: person.id, impersonator_user_id: admin.id });
    expect(opened.details).toMatchObject({ impersonated: true });
    terminal.ws.close();
  });
});

describe('the socket', () => {
  it('refuses an upgrade from another origin, or with none, before accepting it (403)', async () => {
    await expect(openSocket(world, { origin: 'https://evil.example' })).rejects.toThrow('HTTP 403');
    await expect(openSocket(world, { origin: null })).rejects.toThrow('HTTP 403');
    await expect(openSocket(world, { url: `${world.origin.replace('http', 'ws')}/elsewhere` })).rejects.toThrow(
      'HTTP 404',
    );
  });

  it('closes (1009) on a message larger than CONSOLE_MAX_MESSAGE_KB', async () => {
    const { serverId, browser } = await customerWithServer(world, 'Big Bertha');
    const terminal = await consoleFor(world, browser, serverId);
    await terminal.waitFor(':~# ');
    terminal.type('x'.repeat(world.ctx.config.CONSOLE_MAX_MESSAGE_KB * 1024 + 1));
    expect((await terminal.waitClose()).code).toBe(1009);
    await eventually(
      async () =>
        (await world.ctx.db.selectFrom('console_sessions').select('id').where('server_id', '=', serverId).execute())
          .length === 0,
      'the console to be counted out',
    );
  });
});
