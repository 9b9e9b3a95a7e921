import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staffReply, staffUpdateTicket } from '../../src/domain/support/staff.ts';
import { openTicket, replyToTicket } from '../../src/domain/support/tickets.ts';
import { apiClient, person, tokenFor } from '../api/client.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { signedIn } from '../helpers/people.ts';
import { seedServerCatalogue } from '../helpers/servers.ts';
import { actorOf, supportCast } from './helpers.ts';

/**
 * Staff choose which support-ticket emails they receive (Settings → Notifications, or
 * support_email in /api/v1/me/notification-preferences): all (theirs and every unassigned
 * ticket), only tickets assigned to them, or none; the bell tells them either way. Emails never
 * carry attachments' contents or internal notes.
 */

let ctx: TestContext;
let cast: Awaited<ReturnType<typeof supportCast>>;
let bea: Awaited<ReturnType<typeof person>>;
let cal: Awaited<ReturnType<typeof person>>;
const IP = '198.51.100.91';

beforeAll(async () => {
  ctx = await createTestContext();
  cast = await supportCast(ctx, await seedServerCatalogue(ctx.db));
  bea = await person(ctx, 'Bea Backline', { isAdmin: true });
  cal = await person(ctx, 'Cal Console', { isAdmin: true });
});
afterAll(async () => ctx.close());

const staffMailTo = async (subjectPart: string) =>
  (
    await ctx.db
      .selectFrom('emails')
      .select('to_address')
      .where('template', '=', 'ticket_staff')
      .where('subject', 'like', `%${subjectPart}%`)
      .execute()
  )
    .map((m) => m.to_address)
    .sort();
const bellFor = async (userId: string, subject: string) =>
  (
    await ctx.db
      .selectFrom('notifications')
      .select('id')
      .where('user_id', '=', userId)
      .where('kind', '=', 'support.ticket')
      .where(sql`data->>'subject'`, '=', subject)
      .execute()
  ).length;

