import { describe, expect, it } from 'vitest';
import { activityOf, everythingStored, liveService, useDataWorld } from './data-helpers.ts';

const w = useDataWorld();
const SECRET = 'Db-User-Secret-5521';
const WP_SECRET = 'Wp-Admin-Secret-9034';

describe('databases tab', () => {
  it('creates a database and a user, grants, changes the password, opens phpMyAdmin, deletes', async () => {
    const s = await liveService(w, w.olive.orgId);
    const b = w.olive.browser;
    await b.get(`/hosting/${s.id}/databases`);
    expect((await b.post(`/hosting/${s.id}/databases`, { name: 'shop_db' })).status).toBe(303);
    expect((await b.post(`/hosting/${s.id}/database-users`, { username: 'shop_user', password: SECRET })).status).toBe(
      303,
    );
    const grant = await b.post(`/hosting/${s.id}/database-grants`, {
      username: 'shop_user',
      database: 'shop_db',
      privileges: 'SELECT',
    });
    expect(grant.status).toBe(303);
    expect((await w.panel.listMysqlUsers(s.orgId, s.websiteId))[0]!.grants).toEqual({ shop_db: ['SELECT'] });
    await b.get(`/hosting/${s.id}/databases`);
    expect(b.lastHtml).toContain('shop_user now has SELECT on shop_db.');
    expect(b.lastHtml).toContain('data-database="shop_db"');
    expect(b.lastHtml).toContain('<span class="font-mono">shop_db</span>: SELECT');
    const NEW = 'Db-User-Other-6612';
    expect((await b.post(`/hosting/${s.id}/database-users/shop_user/password`, { password: NEW })).status).toBe(303);

    const sso = await b.post(`/hosting/${s.id}/databases/shop_db/phpmyadmin`);
    expect(sso.status).toBe(303);
    const url = sso.headers.get('location')!;
    expect(url).toContain('/phpmyadmin/sso?db=shop_db&otp=');
    const otp = new URL(url).searchParams.get('otp')!;

    expect((await b.post(`/hosting/${s.id}/database-users/shop_user/deletion`)).status).toBe(303);
    expect((await b.post(`/hosting/${s.id}/databases/shop_db/deletion`)).status).toBe(303);
    expect(await w.panel.listMysqlDbs(s.orgId, s.websiteId)).toEqual([]);
    expect(await w.panel.listMysqlUsers(s.orgId, s.websiteId)).toEqual([]);

    const stored = await everythingStored(w);
    for (const secret of [SECRET, NEW, otp]) expect(stored).not.toContain(secret);
    expect((await activityOf(w, s.id)).map((a) => a.action).sort()).toEqual(
      [
        'hosting.database_created',
        'hosting.database_user_created',
        'hosting.database_grants_set',
        'hosting.database_user_password_changed',
        'hosting.phpmyadmin_opened',
        'hosting.database_user_deleted',
        'hosting.database_deleted',
      ].sort(),
    );
  });

  it('refuses bad names, short passwords, unknown privileges (422 on the tab) and a plan limit clearly', async () => {
    const s = await liveService(w, w.olive.orgId);
    const b = w.olive.browser;
    await b.get(`/hosting/${s.id}/databases`);
    expect((await b.post(`/hosting/${s.id}/databases`, { name: 'Shop-DB' })).status).toBe(422);
    expect(b.lastHtml).toContain('Use 1 to 64 lower-case letters, digits, underscores or dollar signs.');
    expect(b.lastHtml).toContain('value="Shop-DB"');
    expect(
      (await b.post(`/hosting/${s.id}/database-users`, { username: 'u'.repeat(33), password: 'short' })).status,
    ).toBe(422);
    expect(b.lastHtml).toContain('Use 1 to 32 lower-case');
    expect(b.lastHtml).toContain('Use at least 10 characters.');
    await b.post(`/hosting/${s.id}/databases`, { name: 'one' });
    await b.post(`/hosting/${s.id}/database-users`, { username: 'u1', password: SECRET });
    expect(
      (
        await b.post(`/hosting/${s.id}/database-grants`, {
          username: 'u1',
          database: 'one',
          privileges: 'DROP EVERYTHING',
        })
      ).status,
    ).toBe(422);
    expect(b.lastHtml).toContain('Choose privileges from the list.');
    expect(
      (await b.post(`/hosting/${s.id}/database-grants`, { username: 'u1', database: 'nope', privileges: 'ALL' }))
        .status,
    ).toBe(422);
    expect(b.lastHtml).toContain('Choose one of this website’s databases.');
    await b.post(`/hosting/${s.id}/databases`, { name: 'two' });
    expect((await b.post(`/hosting/${s.id}/databases`, { name: 'three' })).status).toBe(422);
    expect(b.lastHtml).toContain('The hosting plan’s limit for this has been reached (mysqlDbs).');
    expect((await w.panel.listMysqlDbs(s.orgId, s.websiteId)).map((d) => d.name).sort()).toEqual(['one', 'two']);
  });

  it('lets a viewer read but not change; another organization gets 404', async () => {
    const s = await liveService(w, w.olive.orgId);
    expect((await w.vera.browser.get(`/hosting/${s.id}/databases`)).status).toBe(200);
    expect(w.vera.browser.lastHtml).not.toContain('data-testid="database-form"');
    expect((await w.vera.browser.post(`/hosting/${s.id}/databases`, { name: 'x' })).status).toBe(403);
    expect((await w.gus.browser.get(`/hosting/${s.id}/databases`)).status).toBe(404);
    expect((await w.gus.browser.post(`/hosting/${s.id}/databases`, { name: 'x' })).status).toBe(404);
    expect(await w.panel.listMysqlDbs(s.orgId, s.websiteId)).toEqual([]);
  });
});

