import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staffReply, staffUpdateTicket } from '../../src/domain/support/staff.ts';
import { openTicket, replyToTicket, updateTicket } from '../../src/domain/support/tickets.ts';
import { activityOf } from '../api-keys/helpers.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { signedIn } from '../helpers/people.ts';
import { seedServerCatalogue } from '../helpers/servers.ts';
import { actorOf, supportCast } from './helpers.ts';

let ctx: TestContext;
let cast: Awaited<ReturnType<typeof supportCast>>;

beforeAll(async () => {
  ctx = await createTestContext();
  cast = await supportCast(ctx, await seedServerCatalogue(ctx.db));
});
afterAll(async () => ctx.close());

describe("tickets in the organization's activity log", () => {
  it('records opening, resolving, reopening by a reply and closing by the customer, and what staff changed, each with the ticket named', async () => {
    const mia = await actorOf(ctx, cast.mia.email);
    const olive = await actorOf(ctx, cast.olive.email);
    const ada = await actorOf(ctx, cast.ada.email);
    const t = await openTicket(ctx.deps, mia, { subject: 'Logged ticket', message: 'Hello', priority: 'high' });
    const named = { name: `#${t.number}`, subject: 'Logged ticket' };

    const [opened] = await activityOf(ctx, 'ticket.opened', cast.mia.id);
    expect(opened).toMatchObject({
      organization_id: cast.acme,
      target_type: 'ticket',
      target_id: t.id,
      details: { ...named, priority: 'high' },
    });

    await staffUpdateTicket(ctx.deps, ada, t.id, { assigneeId: cast.ada.id, priority: 'urgent' });
    const [staffed] = await activityOf(ctx, 'admin.ticket_updated', cast.ada.id);
    expect(staffed).toMatchObject({
      organization_id: cast.acme,
      target_id: t.id,
      details: { ...named, priority: 'urgent', assignee: 'Ada Admin' },
    });
    // Saving what is already there records nothing more.
    await staffUpdateTicket(ctx.deps, ada, t.id, { assigneeId: cast.ada.id, priority: 'urgent' });
    expect(await activityOf(ctx, 'admin.ticket_updated', cast.ada.id)).toHaveLength(1);

    await staffReply(ctx.deps, ada, t.id, { message: 'Fixed.' });
    await updateTicket(ctx.deps, mia, t.id, { status: 'resolved' });
    expect(await activityOf(ctx, 'ticket.resolved', cast.mia.id)).toMatchObject([{ target_id: t.id, details: named }]);
    await replyToTicket(ctx.deps, mia, t.id, { message: 'Not quite.' });
    expect(await activityOf(ctx, 'ticket.reopened', cast.mia.id)).toMatchObject([{ target_id: t.id }]);
    // A reply to a ticket that was not resolved reopens nothing.
    await replyToTicket(ctx.deps, mia, t.id, { message: 'Still there?' });
    expect(await activityOf(ctx, 'ticket.reopened', cast.mia.id)).toHaveLength(1);
    await updateTicket(ctx.deps, olive, t.id, { status: 'closed' });
    expect(await activityOf(ctx, 'ticket.closed', cast.olive.id)).toMatchObject([{ target_id: t.id }]);

    // The organization's activity page shows them in words.
    const page = await (await (await signedIn(ctx, cast.olive.email)).get('/activity')).text();
    expect(page).toContain('Opened a support ticket');
    expect(page).toContain('Support changed a ticket');
    expect(page).toContain(`Ticket “#${t.number}”`);
  });
});
