import { describe, expect, it } from 'vitest';
import { randomToken, secureRandomBytes } from '../../src/lib/crypto.ts';

describe('secureRandomBytes (pooled CSPRNG reads)', () => {
  it('never hands the same bytes out twice, across pool refills', () => {
    // 16-byte values through several 8 KB refills: any reuse of a slice would repeat a value.
    const seen = new Set<string>();
    for (let i = 0; i < 3000; i++) {
      const b = secureRandomBytes(16);
      expect(b.length).toBe(16);
      seen.add(b.toString('hex'));
    }
    expect(seen.size).toBe(3000);
  });

  it('returns copies the caller may change without touching later values', () => {
    const a = secureRandomBytes(32);
    a.fill(0);
    const b = secureRandomBytes(32);
    expect(b.equals(Buffer.alloc(32))).toBe(false);
  });

  it('serves odd sizes and large reads', () => {
    expect(secureRandomBytes(1).length).toBe(1);
    expect(secureRandomBytes(257).length).toBe(257);
    expect(secureRandomBytes(8191).length).toBe(8191);
    // Bytes look uniform: 64 KB of them cover every byte value.
    const values = new Set(secureRandomBytes(65_536));
    expect(values.size).toBe(256);
  });

  it('makes URL-safe tokens of the requested entropy', () => {
    const t = randomToken(32);
    expect(t).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(randomToken(32)).not.toBe(t);
  });
});
