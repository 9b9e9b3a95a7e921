import { describe, expect, it } from 'vitest';
import { derived, identityKey, share } from '../../src/lib/shared-values.ts';

/**
 * Shared values (what the data cache keeps) are frozen and named by identity; everything else is
 * named by what it holds. A rendered page is reused when its inputs' names are equal
 * (src/web/rendered-pages.ts), so equal names must mean equal data.
 */
describe('share', () => {
  it('freezes every object, array, Set and Map in the value, so a change in place throws', () => {
    const value = share({
      org: { name: 'Acme', balance: 5n },
      servers: [{ id: 'a', tags: ['x'] }],
      permissions: new Set(['vps_view']),
      labels: new Map([['a', 'A']]),
    });
    expect(() => {
      (value.org as { name: string }).name = 'Evil';
    }).toThrow(TypeError);
    expect(() => value.servers.push({ id: 'b', tags: [] })).toThrow(TypeError);
    expect(() => (value.servers[0]!.tags as string[]).push('y')).toThrow(TypeError);
    expect(() => value.permissions.add('vps_delete')).toThrow(/shared value/);
    expect(() => value.permissions.delete('vps_view')).toThrow(/shared value/);
    expect(() => value.labels.set('b', 'B')).toThrow(/shared value/);
    expect(() => value.labels.clear()).toThrow(/shared value/);
    expect(value.org.name).toBe('Acme');
    expect([...value.permissions]).toEqual(['vps_view']);
    expect([...value.labels]).toEqual([['a', 'A']]);
  });

  it('names a shared object by its identity: one short name however large it is', () => {
    const rows = share(Array.from({ length: 500 }, (_, i) => ({ id: `server-${i}`, price: BigInt(i) })));
    const key = identityKey({ rows })!;
    expect(key.length).toBeLessThan(40);
    expect(identityKey({ rows })).toBe(key);
    // An equal copy that is not shared is spelled out, so it is never taken for the shared one.
    const copy = rows.map((r) => ({ ...r }));
    expect(identityKey({ rows: copy })).not.toBe(key);
    expect(identityKey({ rows: copy })!.length).toBeGreaterThan(5000);
  });

  it('gives no identity to what holds something it cannot freeze (a Buffer): it is spelled out, or not named', () => {
    const value = share({ file: Buffer.from('x'), name: 'n' });
    expect(Object.isFrozen(value)).toBe(true);
    expect(identityKey(value)).toBeUndefined();
  });
});

describe('identityKey', () => {
  it('is equal for equal values made apart, and differs for any difference a page could print', () => {
    const make = (over: Record<string, unknown> = {}) => ({
      name: 'Ada',
      balance: 1_000_000n,
      count: 3,
      ok: true,
      none: null,
      missing: undefined,
      at: new Date('2026-12-07T10:00:00Z'),
      list: ['a', 'b'],
      perms: new Set(['vps_view']),
      ...over,
    });
    const base = identityKey(make());
    expect(base).toBeDefined();
    expect(identityKey(make())).toBe(base);
    for (const over of [
      { name: 'Adb' },
      { balance: 1_000_001n },
      { count: 4 },
      { count: '3' },
      { balance: 1_000_000 },
      { ok: false },
      { none: undefined },
      { missing: null },
      { at: new Date('2026-12-07T10:00:01Z') },
      { list: ['a', 'b', ''] },
      { list: ['ab'] },
      { perms: new Set(['vps_view', 'vps_delete']) },
      { extra: 1 },
    ])
      expect(
        identityKey(make(over)),
        JSON.stringify(over, (_k, v: unknown) => String(v)),
      ).not.toBe(base);
  });

  it('cannot be fooled by strings that contain its own punctuation', () => {
    expect(identityKey(['ab', 'c'])).not.toBe(identityKey(['a', 'bc']));
    expect(identityKey({ a: 's1:b' })).not.toBe(identityKey({ 'as1:': 'b' }));
    expect(identityKey(['#1;'])).not.toBe(identityKey([share({})]));
    expect(identityKey('N')).not.toBe(identityKey(null));
  });

  it('names a function by identity: the same helper matches, a closure made per request never does', () => {
    const helper = (x: number) => x + 1;
    expect(identityKey({ f: helper })).toBe(identityKey({ f: helper }));
    const perRequest = () => (x: number) => x + 1;
    expect(identityKey({ f: perRequest() })).not.toBe(identityKey({ f: perRequest() }));
  });

  it('names nothing it cannot spell out: class instances, Buffers, symbols, cycles', () => {
    class Money {
      constructor(readonly amount: bigint) {}
    }
    expect(identityKey({ m: new Money(1n) })).toBeUndefined();
    expect(identityKey({ b: Buffer.from('x') })).toBeUndefined();
    expect(identityKey({ s: Symbol('x') })).toBeUndefined();
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(identityKey(cycle)).toBeUndefined();
  });
});

describe('derived', () => {
  const present = (row: { id: string; cents: bigint }) => ({ id: row.id, amount: String(row.cents) });

  it('makes a shared source’s value once and shares it', () => {
    let made = 0;
    const counted = (row: { id: string; cents: bigint }) => (made++, present(row));
    const row = share({ id: 'r1', cents: 250n });
    const first = derived(row, counted);
    expect(derived(row, counted)).toBe(first);
    expect(made).toBe(1);
    expect(first).toEqual({ id: 'r1', amount: '250' });
    expect(Object.isFrozen(first)).toBe(true);
    // Another function is another value.
    const other = derived(row, (r) => r.id);
    expect(other).toBe('r1');
    expect(derived(row, counted)).toStrictEqual(first);
  });

  it('makes an unshared source’s value every time: it may have changed', () => {
    let made = 0;
    const counted = (row: { id: string; cents: bigint }) => (made++, present(row));
    const row = { id: 'r2', cents: 1n };
    expect(derived(row, counted)).toEqual({ id: 'r2', amount: '1' });
    row.cents = 2n;
    expect(derived(row, counted)).toEqual({ id: 'r2', amount: '2' });
    expect(made).toBe(2);
  });
});
