import { describe, expect, it } from 'vitest';
import { CLOUD_READ_TTL_MS, ReadCache } from '../../src/providers/cloud-reads.ts';

/** The memory behind the server page's provider reads (src/providers/cloud-reads.ts), on a clock the test moves. */
function cacheAt(opts: { max?: number } = {}) {
  let now = 1_000;
  const cache = new ReadCache({ ...opts, now: () => now });
  const calls: string[] = [];
  const read = (key: string, mark = 'm1', answer: () => Promise<string> = async () => `${key}@${now}`) =>
    cache.read(key, mark, () => {
      calls.push(key);
      return answer();
    });
  return { cache, calls, read, advance: (ms: number) => (now += ms) };
}

describe('the provider read cache', () => {
  it('answers again from memory until the time is up, then asks again', async () => {
    const c = cacheAt();
    expect(await c.read('7:stats')).toBe('7:stats@1000');
    c.advance(CLOUD_READ_TTL_MS - 1);
    expect(await c.read('7:stats')).toBe('7:stats@1000');
    c.advance(1);
    expect(await c.read('7:stats')).toBe(`7:stats@${1_000 + CLOUD_READ_TTL_MS}`);
    expect(c.calls).toEqual(['7:stats', '7:stats']);
  });

  it('asks again at once when the mark moved (a write to the server), and keeps keys apart', async () => {
    const c = cacheAt();
    await c.read('7:stats', 'm1');
    await c.read('8:stats', 'm1');
    await c.read('7:stats', 'm2');
    await c.read('7:stats', 'm2');
    expect(c.calls).toEqual(['7:stats', '8:stats', '7:stats']);
  });

  it('shares one call between reads made while it is under way', async () => {
    const c = cacheAt();
    let release!: (v: string) => void;
    const slow = () => new Promise<string>((r) => (release = r));
    const both = Promise.all([c.read('7:ips', 'm1', slow), c.read('7:ips', 'm1', slow)]);
    release('answer');
    expect(await both).toEqual(['answer', 'answer']);
    expect(c.calls).toEqual(['7:ips']);
  });

  it('keeps no failure: the call after a failed one asks again', async () => {
    const c = cacheAt();
    const failing = async (): Promise<string> => {
      throw new Error('provider down');
    };
    await expect(c.read('7:stats', 'm1', failing)).rejects.toThrow('provider down');
    expect(c.cache.size).toBe(0);
    expect(await c.read('7:stats')).toBe('7:stats@1000');
    expect(c.calls).toEqual(['7:stats', '7:stats']);
  });

  it('drops expired answers as new ones come, so memory holds only the last moments’ reads', async () => {
    const c = cacheAt();
    for (const id of [1, 2, 3]) await c.read(`${id}:stats`);
    c.advance(CLOUD_READ_TTL_MS / 2);
    await c.read('4:stats');
    expect(c.cache.size).toBe(4);
    c.advance(CLOUD_READ_TTL_MS / 2);
    await c.read('5:stats');
    expect(c.cache.size).toBe(2);
  });

  it('holds at most `max` answers, dropping the oldest', async () => {
    const c = cacheAt({ max: 3 });
    for (const id of [1, 2, 3, 4, 5]) await c.read(`${id}:stats`);
    expect(c.cache.size).toBe(3);
    await c.read('5:stats');
    await c.read('3:stats');
    await c.read('1:stats');
    expect(c.calls).toEqual(['1:stats', '2:stats', '3:stats', '4:stats', '5:stats', '1:stats']);
  });
});
