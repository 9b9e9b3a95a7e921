import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/domain/access/actor.ts';
import { staffGetTicket, staffReply, staffUpdateTicket } from '../../src/domain/support/staff.ts';
import {
  getTicket,
  listCategories,
  listTickets,
  openTicket,
  replyToTicket,
  updateTicket,
} from '../../src/domain/support/tickets.ts';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../src/lib/errors.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { seedServerCatalogue } from '../helpers/servers.ts';
import { actorOf, supportCast } from './helpers.ts';

let ctx: TestContext;
let cast: Awaited<ReturnType<typeof supportCast>>;
const a: Record<'olive' | 'mia' | 'sam' | 'vera' | 'quinn' | 'gus' | 'ada', Actor> = {} as never;

beforeAll(async () => {
  ctx = await createTestContext();
  cast = await supportCast(ctx, await seedServerCatalogue(ctx.db));
  for (const k of ['olive', 'mia', 'sam', 'vera', 'quinn', 'gus', 'ada'] as const)
    a[k] = await actorOf(ctx, cast[k].email);
});
afterAll(async () => ctx.close());

describe('opening a ticket', () => {
  it('Mia opens one with the default category and normal priority; the thread has her message', async () => {
    const [general] = await listCategories(ctx.db);
    expect(general).toMatchObject({ name: 'General', isDefault: true });
    const t = await openTicket(ctx.deps, a.mia, {
      subject: '  Cannot   reach port 443 ',
      message: 'Since this morning.\r\n',
    });
    expect(t).toMatchObject({
      subject: 'Cannot reach port 443',
      category: 'General',
      categoryId: general!.id,
      priority: 'normal',
      status: 'open',
      openedById: cast.mia.id,
      openedBy: 'Mia Member',
      organizationId: cast.acme,
      server: null,
      assigneeId: null,
    });
    expect(t.waitingSince).toBeInstanceOf(Date);
    expect(t.messages).toHaveLength(1);
    expect(t.messages[0]).toMatchObject({ body: 'Since this morning.', fromStaff: false, author: 'Mia Member' });
  });

  it('stores a snapshot of the server (label, IP, plan) that survives the server', async () => {
    const t = await openTicket(ctx.deps, a.mia, {
      subject: 'Slow disk',
      message: 'IO wait is high.',
      priority: 'high',
      serverId: cast.web.id,
    });
    expect(t.priority).toBe('high');
    expect(t.server).toMatchObject({ label: 'acme-web', ip: '203.0.113.10' });
    expect(t.server!.plan).toBeTruthy();
    await ctx.db.updateTable('servers').set({ label: 'renamed' }).where('id', '=', cast.web.id).execute();
    expect((await getTicket(ctx.db, a.mia, t.id)).server!.label).toBe('acme-web');
    await ctx.db.updateTable('servers').set({ label: 'acme-web' }).where('id', '=', cast.web.id).execute();
  });

  it('refuses another organization’s server, an unknown category, a bad priority, an empty subject or message', async () => {
    const bad = async (raw: Record<string, unknown>) => {
      const err = await openTicket(ctx.deps, a.mia, { subject: 'S', message: 'M', ...raw }).catch((e) => e);
      expect(err).toBeInstanceOf(ValidationError);
      return (err as ValidationError).fields;
    };
    expect(await bad({ serverId: cast.globexDb.id })).toHaveProperty('serverId');
    expect(await bad({ categoryId: '00000000-0000-4000-8000-000000000000' })).toHaveProperty('categoryId');
    expect(await bad({ priority: 'critical' })).toHaveProperty('priority');
    expect(await bad({ subject: '   ' })).toHaveProperty('subject');
    expect(await bad({ message: ' \n ' })).toHaveProperty('message');
    expect(await bad({ message: 'x'.repeat(20_001) })).toHaveProperty('message');
  });

  it('needs tickets_create: Vera (viewer) and Quinn may not open one', async () => {
    for (const who of [a.vera, a.quinn]) {
      await expect(openTicket(ctx.deps, who, { subject: 'S', message: 'M' })).rejects.toBeInstanceOf(ForbiddenError);
    }
  });
});

