import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staffReply, staffUpdateTicket } from '../../src/domain/support/staff.ts';
import { openTicket, replyToTicket } from '../../src/domain/support/tickets.ts';
import { person } from '../api/client.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { seedServerCatalogue } from '../helpers/servers.ts';
import { actorOf, supportCast } from './helpers.ts';

let ctx: TestContext;
let cast: Awaited<ReturnType<typeof supportCast>>;
let bea: Awaited<ReturnType<typeof person>>;

beforeAll(async () => {
  ctx = await createTestContext();
  cast = await supportCast(ctx, await seedServerCatalogue(ctx.db));
  bea = await person(ctx, 'Bea Backline', { isAdmin: true });
});
afterAll(async () => ctx.close());

const mailOf = (template: string, subjectPart: string) =>
  ctx.db
    .selectFrom('emails')
    .select(['to_address', 'subject', 'text', 'html'])
    .where('template', '=', template)
    .where('subject', 'like', `%${subjectPart}%`)
    .orderBy('to_address')
    .execute();

describe('ticket email through the outbox', () => {
  it('a new ticket mails every support admin while unassigned; a customer reply mails only the assignee once assigned', async () => {
    const mia = await actorOf(ctx, cast.mia.email);
    const ada = await actorOf(ctx, cast.ada.email);
    const t = await openTicket(ctx.deps, mia, { subject: 'Mail flow', message: 'The first words' });
    const opened = await mailOf('ticket_staff', 'Mail flow');
    const admins = await ctx.db.selectFrom('users').select('email').where('is_admin', '=', true).execute();
    expect(opened.map((m) => m.to_address).sort()).toEqual(admins.map((a) => a.email).sort());
    expect(opened.map((m) => m.to_address)).toEqual(expect.arrayContaining([cast.ada.email, bea.email]));
    expect(opened[0]!.subject).toContain('New ticket from');
    expect(opened[0]!.text).toContain('The first words');
    expect(opened[0]!.text).toContain(`/admin/tickets/${t.id}`);

    await staffUpdateTicket(ctx.deps, ada, t.id, { assigneeId: bea.id });
    await replyToTicket(ctx.deps, mia, t.id, { message: 'More words from Mia' });
    const replies = (await mailOf('ticket_staff', 'Mail flow')).filter((m) => m.subject.includes('Customer reply'));
    expect(replies.map((m) => m.to_address)).toEqual([bea.email]);
    expect(replies[0]!.text).toContain('More words from Mia');
  });

  it('a staff reply mails the customer with its text and a link; an internal note mails nobody and appears in no email', async () => {
    const mia = await actorOf(ctx, cast.mia.email);
    const ada = await actorOf(ctx, cast.ada.email);
    const t = await openTicket(ctx.deps, mia, { subject: 'Customer mail', message: 'Question' });
    const before = await ctx.db
      .selectFrom('emails')
      .select(ctx.db.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    await staffReply(ctx.deps, ada, t.id, { message: 'TOP SECRET internal remark', internal: true });
    const after = await ctx.db
      .selectFrom('emails')
      .select(ctx.db.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
    await staffReply(ctx.deps, ada, t.id, { message: 'Here is <the> answer' });
    const mails = await mailOf('ticket_reply', 'Customer mail');
    expect(mails.map((m) => m.to_address)).toEqual([cast.mia.email]);
    expect(mails[0]!.text).toContain('Here is <the> answer');
    expect(mails[0]!.html).toContain('Here is &lt;the&gt; answer');
    expect(mails[0]!.text).toContain(`/support/${t.id}`);
    const bell = await ctx.db
      .selectFrom('notifications')
      .select(['kind', 'data'])
      .where('user_id', '=', cast.mia.id)
      .where('kind', '=', 'support.reply')
      .execute();
    expect(bell).toHaveLength(1);
    expect(bell[0]!.data).toMatchObject({ ticket_id: t.id, subject: 'Customer mail' });
    const { describeNotification } = await import('../../src/domain/notifications/kinds.ts');
    const said = describeNotification({ kind: 'support.reply', organization_id: null, data: bell[0]!.data });
    expect(said.title).toMatch(/^Support replied to ticket #\d+$/);
    expect(said.href).toContain(encodeURIComponent(`/support/${t.id}`));
    const staffBell = await ctx.db
      .selectFrom('notifications')
      .select('data')
      .where('user_id', '=', cast.ada.id)
      .where('kind', '=', 'support.ticket')
      .execute();
    expect(staffBell.map((n) => n.data.ticket_id)).toContain(t.id);
    const everything = await ctx.db.selectFrom('emails').select(['text', 'html']).execute();
    expect(everything.some((m) => m.text.includes('TOP SECRET') || m.html.includes('TOP SECRET'))).toBe(false);
  });
});
