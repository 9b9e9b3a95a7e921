import { describe, expect, it } from 'vitest';
import { apiAs, balanceOf, orderOf, useBillingWorld } from './helpers.ts';

const w = useBillingWorld({}, { gate: true });

const key = () => crypto.randomUUID();
const paymentCount = async () =>
  Number(
    (
      await w.ctx.db
        .selectFrom('payments')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );
const createOrders = () => w.emu.requests.filter((r) => r.op === 'create_order').length;

describe('Idempotency-Key on money POSTs', () => {
  it('the same key and body replays the first answer, marked as a replay, with one effect', async () => {
    const k = key();
    const payments = await paymentCount();
    const creates = createOrders();
    const first = await w.olivia('POST', '/wallet/top-ups', { amount: '25.00' }, { 'idempotency-key': k });
    const again = await w.olivia('POST', '/wallet/top-ups', { amount: '25.00' }, { 'idempotency-key': k });
    // Key order and spacing in the JSON do not make it another request.
    const reordered = await w.olivia('POST', '/wallet/top-ups', '{ "amount" : "25.00" }', { 'idempotency-key': k });

    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    for (const replay of [again, reordered]) {
      expect(replay.status).toBe(201);
      expect(replay.body).toEqual(first.body);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
    }
    expect(await paymentCount()).toBe(payments + 1);
    expect(createOrders()).toBe(creates + 1);
  });

  it('the same key with another body is refused with 422 and does nothing', async () => {
    const k = key();
    const payments = await paymentCount();
    await w.olivia('POST', '/wallet/top-ups', { amount: '25.00' }, { 'idempotency-key': k });
    const other = await w.olivia('POST', '/wallet/top-ups', { amount: '26.00' }, { 'idempotency-key': k });
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe('idempotency_key_reused');
    expect(await paymentCount()).toBe(payments + 1);
  });

  it('the same key on another endpoint is another request: 422', async () => {
    const k = key();
    const started = await w.olivia('POST', '/wallet/top-ups', { amount: '25.00' }, { 'idempotency-key': k });
    const capture = await w.olivia('POST', `/wallet/top-ups/${started.body.id}/capture`, undefined, {
      'idempotency-key': k,
    });
    expect(capture.status).toBe(422);
    expect(capture.body.error.code).toBe('idempotency_key_reused');
  });

  it('a duplicate sent while the first is still running is told 409, and only the first acts', async () => {
    const k = key();
    const payments = await paymentCount();
    const creates = createOrders();
    // The first request is held at its PayPal call — mid-request, its key claimed — until the duplicate has its answer.
    const held = w.gate!.hold(/^POST \/v2\/checkout\/orders$/, 'before');
    const first = w.olivia('POST', '/wallet/top-ups', { amount: '30.00' }, { 'idempotency-key': k });
    await held.arrived;
    expect(
      (await w.ctx.db.selectFrom('idempotency_keys').select('status').where('key', '=', k).executeTakeFirstOrThrow())
        .status,
    ).toBe('in_flight');
    const duplicate = await w.olivia('POST', '/wallet/top-ups', { amount: '30.00' }, { 'idempotency-key': k });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.error.code).toBe('idempotency_key_in_flight');
    expect(duplicate.headers.get('retry-after')).toBe('1');
    held.release();

    expect((await first).status).toBe(201);
    const after = await w.olivia('POST', '/wallet/top-ups', { amount: '30.00' }, { 'idempotency-key': k });
    expect(after.headers.get('idempotent-replayed')).toBe('true');
    expect(after.body.id).toBe((await first).body.id);
    expect(await paymentCount()).toBe(payments + 1);
    expect(createOrders()).toBe(creates + 1);
  });

  it('a capture with a key replays its answer; a refusal that may pass (409 not approved) is not kept', async () => {
    const started = await w.olivia('POST', '/wallet/top-ups', { amount: '19.00' });
    const k = key();
    const early = await w.olivia('POST', `/wallet/top-ups/${started.body.id}/capture`, undefined, {
      'idempotency-key': k,
    });
    expect(early.status).toBe(409);
    w.emu.approve(await orderOf(w.ctx, started.body.id));
    const before = await balanceOf(w.ctx, w.cast.acme);
    const done = await w.olivia('POST', `/wallet/top-ups/${started.body.id}/capture`, undefined, {
      'idempotency-key': k,
    });
    expect(done.status).toBe(200);
    expect(done.headers.get('idempotent-replayed')).toBeNull();
    const replay = await w.olivia('POST', `/wallet/top-ups/${started.body.id}/capture`, undefined, {
      'idempotency-key': k,
    });
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toEqual(done.body);
    expect(await balanceOf(w.ctx, w.cast.acme)).toBe(before + 19_000_000n);
  });

  it('keys belong to their user: another person may use the same key for their own request', async () => {
    const k = key();
    const first = await w.olivia('POST', '/wallet/top-ups', { amount: '25.00' }, { 'idempotency-key': k });
    const greta = await apiAs(w.ctx, w.cast.greta.email);
    const theirs = await greta('POST', '/wallet/top-ups', { amount: '25.00' }, { 'idempotency-key': k });
    expect(theirs.status).toBe(201);
    expect(theirs.headers.get('idempotent-replayed')).toBeNull();
    expect(theirs.body.id).not.toBe(first.body.id);
  });

  it('a key that is not 1–255 visible characters is refused with 400', async () => {
    for (const bad of ['x'.repeat(256), 'has space']) {
      const res = await w.olivia('POST', '/wallet/top-ups', { amount: '25.00' }, { 'idempotency-key': bad });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_idempotency_key');
    }
  });

  it('is documented on the money POSTs in the OpenAPI document', async () => {
    const doc = (await w.olivia('GET', '/openapi.json')).body;
    for (const [path, op] of [
      ['/wallet/top-ups', 'post'],
      ['/wallet/top-ups/{id}/capture', 'post'],
    ] as const) {
      const operation = doc.paths[path][op];
      expect(operation.parameters).toEqual(
        expect.arrayContaining([expect.objectContaining({ name: 'idempotency-key', in: 'header', required: false })]),
      );
      expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['409', '422']));
    }
    expect(doc.paths['/wallet/top-ups'].post.responses['201'].headers['Idempotent-Replayed']).toBeDefined();
  });
});
