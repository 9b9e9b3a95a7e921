import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../../src/db/index.ts';
import { getPlatformSettings, updatePlatformSettings } from '../../src/domain/settings/platform.ts';
import { apiClient, tokenFor } from '../api/client.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { staffActor } from './helpers.ts';
import { createPerson, uniqueEmail } from '../helpers/people.ts';

/**
 * Two instances of the app on one database, as behind a load balancer: each keeps the
 * platform settings in memory, and a change saved through one reaches the other through
 * PostgreSQL's NOTIFY (migration 0021's trigger on platform_settings), without a restart.
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

describe('maintenance mode across instances', () => {
  it('switched on through one instance, is enforced by the other at once, and off again likewise', async () => {
    const ada = await createPerson(a, 'Ada Admin', { isAdmin: true, verified: true, email: uniqueEmail('Ada Admin') });
    const bob = await createPerson(a, 'Bob Customer', { verified: true, email: uniqueEmail('Bob Customer') });
    const staff = staffActor(ada.id);
    const onB = apiClient(b, '198.51.100.80');
    const token = await tokenFor(b, bob.email, '198.51.100.80');
    await expect.poll(() => b.deps.cache.active).toBe(true);
    // B has read (and keeps) "no maintenance".
    expect((await getPlatformSettings(b.db, { cache: b.deps.cache })).maintenance.enabled).toBe(false);
    expect((await onB('POST', '/notes', { token, body: { body: 'before' } })).status).toBe(201);

    await updatePlatformSettings(a.deps, staff, { maintenanceEnabled: true });
    await expect
      .poll(async () => (await getPlatformSettings(b.db, { cache: b.deps.cache })).maintenance.enabled)
      .toBe(true);
    expect((await onB('POST', '/notes', { token, body: { body: 'during' } })).status).toBe(503);

    await updatePlatformSettings(a.deps, staff, { maintenanceEnabled: false });
    await expect
      .poll(async () => (await getPlatformSettings(b.db, { cache: b.deps.cache })).maintenance.enabled)
      .toBe(false);
    expect((await onB('POST', '/notes', { token, body: { body: 'after' } })).status).toBe(201);
  });
});
