import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { webhooksDeliverJob } from '../../jobs/webhooks-deliver.ts';
import { inTransaction } from '../../src/db/index.ts';
import type { Actor } from '../../src/domain/access/actor.ts';
import { attemptDelivery, GIVE_UP_AFTER_MS, LEASE_MS, purgeOldEvents } from '../../src/domain/webhooks/deliver.ts';
import {
  createEndpoint,
  emitWebhookEvent,
  getEndpoint,
  getDelivery,
  listDeliveries,
  redeliver,
  sendPing,
  updateEndpoint,
} from '../../src/domain/webhooks/index.ts';
import { person } from '../api/client.ts';
import { joinAs } from '../api-keys/helpers.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { runQueued } from '../helpers/jobs.ts';
import { actorIn, allowLoopback, outboxOf, startReceiver, verifySignature, type Receiver } from './helpers.ts';

/**
 * Olive owns Acme and points a webhook endpoint at her receiver; Adam is Acme's admin and
 * Vera its viewer. Ada runs the platform (and allows loopback targets, for development).
 */
let ctx: TestContext;
let receiver: Receiver;
let olive: Awaited<ReturnType<typeof person>>;
let adam: Awaited<ReturnType<typeof person>>;
let vera: Awaited<ReturnType<typeof person>>;
let acme: string;
let asOlive: Actor;

beforeAll(async () => {
  ctx = await createTestContext();
  receiver = await startReceiver();
  const ada = await person(ctx, 'Ada Admin', { isAdmin: true });
  [olive, adam, vera] = await Promise.all([
    person(ctx, 'Olive Owner'),
    person(ctx, 'Adam Admin'),
    person(ctx, 'Vera Viewer'),
  ]);
  acme = olive.organizationId;
  await joinAs(ctx, acme, adam.id, 'admin');
  await joinAs(ctx, acme, vera.id, 'viewer');
  await allowLoopback(ctx, ada.id);
  asOlive = await actorIn(ctx, olive.id, acme);
});
afterAll(async () => {
  await receiver.close();
  await ctx.close();
});
beforeEach(async () => {
  receiver.received.length = 0;
  receiver.status(200);
  await ctx.db.deleteFrom('webhook_endpoints').where('organization_id', '=', acme).execute();
});

const endpoint = (events = ['vps.*', 'wallet.credited']) =>
  createEndpoint(ctx.deps, asOlive, { url: receiver.url, events });
const emit = (type: string, key: string, data: Record<string, unknown> = { server_id: 'srv-1' }) =>
  inTransaction(ctx.db, (trx) => emitWebhookEvent(trx, { organizationId: acme, type, key, data }));
const runJobs = () => runQueued(ctx, 'webhooks.deliver', (data) => webhooksDeliverJob(ctx.deps, data, null));
const sweep = () => webhooksDeliverJob(ctx.deps, {}, null);
const onlyDelivery = async () => (await outboxOf(ctx, acme)).at(-1)!;

