import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createPerson, uniqueEmail } from '../helpers/people.ts';
import { apiClient, tokenFor } from './client.ts';

// Idempotency-Key (src/web/api/v1/idempotency.ts), proven on a money POST that needs no
// outside system: a platform admin's manual wallet credit. Each credit is a new adjustment
// (the API mints its id), so only the key can stop a retry from crediting twice.
let ctx: TestContext;
let started: Date;
beforeAll(async () => {
  ctx = await createTestContext();
  started = ctx.clock.now();
});
afterEach(() => ctx.clock.set(started));
afterAll(async () => ctx.close());

const DAY = 86_400_000;
const STALE = 120_000; // a claim still in flight after this is presumed dead
const CREDIT = { amount: '5.00', direction: 'credit', reason: 'Goodwill' };

let ipSeq = 0;

/** Ada (platform admin, with an access token) and the organization whose wallet she credits. */
async function world() {
  const ip = `198.51.100.${++ipSeq}`;
  const ada = await createPerson(ctx, 'Ada Admin', { isAdmin: true, verified: true, email: uniqueEmail('Ada Admin') });
  const olga = await createPerson(ctx, 'Olga Owner', { verified: true, email: uniqueEmail('Olga Owner') });
  const token = await tokenFor(ctx, ada.email, ip);
  const org = olga.organization.id;
  const call = apiClient(ctx, ip);
  return {
    ada,
    org,
    credit: (key: string, body: object = CREDIT) =>
      call('POST', `/admin/organizations/${org}/wallet/adjustments`, {
        token,
        body,
        headers: { 'idempotency-key': key },
      }),
    balance: async () =>
      (
        await ctx.db
          .selectFrom('wallets')
          .select('balance')
          .where('organization_id', '=', org)
          .executeTakeFirstOrThrow()
      ).balance,
    adjustments: async () =>
      (
        await ctx.db
          .selectFrom('ledger_transactions')
          .select('id')
          .where('organization_id', '=', org)
          .where('kind', '=', 'adjustment')
          .execute()
      ).length,
    keyRow: (key: string) =>
      ctx.db
        .selectFrom('idempotency_keys')
        .selectAll()
        .where('user_id', '=', ada.id)
        .where('key', '=', key)
        .executeTakeFirst(),
  };
}

/** Holds a row lock on the wallet from another connection: a posting to it waits until `release`. */
async function holdWalletLock(org: string) {
  const client = new pg.Client(ctx.url);
  await client.connect();
  await client.query('begin');
  await client.query('select id from wallets where organization_id = $1 for update', [org]);
  return {
    async release() {
      await client.query('rollback');
      await client.end();
    },
  };
}

describe('Idempotency-Key: how long a key is honoured', () => {
  it('replays the first answer for 24 hours to the millisecond; after that the key is new and the request runs again', async () => {
    const w = await world();
    const key = crypto.randomUUID();
    const first = await w.credit(key);
    expect(first.status).toBe(201);
    expect(await w.balance()).toBe(5_000_000n);

    ctx.clock.advance(DAY);
    const replay = await w.credit(key);
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toEqual(first.body);
    // Still the first request's key: another body with it is refused.
    const other = await w.credit(key, { ...CREDIT, amount: '7.00' });
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe('idempotency_key_reused');
    expect(await w.balance()).toBe(5_000_000n);
    expect(await w.adjustments()).toBe(1);

    // One millisecond later the key is forgotten: any request may use it, and it runs.
    ctx.clock.advance(1);
    const again = await w.credit(key, { ...CREDIT, amount: '7.00' });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBeNull();
    expect(again.body.id).not.toBe(first.body.id);
    expect(await w.balance()).toBe(12_000_000n);
    expect(await w.adjustments()).toBe(2);

    // …and the key now stands for that new request, for its own 24 hours.
    const replayOfNew = await w.credit(key, { ...CREDIT, amount: '7.00' });
    expect(replayOfNew.headers.get('idempotent-replayed')).toBe('true');
    expect(replayOfNew.body).toEqual(again.body);
    expect((await w.keyRow(key))!.created_at).toEqual(ctx.clock.now());
    expect(await w.balance()).toBe(12_000_000n);
  });
});

describe('Idempotency-Key: a request still in flight', () => {
  it('tells a retry 409 while the first request runs, and only the first one posts', async () => {
    const w = await world();
    const key = crypto.randomUUID();
    // The barrier: the first request claims its key, then waits for the wallet row.
    const lock = await holdWalletLock(w.org);
    let first: ReturnType<typeof w.credit> | undefined;
    try {
      first = w.credit(key);
      await expect.poll(async () => (await w.keyRow(key))?.status).toBe('in_flight');

      const retry = await w.credit(key);
      expect(retry.status).toBe(409);
      expect(retry.body.error.code).toBe('idempotency_key_in_flight');
      expect(retry.headers.get('retry-after')).toBe('1');
    } finally {
      await lock.release();
    }
    const done = await first!;
    expect(done.status).toBe(201);
    expect((await w.keyRow(key))!.status).toBe('done');
    const after = await w.credit(key);
    expect(after.headers.get('idempotent-replayed')).toBe('true');
    expect(after.body).toEqual(done.body);
    expect(await w.balance()).toBe(5_000_000n);
    expect(await w.adjustments()).toBe(1);
  });

  it('takes over a claim left in flight by a process that died, once it is more than two minutes old, and runs the request once', async () => {
    const w = await world();
    // A request answered normally, to learn the fingerprint the key keeps of this request.
    const earlier = await w.credit(crypto.randomUUID());
    const fingerprint = await ctx.db
      .selectFrom('idempotency_keys')
      .select(['endpoint', 'request_hash'])
      .where('user_id', '=', w.ada.id)
      .executeTakeFirstOrThrow();
    expect(await w.balance()).toBe(5_000_000n);

    // Another process claimed `key` for the same request and died before posting anything.
    const key = crypto.randomUUID();
    await ctx.db
      .insertInto('idempotency_keys')
      .values({ key, user_id: w.ada.id, ...fingerprint, status: 'in_flight', created_at: ctx.clock.now() })
      .execute();

    ctx.clock.advance(STALE);
    const early = await w.credit(key);
    expect(early.status).toBe(409);
    expect(early.body.error.code).toBe('idempotency_key_in_flight');
    expect(await w.balance()).toBe(5_000_000n);

    ctx.clock.advance(1);
    const taken = await w.credit(key);
    expect(taken.status).toBe(201);
    expect(taken.headers.get('idempotent-replayed')).toBeNull();
    expect(taken.body.id).not.toBe(earlier.body.id);
    expect(await w.balance()).toBe(10_000_000n);
    expect(await w.keyRow(key)).toMatchObject({ status: 'done', response_status: 201, created_at: ctx.clock.now() });

    const replay = await w.credit(key);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toEqual(taken.body);
    expect(await w.balance()).toBe(10_000_000n);
    expect(await w.adjustments()).toBe(2);
  });
});