describe('the staff’s ticket email switch', () => {
  it('is offered on Settings → Notifications to staff only, defaults to all, and is saved from the form', async () => {
    const b = await signedIn(ctx, bea.email);
    const page = await (await b.get('/settings/notifications')).text();
    expect(page).toContain('Support ticket emails (staff)');
    expect(page).toMatch(/name="support_email" value="all" checked/);
    const saved = await b.post('/settings/notifications', {
      in_app: '1',
      billing: 'on',
      general: 'on',
      in_app_general: 'on',
      support_email: 'assigned',
    });
    expect(saved.status).toBe(303);
    const row = await ctx.db
      .selectFrom('users')
      .select(['support_email', 'notify_billing', 'notify_maintenance'])
      .where('id', '=', bea.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ support_email: 'assigned', notify_billing: true, notify_maintenance: false });
    const forged = await b.post('/settings/notifications', { in_app: '1', support_email: 'everything' });
    expect(forged.status).toBe(422);
    expect(
      (await ctx.db.selectFrom('users').select('support_email').where('id', '=', bea.id).executeTakeFirstOrThrow())
        .support_email,
    ).toBe('assigned');

    // A customer sees no such switch, and sending one changes nothing.
    const olive = await signedIn(ctx, cast.olive.email);
    expect(await (await olive.get('/settings/notifications')).text()).not.toContain('support_email');
    expect((await olive.post('/settings/notifications', { in_app: '1', support_email: 'off' })).status).toBe(303);
    expect(
      (
        await ctx.db
          .selectFrom('users')
          .select('support_email')
          .where('id', '=', cast.olive.id)
          .executeTakeFirstOrThrow()
      ).support_email,
    ).toBe('all');
  });

  it('the API reads and sets it for staff (null and ignored for customers)', async () => {
    const api = apiClient(ctx, IP);
    const calToken = await tokenFor(ctx, cal.email, IP);
    const read = await api('GET', '/me/notification-preferences', { token: calToken });
    expect(read.body.support_email).toBe('all');
    const put = await api('PUT', '/me/notification-preferences', {
      token: calToken,
      body: { billing: true, maintenance: true, general: true, support_email: 'off' },
    });
    expect(put).toMatchObject({ status: 200, body: { support_email: 'off' } });
    const bad = await api('PUT', '/me/notification-preferences', {
      token: calToken,
      body: { billing: true, maintenance: true, general: true, support_email: 'sometimes' },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.error.fields).toHaveProperty('support_email');
    // Left out, it stays.
    await api('PUT', '/me/notification-preferences', {
      token: calToken,
      body: { billing: true, maintenance: true, general: true },
    });
    expect((await api('GET', '/me/notification-preferences', { token: calToken })).body.support_email).toBe('off');
    const miaToken = await tokenFor(ctx, cast.mia.email, IP);
    const customer = await api('PUT', '/me/notification-preferences', {
      token: miaToken,
      body: { billing: true, maintenance: true, general: true, support_email: 'off' },
    });
    expect(customer).toMatchObject({ status: 200, body: { support_email: null } });
  });

  it('mails per choice: all (Ada) gets unassigned tickets, assigned (Bea) and off (Cal) do not; everyone keeps the bell', async () => {
    // Ada: all (the default); Bea: assigned (set above); Cal: off (set above).
    const mia = await actorOf(ctx, cast.mia.email);
    const t = await openTicket(ctx.deps, mia, { subject: 'Switch unassigned', message: 'first' });
    const everyAll = (
      await ctx.db
        .selectFrom('users')
        .select('email')
        .where('is_admin', '=', true)
        .where('support_email', '=', 'all')
        .execute()
    )
      .map((u) => u.email)
      .sort();
    expect(everyAll).toContain(cast.ada.email);
    expect(await staffMailTo('Switch unassigned')).toEqual(everyAll);
    expect(await staffMailTo('Switch unassigned')).not.toContain(bea.email);
    expect(await staffMailTo('Switch unassigned')).not.toContain(cal.email);
    for (const who of [cast.ada.id, bea.id, cal.id]) expect(await bellFor(who, 'Switch unassigned')).toBe(1);

    // Assigned to Bea ('assigned'): a customer reply mails her.
    const ada = await actorOf(ctx, cast.ada.email);
    await staffUpdateTicket(ctx.deps, ada, t.id, { assigneeId: bea.id });
    await replyToTicket(ctx.deps, mia, t.id, { message: 'second' });
    expect(await staffMailTo('Customer reply')).toEqual([bea.email]);

    // Assigned to Cal ('off'): the bell only.
    const u = await openTicket(ctx.deps, mia, { subject: 'Switch off', message: 'first' });
    await staffUpdateTicket(ctx.deps, ada, u.id, { assigneeId: cal.id });
    await replyToTicket(ctx.deps, mia, u.id, { message: 'second' });
    expect((await staffMailTo('Switch off')).filter((to) => to === cal.email)).toEqual([]);
    expect(await bellFor(cal.id, 'Switch off')).toBe(2);
  });

  it('someone no longer on the staff is told nothing of the tickets still assigned to them', async () => {
    const mia = await actorOf(ctx, cast.mia.email);
    const ada = await actorOf(ctx, cast.ada.email);
    const dan = await person(ctx, 'Dan Departed', { isAdmin: true });
    const t = await openTicket(ctx.deps, mia, { subject: 'Departed staff', message: 'first' });
    await staffUpdateTicket(ctx.deps, ada, t.id, { assigneeId: dan.id });
    await ctx.db.updateTable('users').set({ is_admin: false }).where('id', '=', dan.id).execute();
    await replyToTicket(ctx.deps, mia, t.id, { message: 'are you there' });
    expect(
      await ctx.db
        .selectFrom('emails')
        .select('id')
        .where('to_address', '=', dan.email)
        .where('template', '=', 'ticket_staff')
        .where('subject', 'like', '%Customer reply%')
        .execute(),
    ).toEqual([]);
    expect(await bellFor(dan.id, 'Departed staff')).toBe(1); // told while still staff, when it was opened
  });

  it('emails never carry an attachment’s contents or an internal note', async () => {
    const mia = await actorOf(ctx, cast.mia.email);
    const ada = await actorOf(ctx, cast.ada.email);
    const secret = 'ATTACHED-LOG-CONTENTS-7f3a';
    const t = await openTicket(ctx.deps, mia, {
      subject: 'With a log',
      message: 'log attached',
      attachments: [{ name: 'server.log', bytes: new TextEncoder().encode(`${secret}\nline two\n`) }],
    });
    await replyToTicket(ctx.deps, mia, t.id, {
      message: 'and another',
      attachments: [{ name: 'more.txt', bytes: new TextEncoder().encode(`${secret} again\n`) }],
    });
    await staffReply(ctx.deps, ada, t.id, { message: 'STAFF-ONLY-NOTE-91c2', internal: true });
    await staffReply(ctx.deps, ada, t.id, { message: 'Thanks, looking.' });
    await replyToTicket(ctx.deps, mia, t.id, { message: 'ok' });
    const mails = await ctx.db.selectFrom('emails').select(['subject', 'text', 'html']).execute();
    const about = mails.filter((m) => m.subject.includes('With a log') || m.text.includes('With a log'));
    expect(about.length).toBeGreaterThanOrEqual(3);
    for (const m of mails) {
      expect(m.text).not.toContain(secret);
      expect(m.html ?? '').not.toContain(secret);
      expect(m.text).not.toContain('STAFF-ONLY-NOTE-91c2');
      expect(m.html ?? '').not.toContain('STAFF-ONLY-NOTE-91c2');
    }
  });
});