describe('delivering an event', () => {
  it('sends the body with id, type, created_at and data, signed so Olive’s receiver can verify it with the secret shown once', async () => {
    const { secret } = await endpoint();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    await emit('vps.created', 'test:1', { server_id: 'srv-1', label: 'web-1' });
    expect(await runJobs()).toBe(1);
    expect(receiver.received).toHaveLength(1);
    const [req] = receiver.received;
    const body = JSON.parse(req!.body);
    expect(body).toEqual({
      id: expect.any(String),
      type: 'vps.created',
      created_at: expect.any(String),
      data: { server_id: 'srv-1', label: 'web-1' },
    });
    expect(req!.headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': 'SkyPanel-Webhooks/1',
      'skypanel-event-id': body.id,
      'skypanel-event-type': 'vps.created',
    });
    const header = String(req!.headers['skypanel-signature']);
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    const now = Math.floor(ctx.clock.now().getTime() / 1000);
    expect(verifySignature(secret, header, req!.body, now)).toBe(true);
    expect(
      verifySignature(
        secret.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')),
        header,
        req!.body,
        now,
      ),
    ).toBe(false);
    expect(verifySignature(secret, header, req!.body.replace('web-1', 'web-2'), now)).toBe(false);
    expect(verifySignature(secret, header, req!.body, now + 3600)).toBe(false);
    const delivery = await onlyDelivery();
    expect(delivery).toMatchObject({ status: 'succeeded', attempts: 1, next_attempt_at: null });
  });

  it('keeps the secret sealed in the database, never in the clear', async () => {
    const { secret, endpoint: e } = await endpoint();
    const row = await ctx.db
      .selectFrom('webhook_endpoints')
      .selectAll()
      .where('id', '=', e.id)
      .executeTakeFirstOrThrow();
    expect(row.secret_ciphertext).toMatch(/^v\d+\./);
    expect(JSON.stringify(row)).not.toContain(secret.slice(6));
    expect(e.secretHint).toBe(`whsec_…${secret.slice(-4)}`);
  });

  it('emits an event once per key: the same key again (a retried job) writes nothing', async () => {
    await endpoint();
    expect(await emit('vps.deleted', 'same')).toHaveLength(1);
    expect(await emit('vps.deleted', 'same')).toHaveLength(0);
    expect(await outboxOf(ctx, acme)).toHaveLength(1);
  });

  it('sends nothing for a change that rolled back: the event, its delivery and its job go with it', async () => {
    await endpoint();
    await runJobs(); // earlier tests' jobs
    await expect(
      inTransaction(ctx.db, async (trx) => {
        await emitWebhookEvent(trx, { organizationId: acme, type: 'vps.created', key: 'rolled-back', data: {} });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await outboxOf(ctx, acme)).toEqual([]);
    expect(await runJobs()).toBe(0);
    expect(receiver.received).toHaveLength(0);
  });

  it('writes nothing for an event no endpoint subscribes to, and matches a prefix wildcard', async () => {
    const before = await ctx.db
      .selectFrom('webhook_events')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    expect(await emit('ticket.opened', 'unheard')).toEqual([]);
    await endpoint(['hosting.*']);
    expect(await emit('vps.created', 'not-hosting')).toEqual([]);
    const after = await ctx.db
      .selectFrom('webhook_events')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
    expect(await emit('hosting.service.active', 'hosting-1', { service_id: 's1' })).toHaveLength(1);
  });

  it('treats a redirect as a failure and does not follow it', async () => {
    await endpoint();
    receiver.answerWith(async () => ({ status: 302, headers: { location: '/elsewhere' } }));
    await emit('vps.created', 'redirect');
    await runJobs();
    expect(receiver.received).toHaveLength(1);
    expect(await onlyDelivery()).toMatchObject({ status: 'retrying', attempts: 1 });
    const d = await ctx.db.selectFrom('webhook_outbox').select('last_error').executeTakeFirstOrThrow();
    expect(d.last_error).toContain('302');
  });
});

describe('retries, and disabling after a day', () => {
  it('retries a failing receiver after 1, 2, 4, 8… minutes (at most an hour apart), not before', async () => {
    await endpoint();
    receiver.status(500);
    await emit('vps.created', 'backoff');
    await runJobs();
    const waits: number[] = [];
    for (let i = 0; i < 8; i++) {
      const d = await onlyDelivery();
      expect(d.status).toBe('retrying');
      const wait = d.next_attempt_at!.getTime() - ctx.clock.now().getTime();
      waits.push(wait / 60_000);
      ctx.clock.advance(wait - 1000);
      await sweep();
      expect(receiver.received).toHaveLength(i + 1);
      ctx.clock.advance(1000);
      await sweep();
      expect(receiver.received).toHaveLength(i + 2);
    }
    expect(waits).toEqual([1, 2, 4, 8, 16, 32, 60, 60]);
  });

  it('fails the delivery a day after its first attempt, disables the endpoint, and tells Olive (bell and email), not Adam or Vera', async () => {
    const { endpoint: e } = await endpoint();
    receiver.status(503);
    await emit('vps.created', 'a-day');
    const first = ctx.clock.now().getTime();
    await runJobs();
    let rounds = 0;
    while ((await onlyDelivery()).status === 'retrying' && rounds++ < 100) {
      ctx.clock.set((await onlyDelivery()).next_attempt_at!);
      await sweep();
    }
    const d = await onlyDelivery();
    expect(d.status).toBe('failed');
    expect(ctx.clock.now().getTime() - first).toBe(GIVE_UP_AFTER_MS);
    expect(receiver.received.length).toBe(d.attempts);
    const after = await getEndpoint(ctx.db, asOlive, e.id);
    expect(after).toMatchObject({ status: 'disabled', disabledReason: expect.stringContaining('503') });
    const bells = await ctx.db
      .selectFrom('notifications')
      .select(['user_id', 'data'])
      .where('kind', '=', 'webhooks.endpoint_disabled')
      .execute();
    expect(bells.map((b) => b.user_id)).toEqual([olive.id]);
    expect(bells[0]!.data).toMatchObject({ endpoint_id: e.id, url: receiver.url });
    const mails = await ctx.db
      .selectFrom('emails')
      .select(['to_address', 'subject', 'text'])
      .where('template', '=', 'webhook_disabled')
      .execute();
    expect(mails.map((m) => m.to_address)).toEqual([olive.email]);
    expect(mails[0]!.text).toContain(receiver.url);
    const logged = await ctx.db
      .selectFrom('activity_log')
      .select(['organization_id', 'target_id', 'actor_user_id'])
      .where('action', '=', 'webhook.disabled')
      .execute();
    expect(logged).toEqual([{ organization_id: acme, target_id: e.id, actor_user_id: null }]);
    // A disabled endpoint gets nothing more.
    expect(await emit('vps.created', 'after-disable')).toEqual([]);
  });

  it('a member disabling the endpoint ends its waiting deliveries as failed; re-enabled, new events flow again', async () => {
    const { endpoint: e } = await endpoint();
    receiver.status(500);
    await emit('vps.created', 'waiting');
    await runJobs();
    await updateEndpoint(ctx.deps, asOlive, e.id, { enabled: false });
    expect(await onlyDelivery()).toMatchObject({ status: 'failed', next_attempt_at: null });
    ctx.clock.advance(3_600_000);
    await sweep();
    expect(receiver.received).toHaveLength(1);
    receiver.status(204);
    await updateEndpoint(ctx.deps, asOlive, e.id, { enabled: true });
    await emit('vps.created', 'after-enable');
    await runJobs();
    expect(await onlyDelivery()).toMatchObject({ status: 'succeeded' });
  });
});

describe('one attempt at a time', () => {
  it('two workers racing for one delivery send it once', async () => {
    await endpoint();
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    receiver.answerWith(async () => {
      await held;
      return { status: 200 };
    });
    await emit('vps.created', 'race');
    const { id } = await onlyDelivery();
    const racing = Promise.all([
      attemptDelivery(ctx.deps, id, 'first'),
      attemptDelivery(ctx.deps, id, 'first'),
      sweep(),
    ]);
    await new Promise((r) => setTimeout(r, 200)); // let the losers' claims come back empty while the winner waits on the receiver
    release();
    const [a, b] = await racing;
    expect([a, b].filter((x) => x === 'succeeded')).toHaveLength(1);
    expect([a, b].filter((x) => x === null)).toHaveLength(1);
    expect(receiver.received).toHaveLength(1);
    expect(await onlyDelivery()).toMatchObject({ status: 'succeeded', attempts: 1 });
  });

  it('a worker that died mid-send leaves a lease that runs out; then the sweep sends again', async () => {
    await endpoint();
    await emit('vps.created', 'crash');
    const { id } = await onlyDelivery();
    // The crashed worker's claim: a lease taken, nothing recorded.
    await ctx.db
      .updateTable('webhook_outbox')
      .set({ lease_token: crypto.randomUUID(), lease_until: new Date(ctx.clock.now().getTime() + LEASE_MS) })
      .where('id', '=', id)
      .execute();
    await sweep();
    expect(receiver.received).toHaveLength(0);
    ctx.clock.advance(LEASE_MS);
    await sweep();
    expect(receiver.received).toHaveLength(1);
    expect(await onlyDelivery()).toMatchObject({ status: 'succeeded', attempts: 1 });
  });
});

describe('by hand: redelivery and the test ping', () => {
  it('Olive redelivers a failed delivery once her receiver works: it succeeds, and the log shows the manual attempt', async () => {
    const { endpoint: e } = await endpoint();
    receiver.status(500);
    await emit('vps.created', 'redeliver');
    await runJobs();
    await updateEndpoint(ctx.deps, asOlive, e.id, { enabled: false });
    receiver.status(200);
    const { id } = await onlyDelivery();
    const view = await redeliver(ctx.deps, asOlive, e.id, id);
    expect(view).toMatchObject({ status: 'succeeded', attempts: 2, lastStatusCode: 200 });
    const detail = await getDelivery(ctx.db, asOlive, e.id, id);
    expect(detail.attempts.map((a) => [a.statusCode, a.manual])).toEqual([
      [500, false],
      [200, true],
    ]);
    expect(JSON.parse(detail.payload)).toMatchObject({ type: 'vps.created', id: detail.eventId });
    expect(receiver.received[0]!.body).toBe(receiver.received[1]!.body);
    const page = await listDeliveries(ctx.db, asOlive, e.id, {});
    expect(page.items.map((d) => d.id)).toEqual([id]);
  });

  it('the test ping reaches the receiver at once, whatever the endpoint subscribes to; a failed ping is not retried', async () => {
    const { endpoint: e } = await endpoint(['invoice.issued']);
    const ok = await sendPing(ctx.deps, asOlive, e.id);
    expect(ok).toMatchObject({ type: 'ping', status: 'succeeded', attempts: 1 });
    expect(JSON.parse(receiver.received[0]!.body)).toMatchObject({ type: 'ping', data: { endpoint_id: e.id } });
    receiver.status(404);
    const bad = await sendPing(ctx.deps, asOlive, e.id);
    expect(bad).toMatchObject({ status: 'failed', lastStatusCode: 404, nextAttemptAt: null });
    ctx.clock.advance(3_600_000);
    await sweep();
    expect(receiver.received).toHaveLength(2);
  });

  it('lists the log newest first, a page at a time', async () => {
    const { endpoint: e } = await endpoint();
    for (let i = 0; i < 5; i++) await emit('vps.created', `page-${i}`);
    const first = await listDeliveries(ctx.db, asOlive, e.id, { limit: 3 });
    expect(first.items).toHaveLength(3);
    expect(first.next).not.toBeNull();
    const second = await listDeliveries(ctx.db, asOlive, e.id, { limit: 3, before: first.next! });
    expect(second.items).toHaveLength(2);
    expect(second.next).toBeNull();
    expect(new Set([...first.items, ...second.items].map((d) => d.id)).size).toBe(5);
  });
});

describe('keeping the log', () => {
  it('deletes events a month old whose deliveries all ended, and keeps one still waiting', async () => {
    await endpoint();
    receiver.status(500);
    await emit('vps.created', 'old-and-waiting');
    await runJobs();
    receiver.status(200);
    await emit('vps.created', 'old-and-done');
    await runJobs();
    const waiting = (await outboxOf(ctx, acme)).find((d) => d.status === 'retrying')!;
    await ctx.db
      .updateTable('webhook_events')
      .set({ created_at: new Date(ctx.clock.now().getTime() - 31 * 86_400_000) })
      .execute();
    await ctx.db
      .updateTable('webhook_outbox')
      .set({ next_attempt_at: new Date(ctx.clock.now().getTime() + 86_400_000) })
      .where('id', '=', waiting.id)
      .execute();
    expect(await purgeOldEvents(ctx.db, ctx.clock.now())).toBeGreaterThanOrEqual(1);
    expect((await outboxOf(ctx, acme)).map((d) => d.id)).toEqual([waiting.id]);
  });
});
