import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../../src/db/index.ts';
import { createAccessToken } from '../../src/domain/accounts/access-tokens.ts';
import { TestBrowser } from '../helpers/browser.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createPerson, signedIn } from '../helpers/people.ts';

/**
 * Sessions are kept per process (src/domain/accounts/session-cache.ts). Two app instances on one
 * database, each with its own pool and LISTEN connection: a change made through one is refused
 * by the other on its next request (the database's NOTIFY reaches it), and by the instance that
 * made it at once (its own writes forget without waiting for the notification).
 */
let a: TestContext;
let b: TestContext;
let bDb: Db;

beforeAll(async () => {
  a = await createTestContext();
  bDb = createDb(a.url, 4);
  b = await createTestContext({}, { shareDatabase: { url: a.url, db: bDb } });
});
afterAll(async () => {
  await b.close();
  await bDb.destroy();
  await a.close();
});

/** The same browser (its cookies) talking to instance B. */
function onB(browser: TestBrowser): TestBrowser {
  const other = new TestBrowser(b.app);
  for (const [k, v] of browser.cookies) other.cookies.set(k, v);
  return other;
}

/** Resolves once B's session (or token) cache has heard the database's next auth notification. */
function bHearsNextChange(which: 'sessionCache' | 'tokenCache' = 'sessionCache'): Promise<void> {
  const cache = b.deps[which];
  const original = cache.notified.bind(cache);
  return new Promise((resolve) => {
    cache.notified = (payload) => {
      original(payload);
      cache.notified = original;
      resolve();
    };
  });
}

/** A person signed in on A, with B having served (and kept) their session. */
async function signedInOnBoth(name: string) {
  const person = await createPerson(a, name, { verified: true });
  const browser = await signedIn(a, person.email);
  const remote = onB(browser);
  expect((await remote.get('/vps')).status).toBe(200);
  expect((await remote.get('/vps')).status).toBe(200);
  return { person, browser, remote };
}

describe('session cache across instances', () => {
  it('is used: B keeps the session it served', async () => {
    await signedInOnBoth('Kept Kim');
    expect(b.deps.sessionCache.active).toBe(true);
    expect(b.deps.sessionCache.size).toBeGreaterThan(0);
  });

  it('a session revoked through A is refused by B', async () => {
    const { person, remote } = await signedInOnBoth('Revoked Rita');
    const heard = bHearsNextChange();
    await a.db.deleteFrom('sessions').where('user_id', '=', person.id).execute();
    await heard;
    const res = await remote.get('/vps');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toMatch(/^\/login/);
  });

  it("a role's permissions changed through A apply on B", async () => {
    const { person, remote } = await signedInOnBoth('Role Rob');
    const member = await a.db
      .selectFrom('organization_members')
      .select('role_id')
      .where('user_id', '=', person.id)
      .where('organization_id', '=', person.organization.id)
      .executeTakeFirstOrThrow();
    const heard = bHearsNextChange();
    await a.db
      .updateTable('roles')
      .set({ permissions: ['billing_view'] })
      .where('id', '=', member.role_id)
      .execute();
    await heard;
    expect((await remote.get('/vps')).status).toBe(403);
  });

  it('a member removed through A loses the organization on B', async () => {
    const { person, remote } = await signedInOnBoth('Removed Ray');
    const heard = bHearsNextChange();
    await a.db.deleteFrom('organization_members').where('user_id', '=', person.id).execute();
    await heard;
    expect((await remote.get('/vps')).status).not.toBe(200);
  });

  it('a user suspended through A is signed out on B', async () => {
    const { person, remote } = await signedInOnBoth('Suspended Sue');
    const heard = bHearsNextChange();
    await a.db.updateTable('users').set({ status: 'suspended' }).where('id', '=', person.id).execute();
    await heard;
    const res = await remote.get('/vps');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toMatch(/^\/login/);
  });

  it('the instance that made the change refuses at once, without waiting for the notification', async () => {
    const { person, browser } = await signedInOnBoth('Local Lou');
    expect((await browser.get('/vps')).status).toBe(200);
    // Inside a transaction: forgotten when it commits.
    await a.db.transaction().execute(async (trx) => {
      await trx.updateTable('users').set({ status: 'suspended' }).where('id', '=', person.id).execute();
    });
    const res = await browser.get('/vps');
    expect(res.status).toBe(303);
  });

  it('while B is not listening, it reads every session from the database', async () => {
    const { person, remote } = await signedInOnBoth('Unheard Uma');
    b.deps.sessionCache.setListening(false);
    try {
      // No notification can reach a cache that is off: B must still refuse.
      await a.db.deleteFrom('sessions').where('user_id', '=', person.id).execute();
      expect((await remote.get('/vps')).status).toBe(303);
    } finally {
      b.deps.sessionCache.setListening(b.hub.listening);
    }
  });
});

describe('API access token cache across instances', () => {
  async function tokenOnBoth(name: string) {
    const person = await createPerson(a, name, { verified: true });
    const { token } = await createAccessToken(
      a.db,
      a.config,
      person.id,
      { ip: '127.0.0.1', userAgent: null },
      a.clock.now(),
    );
    const call = (ctx: TestContext) =>
      ctx.app.request('/api/v1/vps', { headers: { authorization: `Bearer ${token}` } });
    expect((await call(b)).status).toBe(200);
    expect((await call(b)).status).toBe(200);
    expect(b.deps.tokenCache.size).toBeGreaterThan(0);
    return { person, call };
  }

  it('a token revoked through A is refused by B', async () => {
    const { person, call } = await tokenOnBoth('Token Tara');
    const heard = bHearsNextChange('tokenCache');
    await a.db
      .updateTable('access_tokens')
      .set({ revoked_at: a.clock.now() })
      .where('user_id', '=', person.id)
      .execute();
    await heard;
    expect((await call(b)).status).toBe(401);
    expect((await call(a)).status).toBe(401);
  });

  it("a role's permissions changed through A apply to B's API", async () => {
    const { person, call } = await tokenOnBoth('Token Theo');
    const heard = bHearsNextChange('tokenCache');
    await a.db
      .updateTable('roles')
      .set({ permissions: ['billing_view'] })
      .where('organization_id', '=', person.organization.id)
      .execute();
    await heard;
    expect((await call(b)).status).toBe(403);
  });

  it("a suspended user's token is refused by B", async () => {
    const { person, call } = await tokenOnBoth('Token Tess');
    const heard = bHearsNextChange('tokenCache');
    await a.db.updateTable('users').set({ status: 'suspended' }).where('id', '=', person.id).execute();
    await heard;
    expect((await call(b)).status).toBe(401);
  });
});
