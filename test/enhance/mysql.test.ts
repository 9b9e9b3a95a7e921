import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hostedSite, rejection, startWorld, type World } from './helpers.ts';

describe('Enhance client and emulator: MySQL', () => {
  let w: World;
  beforeEach(async () => {
    w = await startWorld();
  });
  afterEach(async () => {
    await w.emu.close();
  });

  it('creates databases within the plan, users with grants, changes passwords, and mints phpMyAdmin links', async () => {
    const { client, orgId, siteId } = await hostedSite(w, 'db-site.test');

    await client.createMysqlDb(orgId, siteId, 'shop');
    expect(w.emu.requests().at(-1)).toMatchObject({ method: 'POST', status: 201 });
    expect(await rejection(client.createMysqlDb(orgId, siteId, 'shop'))).toMatchObject({ status: 409 });
    expect(await rejection(client.createMysqlDb(orgId, siteId, 'Bad-Name'))).toMatchObject({
      status: 400,
      detail: 'name',
    });
    await client.createMysqlDb(orgId, siteId, 'blog');
    // Starter allows two databases.
    expect(await rejection(client.createMysqlDb(orgId, siteId, 'third'))).toMatchObject({
      status: 403,
      detail: 'mysqlDbs',
    });
    expect((await client.listMysqlDbs(orgId, siteId)).map((d) => d.name)).toEqual(['shop', 'blog']);

    await client.createMysqlUser(orgId, siteId, { username: 'shop_rw', password: 'Db-Password-123' });
    await client.grantMysqlUser(orgId, siteId, 'shop_rw', 'shop', ['select', 'insert']);
    expect(await client.listMysqlUsers(orgId, siteId)).toEqual([
      {
        username: 'shop_rw',
        accessHosts: ['localhost'],
        grants: { shop: ['SELECT', 'INSERT'] },
        createdAt: expect.any(String),
      },
    ]);
    expect(await rejection(client.grantMysqlUser(orgId, siteId, 'shop_rw', 'shop', ['GOD_MODE']))).toMatchObject({
      status: 400,
    });
    await client.setMysqlUserPassword(orgId, siteId, 'shop_rw', 'Db-Password-456');
    expect(await rejection(client.setMysqlUserPassword(orgId, siteId, 'nobody', 'Db-Password-456'))).toMatchObject({
      status: 404,
    });

    const a = await client.mysqlSsoUrl(orgId, siteId, 'shop');
    expect(a).not.toBe(await client.mysqlSsoUrl(orgId, siteId, 'shop'));
    expect(a).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/phpmyadmin\/sso\?db=shop&otp=/);

    await client.deleteMysqlDb(orgId, siteId, 'shop');
    expect((await client.listMysqlUsers(orgId, siteId))[0]!.grants).toEqual({});
    await client.deleteMysqlUser(orgId, siteId, 'shop_rw');
    expect(await client.listMysqlUsers(orgId, siteId)).toEqual([]);
    expect(JSON.stringify(w.emu.requests())).not.toMatch(/Db-Password/);
  });
});
