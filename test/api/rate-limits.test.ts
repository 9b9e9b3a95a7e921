import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { apiClient, person, tokenFor } from './client.ts';

// Small limits so the tests reach them; each test uses its own client addresses.
const LIMITS = {
  RATE_LIMIT_ANONYMOUS: '6',
  RATE_LIMIT_AUTHENTICATED: '4',
  RATE_LIMIT_ADMIN: '9',
  RATE_LIMIT_AUTH_ACTIONS: '3',
};

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext(LIMITS);
});
afterAll(async () => ctx.close());

function expectLimited(res: { status: number; headers: Headers; body: { error: { code: string } } }) {
  expect(res.status).toBe(429);
  expect(res.body.error.code).toBe('rate_limited');
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(res.headers.get('ratelimit-limit')).toMatch(/^\d+$/);
  expect(res.headers.get('ratelimit-remaining')).toBe('0');
}

describe('API rate limits', () => {
  it('limits anonymous callers per address, counting down in RateLimit headers', async () => {
    const call = apiClient(ctx, '203.0.113.1');
    for (let i = 1; i <= 6; i++) {
      const res = await call('GET', '/openapi.json');
      expect(res.status).toBe(200);
      expect(res.headers.get('ratelimit-limit')).toBe('6');
      expect(res.headers.get('ratelimit-remaining')).toBe(String(6 - i));
    }
    expectLimited(await call('GET', '/openapi.json'));
    expect((await apiClient(ctx, '203.0.113.2')('GET', '/openapi.json')).status).toBe(200);
  });

  it('limits registration far more strictly than other requests from the same address', async () => {
    const call = apiClient(ctx, '203.0.113.3');
    for (let i = 0; i < 3; i++) expect((await call('POST', '/auth/register', { body: {} })).status).toBe(422);
    expectLimited(
      await call('POST', '/auth/register', {
        body: { name: 'Gina Gray', email: 'gina@example.test', password: 'a good password' },
      }),
    );
    expect(
      await ctx.db.selectFrom('users').select('id').where('email', '=', 'gina@example.test').executeTakeFirst(),
    ).toBeUndefined();
    expect((await call('GET', '/openapi.json')).status).toBe(200);
  });

  it('limits token creation per address, right password or not', async () => {
    const hal = await person(ctx, 'Hal Hughes');
    const call = apiClient(ctx, '203.0.113.4');
    for (let i = 0; i < 3; i++)
      expect(
        (await call('POST', '/auth/tokens', { body: { email: hal.email, password: 'wrong password' } })).status,
      ).toBe(401);
    const res = await call('POST', '/auth/tokens', { body: { email: hal.email, password: 'correct horse battery' } });
    expectLimited(res);
    expect(res.body).toEqual({ error: { code: 'rate_limited', message: expect.stringMatching(/^Too many requests/) } });
  });

  it('limits a signed-in caller per user, from whichever address they call', async () => {
    const ivy = await person(ctx, 'Ivy Ingram');
    const token = await tokenFor(ctx, ivy.email, '203.0.113.5');
    for (let i = 0; i < 4; i++) {
      const res = await apiClient(ctx, `203.0.113.${10 + i}`)('GET', '/me', { token });
      expect(res.status).toBe(200);
      expect(res.headers.get('ratelimit-limit')).toBe('4');
    }
    expectLimited(await apiClient(ctx, '203.0.113.20')('GET', '/me', { token }));
    // Anonymous requests from that address are counted separately.
    expect((await apiClient(ctx, '203.0.113.20')('GET', '/openapi.json')).status).toBe(200);
  });

  it('gives an admin the admin tier', async () => {
    const admin = await person(ctx, 'Jo Admin', { isAdmin: true });
    const token = await tokenFor(ctx, admin.email, '203.0.113.30');
    const res = await apiClient(ctx, '203.0.113.30')('GET', '/me', { token });
    expect(res.status).toBe(200);
    expect(res.headers.get('ratelimit-limit')).toBe('9');
  });
});
