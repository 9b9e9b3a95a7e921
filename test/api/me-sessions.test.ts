import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { signedIn } from '../helpers/people.ts';
import { apiClient, apiKeyOf, ISO_UTC, PASSWORD, personWithToken, tokenFor } from './client.ts';

/**
 * Where the caller is signed in, over the JSON API (issue 16 item 13): browser sessions (as
 * Settings → Security lists them) and access tokens, the calling token marked; revoking one
 * of one's own; another user's id is 404; never with an API key; never a secret.
 */
let ctx: TestContext;
let started: Date;
let ipSeq = 0;

beforeAll(async () => {
  ctx = await createTestContext();
  started = ctx.clock.now();
});
afterEach(() => ctx.clock.set(started));
afterAll(async () => ctx.close());

const withToken = (name: string) => personWithToken(ctx, name, `198.51.100.${200 + ++ipSeq}`);

const browserSessionOf = async (userId: string) =>
  (
    await ctx.db
      .selectFrom('sessions')
      .select('id')
      .where('user_id', '=', userId)
      .orderBy('created_at', 'desc')
      .executeTakeFirstOrThrow()
  ).id;

describe('GET /api/v1/me/sessions', () => {
  it('lists the browser sessions and access tokens, this token marked current, and no secrets', async () => {
    const sue = await withToken('Sue Sessions');
    await signedIn(ctx, sue.email, PASSWORD, '192.0.2.170');
    const browserId = await browserSessionOf(sue.id);
    const other = await tokenFor(ctx, sue.email, '192.0.2.171');
    ctx.clock.advance(5 * 60_000);
    await sue.call('GET', '/me'); // the calling token was used last

    const res = await sue.call('GET', '/me/sessions');
    expect(res.status).toBe(200);
    const rows = res.body.data as Record<string, unknown>[];
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatchObject({ kind: 'api', current: true, ip: sue.ip });
    expect(rows.filter((r) => r.current)).toHaveLength(1);
    expect(rows.find((r) => r.kind === 'browser')).toMatchObject({ id: browserId, ip: '192.0.2.170', current: false });
    expect(rows.filter((r) => r.kind === 'api' && !r.current).map((r) => r.ip)).toEqual(['192.0.2.171']);
    for (const r of rows) {
      expect(Object.keys(r).sort()).toEqual(
        ['created_at', 'current', 'expires_at', 'id', 'ip', 'kind', 'last_seen_at', 'user_agent'].sort(),
      );
      expect(r.created_at).toMatch(ISO_UTC);
    }
    const text = JSON.stringify(res.body);
    expect(text).not.toContain(sue.token);
    expect(text).not.toContain(other);
    expect(text).not.toMatch(/csrf|token_hash/);
  });

  it('leaves out revoked tokens and other people’s sessions', async () => {
    const ned = await withToken('Ned Neighbour');
    const ola = await withToken('Ola Only');
    await signedIn(ctx, ned.email, PASSWORD, '192.0.2.172');
    const old = await tokenFor(ctx, ola.email, '192.0.2.173');
    await ola.call('DELETE', '/auth/tokens/current', undefined, old);
    const res = await ola.call('GET', '/me/sessions');
    expect(res.body.data.map((r: { kind: string; current: boolean }) => [r.kind, r.current])).toEqual([['api', true]]);
  });
});

describe('DELETE /api/v1/me/sessions/{id}', () => {
  it('signs out one of the caller’s browser sessions, recorded as the security page does', async () => {
    const rex = await withToken('Rex Revoker');
    const browser = await signedIn(ctx, rex.email, PASSWORD, '192.0.2.174');
    const id = await browserSessionOf(rex.id);
    const res = await rex.call('DELETE', `/me/sessions/${id}`);
    expect(res.status).toBe(204);
    const page = await browser.get('/dashboard');
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toMatch(/^\/login/);
    const recorded = await ctx.db
      .selectFrom('activity_log')
      .select(['target_type', 'target_id', 'details'])
      .where('actor_user_id', '=', rex.id)
      .where('action', '=', 'auth.session_revoked')
      .execute();
    expect(recorded).toEqual([{ target_type: 'session', target_id: id, details: { scope: 'one' } }]);
    // Once gone, it is 404.
    expect((await rex.call('DELETE', `/me/sessions/${id}`)).status).toBe(404);
  });

  it('signs out another access token of the caller’s, or the calling one', async () => {
    const tom = await withToken('Tom Tokens');
    const other = await tokenFor(ctx, tom.email, '192.0.2.175');
    const list = (await tom.call('GET', '/me/sessions')).body.data as { id: string; current: boolean }[];
    const otherId = list.find((r) => !r.current)!.id;
    const currentId = list.find((r) => r.current)!.id;
    expect((await tom.call('DELETE', `/me/sessions/${otherId}`)).status).toBe(204);
    expect((await tom.call('GET', '/me', undefined, other)).status).toBe(401);
    expect((await tom.call('GET', '/me')).status).toBe(200);
    expect((await tom.call('DELETE', `/me/sessions/${currentId}`)).status).toBe(204);
    expect((await tom.call('GET', '/me')).status).toBe(401);
  });

  it('answers 404 for another user’s session or token, and leaves it alone', async () => {
    const val = await withToken('Val Victim');
    const mal = await withToken('Mal Meddler');
    const victimBrowser = await signedIn(ctx, val.email, PASSWORD, '192.0.2.176');
    const victimSession = await browserSessionOf(val.id);
    const victimToken = ((await val.call('GET', '/me/sessions')).body.data as { id: string; kind: string }[]).find(
      (r) => r.kind === 'api',
    )!.id;
    for (const id of [victimSession, victimToken, crypto.randomUUID(), 'not-a-uuid']) {
      const res = await mal.call('DELETE', `/me/sessions/${id}`);
      expect(res.status, id).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    }
    expect((await victimBrowser.get('/dashboard')).status).toBe(200);
    expect((await val.call('GET', '/me')).status).toBe(200);
  });

  it('is refused (403) to an API key, listing or revoking', async () => {
    const kip = await withToken('Kip Keyed Sessions');
    await signedIn(ctx, kip.email, PASSWORD, '192.0.2.177');
    const id = await browserSessionOf(kip.id);
    const key = await apiKeyOf(kip);
    expect((await kip.call('GET', '/me/sessions', undefined, key)).status).toBe(403);
    const res = await kip.call('DELETE', `/me/sessions/${id}`, undefined, key);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('forbidden');
    expect(await browserSessionOf(kip.id)).toBe(id);
    expect((await apiClient(ctx, kip.ip)('GET', '/me/sessions')).status).toBe(401);
  });
});
