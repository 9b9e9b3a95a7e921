import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { purgeExpiredJob } from '../../jobs/purge-expired.ts';
import { openTicket, updateTicket } from '../../src/domain/support/tickets.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { seedServerCatalogue } from '../helpers/servers.ts';
import { actorOf, supportCast } from './helpers.ts';

let ctx: TestContext;
let cast: Awaited<ReturnType<typeof supportCast>>;

beforeAll(async () => {
  ctx = await createTestContext({ TICKET_AUTO_CLOSE_DAYS: '3' });
  cast = await supportCast(ctx, await seedServerCatalogue(ctx.db));
});
afterAll(async () => ctx.close());

const statusOf = async (id: string) =>
  (await ctx.db.selectFrom('tickets').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status;

describe('auto-close', () => {
  it('the maintenance job closes tickets resolved for TICKET_AUTO_CLOSE_DAYS, not sooner, and leaves others alone', async () => {
    const mia = await actorOf(ctx, cast.mia.email);
    const resolved = await openTicket(ctx.deps, mia, { subject: 'Resolved one', message: 'x' });
    const open = await openTicket(ctx.deps, mia, { subject: 'Still open', message: 'x' });
    await updateTicket(ctx.deps, mia, resolved.id, { status: 'resolved' });

    ctx.clock.advance(2 * 86_400_000);
    await purgeExpiredJob(ctx.deps, null);
    expect(await statusOf(resolved.id)).toBe('resolved');

    ctx.clock.advance(1 * 86_400_000 + 1000);
    await purgeExpiredJob(ctx.deps, null);
    expect(await statusOf(resolved.id)).toBe('closed');
    expect(await statusOf(open.id)).toBe('open');
  });
});