describe('WordPress tab', () => {
  it('installs with the credentials the customer chose, shows progress, and ends done when the panel says so', async () => {
    const s = await liveService(w, w.olive.orgId);
    const b = w.olive.browser;
    await b.get(`/hosting/${s.id}/wordpress`);
    const res = await b.post(`/hosting/${s.id}/wordpress`, {
      admin_username: 'ada',
      admin_password: WP_SECRET,
      admin_email: 'ada@shop.test',
      path: '',
    });
    expect(res.status).toBe(303);
    await b.get(`/hosting/${s.id}/wordpress`);
    expect(b.lastHtml).toContain('data-running="true"');
    expect(b.lastHtml).toContain('every 3s');
    expect(b.lastHtml).toContain('Installing…');
    const [op] = await w.ctx.db.selectFrom('hosting_operations').selectAll().where('service_id', '=', s.id).execute();
    expect(op).toMatchObject({ kind: 'wordpress_install', status: 'running', label: '/' });

    w.emu.finishJobs();
    // Within the poll interval nobody asks the panel again; after it, the next read ends it.
    await b.get(`/hosting/${s.id}/wordpress`);
    expect(
      (await w.ctx.db.selectFrom('hosting_operations').select('status').where('id', '=', op!.id).executeTakeFirst())!
        .status,
    ).toBe('running');
    w.ctx.clock.advance(5_000);
    await b.get(`/hosting/${s.id}/wordpress`);
    expect(b.lastHtml).toContain('data-running="false"');
    expect(b.lastHtml).not.toContain('every 3s');
    expect(b.lastHtml).toContain('data-status="done"');
    expect(b.lastHtml).toContain('data-plugin="akismet"');
    const done = await w.ctx.db
      .selectFrom('hosting_operations')
      .selectAll()
      .where('id', '=', op!.id)
      .executeTakeFirstOrThrow();
    expect(done.status).toBe('done');
    expect(done.finished_at).not.toBeNull();

    // Plugins: update (akismet has one), activate, deactivate.
    const app = (await w.panel.listApps(s.orgId, s.websiteId))[0]!;
    const plugin = (name: string, action: string) =>
      b.post(`/hosting/${s.id}/wordpress/${app.id}/plugins/${name}`, { action });
    expect((await plugin('akismet', 'update')).status).toBe(303);
    expect((await plugin('akismet', 'activate')).status).toBe(303);
    expect((await plugin('litespeed-cache', 'deactivate')).status).toBe(303);
    const plugins = await w.panel.listWpPlugins(s.orgId, s.websiteId, app.id);
    expect(plugins.find((p) => p.name === 'akismet')).toMatchObject({
      version: '5.3.5',
      update: null,
      status: 'active',
    });
    expect(plugins.find((p) => p.name === 'litespeed-cache')?.status).toBe('inactive');
    expect((await plugin('akismet', 'update')).status).toBe(409);
    expect(b.lastHtml).toContain('akismet is already up to date.');

    const sso = await b.post(`/hosting/${s.id}/wordpress/${app.id}/admin`);
    expect(sso.status).toBe(303);
    const otp = new URL(sso.headers.get('location')!).searchParams.get('otp')!;
    expect(otp).toBeTruthy();
    const stored = await everythingStored(w);
    expect(stored).not.toContain(WP_SECRET);
    expect(stored).not.toContain(otp);
    const actions = (await activityOf(w, s.id)).map((a) => a.action);
    expect(actions.filter((a) => a === 'hosting.wordpress_installed')).toHaveLength(1);
    expect(actions).toContain('hosting.wordpress_install_started');
    expect(actions).toContain('hosting.wordpress_admin_opened');
    expect(actions.filter((a) => a === 'hosting.wordpress_plugin_changed')).toHaveLength(3);
  });

  it('ends a failed install failed, once, with a message', async () => {
    const s = await liveService(w, w.olive.orgId);
    const b = w.olive.browser;
    await b.get(`/hosting/${s.id}/wordpress`);
    w.emu.failNextJobs();
    await b.post(`/hosting/${s.id}/wordpress`, {
      admin_username: 'ada',
      admin_password: WP_SECRET,
      admin_email: 'ada@shop.test',
      path: 'blog',
    });
    w.emu.finishJobs();
    w.ctx.clock.advance(5_000);
    // Two readers at once: the operation ends once.
    await Promise.all([b.get(`/hosting/${s.id}/wordpress`), w.vera.browser.get(`/hosting/${s.id}/wordpress`)]);
    await b.get(`/hosting/${s.id}/wordpress`);
    expect(b.lastHtml).toContain('data-status="failed"');
    expect(b.lastHtml).toContain('The WordPress installation failed.');
    expect((await activityOf(w, s.id)).filter((a) => a.action === 'hosting.wordpress_install_failed')).toHaveLength(1);
  });

  it('refuses bad admin credentials with the form again (422), never showing the password', async () => {
    const s = await liveService(w, w.olive.orgId);
    const b = w.olive.browser;
    await b.get(`/hosting/${s.id}/wordpress`);
    const res = await b.post(`/hosting/${s.id}/wordpress`, {
      admin_username: 'admin',
      admin_password: 'short-pw',
      admin_email: 'nope',
      path: '../etc',
    });
    expect(res.status).toBe(422);
    expect(b.lastHtml).toContain('not “admin”');
    expect(b.lastHtml).toContain('Use at least 10 characters.');
    expect(b.lastHtml).toContain('Enter a valid email address.');
    expect(b.lastHtml).toContain('Leave empty for the site itself');
    expect(b.lastHtml).not.toContain('short-pw');
    expect(await w.panel.listApps(s.orgId, s.websiteId)).toEqual([]);
    expect(
      (
        await w.vera.browser.post(`/hosting/${s.id}/wordpress`, {
          admin_username: 'ada',
          admin_password: WP_SECRET,
          admin_email: 'a@b.test',
        })
      ).status,
    ).toBe(403);
    expect(await w.panel.listApps(s.orgId, s.websiteId)).toEqual([]);
  });
});