describe('who sees which ticket', () => {
  it('tickets_view sees the organization’s tickets; Sam (create only) only his own; foreign ids 404', async () => {
    const sams = await openTicket(ctx.deps, a.sam, { subject: 'Sam asks', message: 'Hello' });
    const mias = await openTicket(ctx.deps, a.mia, { subject: 'Mia asks', message: 'Hello' });
    const gus = await openTicket(ctx.deps, a.gus, { subject: 'Globex asks', message: 'Hello' });

    const miaList = (await listTickets(ctx.db, a.mia)).map((t) => t.id);
    expect(miaList).toEqual(expect.arrayContaining([sams.id, mias.id]));
    expect(miaList).not.toContain(gus.id);
    expect((await listTickets(ctx.db, a.vera)).map((t) => t.id)).toContain(sams.id);
    expect((await listTickets(ctx.db, a.sam)).map((t) => t.id)).toEqual([sams.id]);

    await expect(getTicket(ctx.db, a.sam, mias.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(getTicket(ctx.db, a.mia, gus.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(getTicket(ctx.db, a.mia, 'not-a-uuid')).rejects.toBeInstanceOf(NotFoundError);
    await expect(replyToTicket(ctx.deps, a.mia, gus.id, { message: 'hi' })).rejects.toBeInstanceOf(NotFoundError);
    await expect(updateTicket(ctx.deps, a.olive, gus.id, { status: 'closed' })).rejects.toBeInstanceOf(NotFoundError);
    await expect(listTickets(ctx.db, a.quinn)).rejects.toBeInstanceOf(ForbiddenError);
    await expect(getTicket(ctx.db, a.quinn, mias.id)).rejects.toBeInstanceOf(ForbiddenError);
  });

  it('Vera reads but may not reply; only tickets_manage closes and changes priority; the opener may resolve', async () => {
    const t = await openTicket(ctx.deps, a.mia, { subject: 'Permissions', message: 'Hello' });
    await expect(replyToTicket(ctx.deps, a.vera, t.id, { message: 'me too' })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(updateTicket(ctx.deps, a.mia, t.id, { priority: 'urgent' })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(updateTicket(ctx.deps, a.mia, t.id, { status: 'closed' })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(updateTicket(ctx.deps, a.vera, t.id, { status: 'resolved' })).rejects.toBeInstanceOf(ForbiddenError);
    expect((await updateTicket(ctx.deps, a.olive, t.id, { priority: 'urgent' })).priority).toBe('urgent');
    const resolved = await updateTicket(ctx.deps, a.mia, t.id, { status: 'resolved' });
    expect(resolved.status).toBe('resolved');
    expect(resolved.resolvedAt).toBeInstanceOf(Date);
  });
});

describe('the status machine', () => {
  it('open → answered → customer_reply → resolved → (reply) customer_reply → closed, which refuses replies', async () => {
    const t = await openTicket(ctx.deps, a.mia, { subject: 'Machine', message: 'First' });
    expect(t.status).toBe('open');
    await replyToTicket(ctx.deps, a.mia, t.id, { message: 'More detail' });
    expect((await getTicket(ctx.db, a.mia, t.id)).status).toBe('open');

    await staffReply(ctx.deps, a.ada, t.id, { message: 'Looking into it.' });
    let now = await getTicket(ctx.db, a.mia, t.id);
    expect(now).toMatchObject({ status: 'answered', waitingSince: null, assigneeId: cast.ada.id });

    await staffReply(ctx.deps, a.ada, t.id, { message: 'Customer seems confused', internal: true });
    now = await getTicket(ctx.db, a.mia, t.id);
    expect(now.status).toBe('answered');
    expect(now.messages.map((m) => m.body)).not.toContain('Customer seems confused');
    expect((await staffGetTicket(ctx.deps, a.ada, t.id)).messages.map((m) => m.body)).toContain(
      'Customer seems confused',
    );

    await replyToTicket(ctx.deps, a.mia, t.id, { message: 'Still broken' });
    now = await getTicket(ctx.db, a.mia, t.id);
    expect(now.status).toBe('customer_reply');
    expect(now.waitingSince).toBeInstanceOf(Date);

    await updateTicket(ctx.deps, a.mia, t.id, { status: 'resolved' });
    await replyToTicket(ctx.deps, a.mia, t.id, { message: 'Oh, it broke again' });
    now = await getTicket(ctx.db, a.mia, t.id);
    expect(now).toMatchObject({ status: 'customer_reply', resolvedAt: null });

    await updateTicket(ctx.deps, a.olive, t.id, { status: 'closed' });
    await expect(replyToTicket(ctx.deps, a.mia, t.id, { message: 'Hello?' })).rejects.toBeInstanceOf(ConflictError);
    await expect(staffReply(ctx.deps, a.ada, t.id, { message: 'Hello?' })).rejects.toBeInstanceOf(ConflictError);
    await expect(updateTicket(ctx.deps, a.olive, t.id, { status: 'resolved' })).rejects.toBeInstanceOf(ConflictError);
    expect((await getTicket(ctx.db, a.mia, t.id)).messages.map((m) => [m.fromStaff, m.body])).toEqual([
      [false, 'First'],
      [false, 'More detail'],
      [true, 'Looking into it.'],
      [false, 'Still broken'],
      [false, 'Oh, it broke again'],
    ]);

    const next = await openTicket(ctx.deps, a.mia, { subject: 'Machine again', message: 'x', followsTicketId: t.id });
    expect(next.followsTicketId).toBe(t.id);
  });

  it('customers may not set other statuses; staff may assign only staff, and unassign', async () => {
    const t = await openTicket(ctx.deps, a.mia, { subject: 'Assign me', message: 'x' });
    await expect(updateTicket(ctx.deps, a.olive, t.id, { status: 'answered' })).rejects.toBeInstanceOf(ValidationError);
    await expect(staffUpdateTicket(ctx.deps, a.mia, t.id, { assigneeId: cast.ada.id })).rejects.toBeInstanceOf(
      ForbiddenError,
    );
    await expect(staffUpdateTicket(ctx.deps, a.ada, t.id, { assigneeId: cast.mia.id })).rejects.toBeInstanceOf(
      ValidationError,
    );
    expect((await staffUpdateTicket(ctx.deps, a.ada, t.id, { assigneeId: cast.ada.id })).assignee).toBe('Ada Admin');
    expect((await staffUpdateTicket(ctx.deps, a.ada, t.id, { assigneeId: '' })).assigneeId).toBeNull();
  });
});
