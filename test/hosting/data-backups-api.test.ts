import { describe, expect, it } from 'vitest';
import { pollRunningOperations } from '../../src/domain/hosting/operations.ts';
import { createTestContext } from '../helpers/context.ts';
import { activityOf, everythingStored, liveService, useDataWorld } from './data-helpers.ts';

const w = useDataWorld();
const ops = (serviceId: string) =>
  w.ctx.db
    .selectFrom('hosting_operations')
    .selectAll()
    .where('service_id', '=', serviceId)
    .orderBy('started_at')
    .execute();

describe('backups tab', () => {
  it('takes a backup, shows it running, then done once the panel says so; restores it the same way', async () => {
    const s = await liveService(w, w.olive.orgId);
    const b = w.olive.browser;
    await b.get(`/hosting/${s.id}/backups`);
    expect(b.lastHtml).toContain('No backups yet.');
    expect((await b.post(`/hosting/${s.id}/backups`, { description: 'before the redesign' })).status).toBe(303);
    await b.get(`/hosting/${s.id}/backups`);
    expect(b.lastHtml).toContain('A backup is being taken');
    expect(b.lastHtml).toContain('data-running="true"');
    expect(b.lastHtml).toContain('data-backup-status="running"');
    // A second one while it runs: refused clearly.
    expect((await b.post(`/hosting/${s.id}/backups`, {})).status).toBe(409);
    expect(b.lastHtml).toContain('A backup or restore of this website is running');

    w.emu.finishJobs();
    w.ctx.clock.advance(5_000);
    await b.get(`/hosting/${s.id}/backups`);
    expect(b.lastHtml).toContain('data-running="false"');
    expect(b.lastHtml).toContain('data-backup-status="done"');
    const [backup] = await ops(s.id);
    expect(backup).toMatchObject({ kind: 'backup', status: 'done', label: 'before the redesign' });

    expect((await b.post(`/hosting/${s.id}/backups/${backup!.ref}/restore`)).status).toBe(303);
    const restore = (await ops(s.id)).find((o) => o.kind === 'restore')!;
    expect(restore.status).toBe('running');
    expect((await w.panel.backupInProgress(s.orgId, s.websiteId))?.action).toBe('restore');
    // Ended by the job-side poll (nobody has the page open).
    w.emu.finishJobs();
    w.ctx.clock.advance(5_000);
    expect(await pollRunningOperations(w.ctx.deps, { serviceId: s.id })).toBe(1);
    expect(await pollRunningOperations(w.ctx.deps, { serviceId: s.id })).toBe(0);
    expect((await ops(s.id)).find((o) => o.kind === 'restore')!.status).toBe('done');
    const actions = (await activityOf(w, s.id)).map((a) => a.action).sort();
    expect(actions).toEqual(
      [
        'hosting.backup_started',
        'hosting.backup_finished',
        'hosting.restore_started',
        'hosting.restore_finished',
      ].sort(),
    );
  });

  it('ends a failed backup failed with a message, and refuses to restore it', async () => {
    const s = await liveService(w, w.olive.orgId);
    const b = w.olive.browser;
    await b.get(`/hosting/${s.id}/backups`);
    w.emu.failNextJobs();
    await b.post(`/hosting/${s.id}/backups`, {});
    w.emu.finishJobs();
    w.ctx.clock.advance(5_000);
    await b.get(`/hosting/${s.id}/backups`);
    expect(b.lastHtml).toContain('data-status="failed"');
    expect(b.lastHtml).toContain('The backup failed.');
    const [op] = await ops(s.id);
    expect(op!.status).toBe('failed');
    expect((await b.post(`/hosting/${s.id}/backups/${op!.ref}/restore`)).status).toBe(409);
    expect(b.lastHtml).toContain('This backup failed and cannot be restored.');
    expect((await b.post(`/hosting/${s.id}/backups/999999/restore`)).status).toBe(404);
  });

  it('ends an operation once when two app instances poll it at the same moment', async () => {
    const other = await createTestContext({}, { shareDatabase: { url: w.ctx.url, db: w.ctx.db } });
    try {
      const s = await liveService(w, w.olive.orgId);
      await w.olive.browser.get(`/hosting/${s.id}/backups`);
      await w.olive.browser.post(`/hosting/${s.id}/backups`, {});
      w.emu.finishJobs();
      w.ctx.clock.advance(5_000);
      other.clock.set(w.ctx.clock.now());
      const ended = await Promise.all([
        pollRunningOperations(w.ctx.deps, { serviceId: s.id }),
        pollRunningOperations(other.deps, { serviceId: s.id }),
        pollRunningOperations(other.deps, { serviceId: s.id }),
      ]);
      expect(ended.reduce((a, b) => a + b, 0)).toBe(1);
      expect((await ops(s.id))[0]!.status).toBe('done');
      expect((await activityOf(w, s.id)).filter((a) => a.action === 'hosting.backup_finished')).toHaveLength(1);
    } finally {
      await other.close();
    }
  });

  it('publishes each start and end to the organization’s hosting viewers', async () => {
    const s = await liveService(w, w.olive.orgId);
    const seen: Array<{ topic: string; data: unknown }> = [];
    const unsubscribe = w.ctx.hub.subscribe({
      userId: w.vera.id,
      organizationIds: [w.olive.orgId],
      permissions: { [w.olive.orgId]: ['hosting_view'] },
      isAdmin: false,
      send: (e) => void seen.push({ topic: e.topic, data: e.data }),
    });
    try {
      await w.olive.browser.get(`/hosting/${s.id}/backups`);
      await w.olive.browser.post(`/hosting/${s.id}/backups`, {});
      w.emu.finishJobs();
      w.ctx.clock.advance(5_000);
      await w.olive.browser.get(`/hosting/${s.id}/backups`);
      await expect.poll(() => seen.filter((e) => e.topic === 'hosting.operation').length, { timeout: 5_000 }).toBe(2);
      expect(seen.map((e) => (e.data as { status: string }).status)).toEqual(['running', 'done']);
      expect(seen.every((e) => (e.data as { service_id: string }).service_id === s.id)).toBe(true);
    } finally {
      unsubscribe();
    }
  });
});

