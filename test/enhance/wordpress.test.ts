import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hostedSite, rejection, startWorld, type World } from './helpers.ts';

describe('Enhance client and emulator: WordPress (asynchronous install)', () => {
  let w: World;
  beforeEach(async () => {
    w = await startWorld({ jobMs: 3_600_000 });
  });
  afterEach(async () => {
    await w.emu.close();
  });

  const site = () => hostedSite(w);
  const install = { adminUsername: 'siteadmin', adminPassword: 'Wp-Admin-Pass-1', adminEmail: 'admin@wp.test' };

  it('installs WordPress asynchronously, then lists users and plugins, mints admin SSO links and updates plugins', async () => {
    const { client, orgId, siteId } = await site();
    const appId = await client.installWordPress(orgId, siteId, install);
    expect(await client.listApps(orgId, siteId)).toEqual([
      {
        id: appId,
        app: 'wordpress',
        path: '',
        version: expect.any(String),
        defaultWpUserId: null,
        installStatus: 'started',
      },
    ]);
    expect(await rejection(client.listWpUsers(orgId, siteId, appId))).toMatchObject({
      status: 409,
      detail: 'installing',
    });

    w.emu.finishJobs();
    expect((await client.listApps(orgId, siteId))[0]).toMatchObject({
      installStatus: 'successful',
      defaultWpUserId: 1,
    });
    expect(await client.listWpUsers(orgId, siteId, appId)).toEqual([
      { id: 1, login: 'siteadmin', email: 'admin@wp.test', role: 'administrator' },
    ]);
    const a = await client.wpUserSsoUrl(orgId, siteId, appId, 1);
    expect(a).not.toBe(await client.wpUserSsoUrl(orgId, siteId, appId, 1));
    expect(a).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/wp-sso\//);

    const plugins = await client.listWpPlugins(orgId, siteId, appId);
    const akismet = plugins.find((p) => p.name === 'akismet')!;
    expect(akismet).toMatchObject({ version: '5.3.3', update: '5.3.5', status: 'inactive' });
    await client.upgradeWpPlugin(orgId, siteId, appId, 'akismet');
    await client.updateWpPlugin(orgId, siteId, appId, 'akismet', { status: 'active', autoUpdate: 'enabled' });
    expect((await client.listWpPlugins(orgId, siteId, appId)).find((p) => p.name === 'akismet')).toEqual({
      name: 'akismet',
      version: '5.3.5',
      update: null,
      status: 'active',
      autoUpdate: 'enabled',
    });
    expect(
      await rejection(client.updateWpPlugin(orgId, siteId, appId, 'akismet', { status: 'on' as never })),
    ).toMatchObject({
      status: 400,
    });
    expect(JSON.stringify(w.emu.requests())).not.toContain('Wp-Admin-Pass-1');

    await client.deleteApp(orgId, siteId, appId);
    expect(await client.listApps(orgId, siteId)).toEqual([]);
  });

  it('reports a failed install, and refuses weak admin passwords and a second app at the same path', async () => {
    const { client, orgId, siteId } = await site();
    expect(
      await rejection(client.installWordPress(orgId, siteId, { ...install, adminPassword: 'short' })),
    ).toMatchObject({
      status: 400,
      detail: 'adminPassword',
    });
    w.emu.failNextJobs();
    const appId = await client.installWordPress(orgId, siteId, install);
    expect(await rejection(client.installWordPress(orgId, siteId, install))).toMatchObject({ status: 409 });
    w.emu.finishJobs();
    expect((await client.listApps(orgId, siteId))[0]!.installStatus).toBe('failed');
    expect(await rejection(client.listWpPlugins(orgId, siteId, appId))).toMatchObject({
      status: 409,
      detail: 'failed',
    });
  });
});
