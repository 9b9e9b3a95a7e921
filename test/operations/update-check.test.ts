import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  RUNNING_VERSION,
  UPDATE_CHECK_TIMEOUT_MS,
  UPDATE_CHECK_TTL_MS,
  checkForUpdate,
  compareVersions,
  forgetUpdateChecks,
  parseFeed,
} from '../../src/domain/operations/update-check.ts';
import { createTestContext, TestClock, type TestContext } from '../helpers/context.ts';
import { createPerson, signedIn, uniqueEmail } from '../helpers/people.ts';

/** A feed server on this machine: what it answers per path, and how many requests it had. */
let server: Server;
let base = '';
let hits = 0;
const answers = new Map<string, { status: number; body: string } | 'hang'>();

beforeAll(async () => {
  server = createServer((req, res) => {
    hits++;
    const a = answers.get(req.url ?? '');
    if (a === 'hang') return; // never answers
    res.writeHead(a?.status ?? 404, { 'content-type': 'application/json' });
    res.end(a?.body ?? '{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  forgetUpdateChecks();
  hits = 0;
});

describe('versions and the feed', () => {
  it('compares versions, a prerelease before its release', () => {
    expect(compareVersions('0.2.0', '0.1.0')).toBe(1);
    expect(compareVersions('0.1.0', '0.1.0')).toBe(0);
    expect(compareVersions('0.10.0', '0.9.9')).toBe(1);
    expect(compareVersions('1.0.0-rc.1', '1.0.0')).toBe(-1);
    expect(compareVersions('v1.2.3', '1.2.3')).toBe(0);
    expect(compareVersions('latest', '1.0.0')).toBeNull();
  });

  it('reads { latest, url, notes }, keeping only http(s) links', () => {
    expect(parseFeed('{"latest":"0.2.0","url":"https://example.com/r/0.2.0","notes":"Faster"}')).toEqual({
      latest: '0.2.0',
      url: 'https://example.com/r/0.2.0',
      notes: 'Faster',
    });
    expect(parseFeed('{"latest":"0.2.0","url":"javascript:alert(1)"}')?.url).toBeNull();
    expect(parseFeed('{"latest":"soon"}')).toBeNull();
    expect(parseFeed('<html>')).toBeNull();
  });

  it('tells a newer release from the current one, keeps the answer for hours, and fails softly', async () => {
    const clock = new TestClock();
    answers.set('/newer.json', { status: 200, body: '{"latest":"9.0.0","url":"https://example.com/9"}' });
    const newer = await checkForUpdate({ feedUrl: `${base}/newer.json`, clock, running: '0.1.0' });
    expect(newer).toMatchObject({
      state: 'available',
      latest: '9.0.0',
      url: 'https://example.com/9',
      running: '0.1.0',
    });
    await checkForUpdate({ feedUrl: `${base}/newer.json`, clock, running: '0.1.0' });
    expect(hits).toBe(1);
    clock.advance(UPDATE_CHECK_TTL_MS + 1000);
    await checkForUpdate({ feedUrl: `${base}/newer.json`, clock, running: '0.1.0' });
    expect(hits).toBe(2);

    answers.set('/same.json', { status: 200, body: '{"latest":"0.1.0"}' });
    expect((await checkForUpdate({ feedUrl: `${base}/same.json`, clock, running: '0.1.0' })).state).toBe('current');
    answers.set('/broken.json', { status: 500, body: 'oops' });
    expect((await checkForUpdate({ feedUrl: `${base}/broken.json`, clock, running: '0.1.0' })).state).toBe('unknown');
    expect((await checkForUpdate({ feedUrl: 'http://127.0.0.1:9/feed.json', clock, running: '0.1.0' })).state).toBe(
      'unknown',
    );
    expect((await checkForUpdate({ feedUrl: undefined, clock, running: '0.1.0' })).state).toBe('off');
  });

  it('gives up on a feed that does not answer within the timeout (3 s in the app)', async () => {
    expect(UPDATE_CHECK_TIMEOUT_MS).toBe(3_000);
    answers.set('/hang.json', 'hang');
    const started = Date.now();
    const s = await checkForUpdate({ feedUrl: `${base}/hang.json`, clock: new TestClock(), timeoutMs: 300 });
    expect(s.state).toBe('unknown');
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

describe('the admin dashboard', () => {
  let ctx: TestContext;
  let offCtx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext({ UPDATE_FEED_URL: `${base}/dashboard.json` });
    offCtx = await createTestContext({}, { shareDatabase: { url: ctx.url, db: ctx.db } });
  });
  afterAll(async () => {
    await offCtx?.close();
    await ctx?.close();
  });

  it('shows the running version and a newer release; the check is off by default; a feed down is no error page', async () => {
    answers.set('/dashboard.json', { status: 200, body: '{"latest":"99.0.0","url":"https://example.com/99"}' });
    const ada = await createPerson(ctx, 'Ada Admin', {
      isAdmin: true,
      verified: true,
      email: uniqueEmail('Ada Admin'),
    });
    const admin = await signedIn(ctx, ada.email);
    expect((await admin.get('/admin')).status).toBe(200);
    expect(admin.lastHtml).toContain(`data-testid="running-version">${RUNNING_VERSION}<`);
    expect(admin.lastHtml).toContain('Version 99.0.0 is available.');
    expect(admin.lastHtml).toContain('href="https://example.com/99"');

    forgetUpdateChecks();
    answers.set('/dashboard.json', { status: 503, body: '' });
    expect((await admin.get('/admin')).status).toBe(200);
    expect(admin.lastHtml).toContain('Could not check for updates');

    const off = await signedIn(offCtx, ada.email);
    expect((await off.get('/admin')).status).toBe(200);
    expect(off.lastHtml).toContain(`data-testid="running-version">${RUNNING_VERSION}<`);
    expect(off.lastHtml).toContain('The update check is off');
  });
});
