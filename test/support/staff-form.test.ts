import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTicket, updateTicket } from '../../src/domain/support/tickets.ts';
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

const row = (id: string) =>
  ctx.db
    .selectFrom('tickets')
    .select(['status', 'priority', 'assignee_id'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();

describe("the staff's ticket form", () => {
  it('applies only what the staff member changed: a customer who resolved the ticket meanwhile keeps it resolved', async () => {
    const mia = await actorOf(ctx, cast.mia.email);
    const t = await openTicket(ctx.deps, mia, { subject: 'Stale form', message: 'Help' });
    const ada = await signedIn(ctx, cast.ada.email);
    const page = await (await ada.get(`/admin/tickets/${t.id}`)).text();
    expect(page).toContain('name="was_status" value="open"');
    expect(page).toContain('name="was_assignee_id" value=""');

    // While Ada's page still shows "open", Mia resolves the ticket.
    await updateTicket(ctx.deps, mia, t.id, { status: 'resolved' });
    // Ada takes it, sending the status her page showed: the status stays resolved.
    const saved = await ada.post(`/admin/tickets/${t.id}`, {
      status: 'open',
      was_status: 'open',
      priority: 'normal',
      was_priority: 'normal',
      assignee_id: 'me',
      was_assignee_id: '',
    });
    expect(saved.status).toBe(303);
    expect(await row(t.id)).toEqual({ status: 'resolved', priority: 'normal', assignee_id: cast.ada.id });

    // What she does change is applied.
    await ada.post(`/admin/tickets/${t.id}`, {
      status: 'answered',
      was_status: 'resolved',
      priority: 'high',
      was_priority: 'normal',
      assignee_id: cast.ada.id,
      was_assignee_id: cast.ada.id,
    });
    expect(await row(t.id)).toEqual({ status: 'answered', priority: 'high', assignee_id: cast.ada.id });
    // Unassigning is a change too.
    await ada.post(`/admin/tickets/${t.id}`, {
      status: 'answered',
      was_status: 'answered',
      assignee_id: '',
      was_assignee_id: cast.ada.id,
    });
    expect((await row(t.id)).assignee_id).toBeNull();
  });
});