describe('JSON API', () => {
  const call = (method: string, path: string, token: string, body?: unknown, headers?: Record<string, string>) =>
    w.api(method, `/hosting/services${path}`, { token, body, headers });

  it('serves email: create (Idempotency-Key honoured, password never answered or kept), change, sign in, delete', async () => {
    const s = await liveService(w, w.olive.orgId);
    const t = w.olive.token;
    const PW = 'Api-Mailbox-Secret-4410';
    const body = { kind: 'mailbox', local_part: 'api', domain: s.domain, password: PW, quota_mb: 300 };
    const made = await call('POST', `/${s.id}/email`, t, body, { 'idempotency-key': `k-${s.id}` });
    expect(made.status).toBe(201);
    expect(made.body).toEqual({
      address: `api@${s.domain}`,
      kind: 'mailbox',
      quota_mb: 300,
      usage_mb: 0,
      forward_to: [],
      is_catch_all: false,
      status: 'active',
    });
    const again = await call('POST', `/${s.id}/email`, t, body, { 'idempotency-key': `k-${s.id}` });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await w.panel.listEmails(s.orgId, s.websiteId)).toHaveLength(1);
    expect(await everythingStored(w)).not.toContain(PW);

    const list = await call('GET', `/${s.id}/email`, t);
    expect(list.status).toBe(200);
    expect(list.body.data.map((e: { address: string }) => e.address)).toEqual([`api@${s.domain}`]);
    const addr = encodeURIComponent(`api@${s.domain}`);
    const patched = await call('PATCH', `/${s.id}/email/${addr}`, t, { quota_mb: 600, is_catch_all: true });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ quota_mb: 600, is_catch_all: true });
    const bad = await call('PATCH', `/${s.id}/email/${addr}`, t, { password: 'short' });
    expect(bad.status).toBe(422);
    expect(bad.body.error).toMatchObject({
      code: 'validation_failed',
      fields: { password: 'Use at least 10 characters.' },
    });
    const sso = await call('POST', `/${s.id}/email/${addr}/sso`, t);
    expect(sso.status).toBe(200);
    expect(sso.body.url).toMatch(/\/webmail\/sso\?otp=/);
    expect(sso.headers.get('cache-control')).toBe('no-store');
    expect((await call('DELETE', `/${s.id}/email/${addr}`, t)).status).toBe(204);
    expect(await w.panel.listEmails(s.orgId, s.websiteId)).toEqual([]);
    const invalid = await call('POST', `/${s.id}/email`, t, {
      kind: 'mailbox',
      local_part: '!!',
      domain: s.domain,
      password: PW,
    });
    expect(invalid.status).toBe(422);
    expect(Object.keys(invalid.body.error.fields)).toEqual(['local_part']);
  });

  it('serves databases, users and grants, and phpMyAdmin sign-in', async () => {
    const s = await liveService(w, w.olive.orgId);
    const t = w.olive.token;
    expect((await call('POST', `/${s.id}/databases`, t, { name: 'api_db' })).status).toBe(201);
    const user = await call('POST', `/${s.id}/databases/users`, t, {
      username: 'api_user',
      password: 'Api-Db-Secret-7781',
    });
    expect(user.status).toBe(201);
    expect(user.body).toMatchObject({ username: 'api_user', grants: {} });
    const granted = await call('PUT', `/${s.id}/databases/users/api_user/grants`, t, {
      database: 'api_db',
      privileges: ['ALL'],
    });
    expect(granted.status).toBe(200);
    expect(granted.body.grants).toEqual({ api_db: ['ALL'] });
    expect(
      (await call('PATCH', `/${s.id}/databases/users/api_user`, t, { password: 'Api-Db-Other-8891' })).status,
    ).toBe(200);
    expect((await call('GET', `/${s.id}/databases`, t)).body.data.map((d: { name: string }) => d.name)).toEqual([
      'api_db',
    ]);
    expect((await call('GET', `/${s.id}/databases/users`, t)).body.data).toHaveLength(1);
    const sso = await call('POST', `/${s.id}/databases/api_db/sso`, t);
    expect(sso.status).toBe(200);
    expect(sso.body.url).toContain('/phpmyadmin/sso?db=api_db');
    const badName = await call('POST', `/${s.id}/databases`, t, { name: 'Bad-Name' });
    expect(badName.status).toBe(422);
    expect(Object.keys(badName.body.error.fields)).toEqual(['name']);
    expect((await call('DELETE', `/${s.id}/databases/users/api_user`, t)).status).toBe(204);
    expect((await call('DELETE', `/${s.id}/databases/api_db`, t)).status).toBe(204);
    const stored = await everythingStored(w);
    expect(stored).not.toContain('Api-Db-Secret-7781');
    expect(stored).not.toContain('Api-Db-Other-8891');
  });

  it('installs WordPress (202, polled to done), lists and changes plugins, signs in; backs up and restores', async () => {
    const s = await liveService(w, w.olive.orgId);
    const t = w.olive.token;
    const started = await call('POST', `/${s.id}/wordpress`, t, {
      admin_username: 'ada',
      admin_password: 'Api-Wp-Secret-3321',
      admin_email: 'ada@shop.test',
    });
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ kind: 'wordpress_install', status: 'running', finished_at: null });
    expect((await call('GET', `/${s.id}/wordpress/plugins`, t)).status).toBe(409);
    w.emu.finishJobs();
    w.ctx.clock.advance(5_000);
    const wp = await call('GET', `/${s.id}/wordpress`, t);
    expect(wp.body.operations[0]).toMatchObject({ id: started.body.id, status: 'done' });
    expect(wp.body.apps[0]).toMatchObject({ status: 'installed', path: '/' });
    const plugins = await call('GET', `/${s.id}/wordpress/plugins`, t);
    expect(plugins.body.data.map((p: { name: string }) => p.name)).toContain('akismet');
    const changed = await call('PATCH', `/${s.id}/wordpress/plugins/akismet`, t, { action: 'update' });
    expect(changed.body).toMatchObject({ name: 'akismet', version: '5.3.5', update: null });
    const wrong = await call('PATCH', `/${s.id}/wordpress/plugins/akismet`, t, { action: 'explode' });
    expect(wrong.status).toBe(422);
    expect(Object.keys(wrong.body.error.fields)).toEqual(['action']);
    expect((await call('PATCH', `/${s.id}/wordpress/plugins/nope`, t, { action: 'activate' })).status).toBe(404);
    const sso = await call('POST', `/${s.id}/wordpress/sso`, t);
    expect(sso.status).toBe(200);
    expect(sso.body.url).toContain('/wp-sso/');

    const backup = await call('POST', `/${s.id}/backups`, t, { description: 'api' });
    expect(backup.status).toBe(202);
    w.emu.finishJobs();
    w.ctx.clock.advance(5_000);
    const listed = await call('GET', `/${s.id}/backups`, t);
    expect(listed.body.data[0]).toMatchObject({ id: Number(backup.body.ref), status: 'done', description: 'api' });
    expect(listed.body.busy).toBe(false);
    const restore = await call('POST', `/${s.id}/backups/${backup.body.ref}/restore`, t);
    expect(restore.status).toBe(202);
    expect(restore.body).toMatchObject({ kind: 'restore', status: 'running' });
    expect((await call('GET', `/${s.id}/backups`, t)).body.busy).toBe(true);
    expect(await everythingStored(w)).not.toContain('Api-Wp-Secret-3321');
  });

  it('refuses a viewer’s changes (403), answers another organization 404, a service without a website 409', async () => {
    const s = await liveService(w, w.olive.orgId);
    expect((await call('GET', `/${s.id}/email`, w.vera.token)).status).toBe(200);
    expect((await call('POST', `/${s.id}/databases`, w.vera.token, { name: 'x' })).status).toBe(403);
    expect((await call('POST', `/${s.id}/backups`, w.vera.token, {})).status).toBe(403);
    expect((await call('GET', `/${s.id}/email`, w.gus.token)).status).toBe(404);
    expect((await call('POST', `/${s.id}/backups`, w.gus.token, {})).status).toBe(404);
    expect(await w.panel.listMysqlDbs(s.orgId, s.websiteId)).toEqual([]);
    expect(await w.panel.listBackups(s.orgId, s.websiteId)).toEqual([]);
    const pending = await liveService(w, w.olive.orgId, 'provisioning');
    const res = await call('GET', `/${pending.id}/backups`, w.olive.token);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('hosting_no_website');
  });

  it('answers a panel outage 503 in our words', async () => {
    const s = await liveService(w, w.olive.orgId);
    w.emu.faults.fail('GET', /\/mysql-dbs$/, 500, undefined, 3);
    const res = await call('GET', `/${s.id}/databases`, w.olive.token);
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('hosting_unavailable');
    expect(res.body.error.message).not.toMatch(/enhance/i);
    w.emu.faults.clear();
  });
});
