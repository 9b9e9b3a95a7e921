import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from 'otplib';
import { beginTotpSetup, confirmTotpSetup } from '../../src/domain/accounts/two-factor.ts';
import { apiClient, tokenFor } from '../api/client.ts';
import { PASSWORD, signedIn } from '../helpers/people.ts';
import { usd } from '../helpers/servers.ts';
import type { TestBrowser } from '../helpers/browser.ts';
import { balanceOf, customer, serverRow, serverWorld, settle, type ServerWorld } from './helpers.ts';

let world: ServerWorld;
beforeAll(async () => {
  world = await serverWorld();
});
afterAll(async () => {
  await world?.close();
});

/** Creates a server through the create form (every choice at once, as the review step sends them); returns its id. */
async function createVia(b: TestBrowser, fields: Record<string, string> = {}) {
  const res = await b.post('/vps', {
    label: `srv-${Math.random().toString(36).slice(2, 8)}`,
    region: 'us-east',
    plan_id: world.catalogue.plans.small.id,
    image: 'debian12',
    password_mode: 'generate',
    ...fields,
  });
  expect(res.status, b.lastHtml.slice(0, 500)).toBe(303);
  return res.headers.get('location')!.split('/')[2]!;
}

const totp = (secret: string, steps = 0) =>
  generate({ secret, epoch: (Math.floor(world.ctx.clock.now().getTime() / 30_000) + steps) * 30 });

describe('the server list', () => {
  it('says there are no servers yet, offers to create one, and says servers are emulated', async () => {
    const b = await signedIn(world.ctx, (await customer(world, 'Nina New')).email);
    const res = await b.get('/vps');
    expect(res.status).toBe(200);
    expect(b.lastHtml).toContain('No servers yet');
    expect(b.lastHtml).toContain('href="/vps/new"');
    expect(b.lastHtml).toContain('data-testid="servers-emulated"');
    expect(b.lastHtml).toContain('sse-connect="/events"');
    expect(b.lastHtml).toContain('hx-trigger="sse:server.status"');
    expect(b.lastHtml).not.toMatch(/linode/i);
  });

  it('lists the servers with their status, searches by label and filters by status and region', async () => {
    const b = await signedIn(world.ctx, (await customer(world, 'Lisa Lister')).email);
    await createVia(b, { label: 'alpha-web' });
    await createVia(b, { label: 'beta-db', region: 'eu-central' });
    await b.get('/vps');
    expect(b.lastHtml).toContain('alpha-web');
    expect(b.lastHtml).toContain('beta-db');
    expect(b.lastHtml).toContain('Provisioning');
    await b.get('/vps?q=alpha');
    expect(b.lastHtml).toContain('alpha-web');
    expect(b.lastHtml).not.toContain('beta-db');
    await b.get('/vps?region=eu-central');
    expect(b.lastHtml).not.toContain('alpha-web');
    expect(b.lastHtml).toContain('beta-db');
    await settle(world);
    // The rows region alone, as the event stream's refresh asks for it.
    const rows = await b.get('/vps', { 'hx-request': 'true', 'hx-target': 'server-rows' });
    expect(rows.status).toBe(200);
    expect(b.lastHtml.trimStart()).toMatch(/^<%?\/?|<div id="server-rows"/);
    expect(b.lastHtml).toContain('Running');
    expect(b.lastHtml).not.toContain('<html');
    const bad = await b.get('/vps?status=exploded');
    expect(bad.status).toBe(422);
    expect(b.lastHtml).toContain('Choose a status from the list.');
  });
});

describe('the server page', () => {
  it('shows specs, price, cost this month, addresses once provisioned, graphs or "no data yet", and the live summary', async () => {
    const b = await signedIn(world.ctx, (await customer(world, 'Sam Specs')).email);
    const id = await createVia(b, { label: 'specs-1' });
    await settle(world);
    const res = await b.get(`/vps/${id}`);
    expect(res.status).toBe(200);
    const html = b.lastHtml;
    expect(html).toContain('specs-1');
    expect(html).toContain('Running');
    expect(html).toContain('1 vCPU · 2 GB · 50 GB disk · 2000 GB transfer');
    expect(html).toContain('$0.0205/hour · $15.00/month');
    expect(html).toContain('data-testid="server-cost">$0.0205');
    const row = await serverRow(world, id);
    expect(row.ipv4.length).toBeGreaterThan(0);
    expect(html).toContain(row.ipv4[0]!);
    expect(html).toMatch(/data-testid="graph-cpu(-empty)?"/);
    expect(html).toContain('hx-trigger="sse:server.status"');
    expect(html).not.toMatch(/linode/i);
    const summary = await b.get(`/vps/${id}`, { 'hx-request': 'true', 'hx-target': 'server-summary' });
    expect(summary.status).toBe(200);
    expect(b.lastHtml).toContain('id="server-summary"');
    expect(b.lastHtml).not.toContain('<html');
  });

  it('reboots, shuts down, resets the root password while off, boots and renames, each from its own button', async () => {
    const b = await signedIn(world.ctx, (await customer(world, 'Pia Power')).email);
    const id = await createVia(b, { label: 'power-1' });
    await settle(world);
    const go = async (path: string, form: Record<string, string> = {}) => {
      await b.get(`/vps/${id}`);
      const res = await b.post(`/vps/${id}/${path}`, form);
      expect(res.status, `${path}: ${b.lastHtml.slice(0, 300)}`).toBe(303);
      expect(res.headers.get('location')).toBe(`/vps/${id}`);
      await settle(world);
    };
    await go('reboot');
    expect((await serverRow(world, id)).status).toBe('running');
    await go('shutdown');
    expect((await serverRow(world, id)).status).toBe('offline');
    await b.get(`/vps/${id}`);
    expect(b.lastHtml).toContain('Power on');
    expect(b.lastHtml).toContain('Reset root password');
    await go('password', { password_mode: 'generate' });
    await b.get(`/vps/${id}`);
    expect(b.lastHtml).toMatch(/data-testid="root-password">\S{24}</);
    await go('boot');
    expect((await serverRow(world, id)).status).toBe('running');
    await go('rename', { label: 'power-2' });
    expect((await serverRow(world, id)).label).toBe('power-2');
    const types = (
      await world.ctx.db.selectFrom('server_actions').select('type').where('server_id', '=', id).execute()
    ).map((a) => a.type);
    expect(types).toEqual(expect.arrayContaining(['reboot', 'shutdown', 'reset_password', 'boot', 'rename']));
  });

  it('explains a refused action on the page: a running server cannot have its password reset (422), a bad label stays in the form', async () => {
    const b = await signedIn(world.ctx, (await customer(world, 'Rita Refused')).email);
    const id = await createVia(b, { label: 'refused-1' });
    await settle(world);
    await b.get(`/vps/${id}`);
    const res = await b.post(`/vps/${id}/password`, { password_mode: 'generate' });
    expect([409, 422]).toContain(res.status);
    expect(b.lastHtml).toContain('refused-1');
    const rename = await b.post(`/vps/${id}/rename`, { label: 'bad label!' });
    expect(rename.status).toBe(422);
    expect(b.lastHtml).toContain('value="bad label!"');
  });

  it('says a suspended server is suspended, offers no power button, and refuses to boot it', async () => {
    const b = await signedIn(world.ctx, (await customer(world, 'Sue Suspended')).email);
    const id = await createVia(b, { label: 'suspended-1' });
    await settle(world);
    // Dunning (the next issue) suspends; here the status is set as it would.
    await world.ctx.db.updateTable('servers').set({ status: 'suspended' }).where('id', '=', id).execute();
    await b.get(`/vps/${id}`);
    expect(b.lastHtml).toContain('This server is suspended');
    expect(b.lastHtml).not.toContain(`action="/vps/${id}/boot"`);
    expect(b.lastHtml).not.toContain(`action="/vps/${id}/reboot"`);
    const boot = await b.post(`/vps/${id}/boot`);
    expect([409, 422]).toContain(boot.status);
    expect(b.lastHtml).toContain('data-testid="action-error"');
    expect((await serverRow(world, id)).status).toBe('suspended');
  });

  it('rebuilds with another image (the plan stays) and resizes to another plan sold in the region', async () => {
    const b = await signedIn(world.ctx, (await customer(world, 'Rob Rebuild')).email);
    const id = await createVia(b, { label: 'rebuild-1' });
    await settle(world);
    expect((await b.get(`/vps/${id}/rebuild`)).status).toBe(200);
    expect(b.lastHtml).toContain('Ubuntu 24.04 LTS');
    const rebuilt = await b.post(`/vps/${id}/rebuild`, { image: 'ubuntu24.04', password_mode: 'generate' });
    expect(rebuilt.status).toBe(303);
    await settle(world);
    let row = await serverRow(world, id);
    expect(row.image).toBe('ubuntu24.04');
    expect(row.plan_id).toBe(world.catalogue.plans.small.id);
    await b.get(`/vps/${id}`);
    expect(b.lastHtml).toMatch(/data-testid="root-password">\S{24}</);

    expect((await b.get(`/vps/${id}/resize`)).status).toBe(200);
    expect(b.lastHtml).toContain(world.catalogue.plans.medium.name);
    expect(b.lastHtml).toContain(world.catalogue.plans.dedicated.name);
    const resized = await b.post(`/vps/${id}/resize`, { plan_id: world.catalogue.plans.medium.id });
    expect(resized.status).toBe(303);
    await settle(world);
    row = await serverRow(world, id);
    expect(row.plan_id).toBe(world.catalogue.plans.medium.id);
    const bad = await b.post(`/vps/${id}/resize`, { plan_id: '' });
    expect(bad.status).toBe(422);
    expect(b.lastHtml).toContain('Resize rebuild-1');
  });

  it('enables backups, takes a snapshot, schedules, and cancels them', async () => {
    const b = await signedIn(world.ctx, (await customer(world, 'Bea Backup')).email);
    const id = await createVia(b, { label: 'backup-1' });
    await settle(world);
    await b.get(`/vps/${id}`);
    expect(b.lastHtml).toContain('$3.00/month</strong> more');
    expect((await b.post(`/vps/${id}/backups`)).status).toBe(303);
    await settle(world);
    expect((await serverRow(world, id)).backups_enabled).toBe(true);
    await b.get(`/vps/${id}`);
    expect((await b.post(`/vps/${id}/backups/snapshots`, { label: 'before-upgrade' })).status).toBe(303);
    await settle(world);
    await b.get(`/vps/${id}`);
    expect(b.lastHtml).toContain('before-upgrade');
    expect((await b.post(`/vps/${id}/backups/schedule`, { day: 'Monday', window: 'W4' })).status).toBe(303);
    const badSchedule = await b.post(`/vps/${id}/backups/schedule`, { day: 'Funday', window: 'W4' });
    expect(badSchedule.status).toBe(422);
    await b.get(`/vps/${id}`);
    expect((await b.post(`/vps/${id}/backups/cancellation`)).status).toBe(303);
    expect((await serverRow(world, id)).backups_enabled).toBe(false);
  });

  it('sets reverse DNS when the name resolves to the address, and explains when it does not', async () => {
    const b = await signedIn(world.ctx, (await customer(world, 'Dan Dns')).email);
    const id = await createVia(b, { label: 'dns-1' });
    await settle(world);
    const ip = (await serverRow(world, id)).ipv4[0]!;
    world.cloud.emu.setResolvableNames({ 'mail.example.com': ip });
    await b.get(`/vps/${id}`);
    const ok = await b.post(`/vps/${id}/reverse-dns`, { address: ip, name: 'mail.example.com' });
    expect(ok.status, b.lastHtml.slice(0, 300)).toBe(303);
    await b.get(`/vps/${id}`);
    expect(b.lastHtml).toContain('value="mail.example.com"');
    const refused = await b.post(`/vps/${id}/reverse-dns`, { address: ip, name: 'nowhere.example.com' });
    expect(refused.status).toBe(422);
    expect(b.lastHtml).toContain('value="nowhere.example.com"');
    expect(b.lastHtml).not.toMatch(/linode/i);
    const foreignIp = await b.post(`/vps/${id}/reverse-dns`, { address: '192.0.2.99', name: 'x.example.com' });
    expect(foreignIp.status).toBe(404);
  });
});

describe('deleting a server in the browser', () => {
  it('needs the password, deletes, refunds the unused minutes of the hour, and the server then reads as deleted', async () => {
    const della = await customer(world, 'Della Delete');
    const b = await signedIn(world.ctx, della.email);
    const id = await createVia(b, { label: 'delete-1' });
    await settle(world);
    const afterCreate = await balanceOf(world, della.organization.id);
    expect((await b.get(`/vps/${id}/delete`)).status).toBe(200);
    expect(b.lastHtml).not.toContain('name="code"');
    const wrong = await b.post(`/vps/${id}/delete`, { password: 'not my password' });
    expect(wrong.status).toBe(422);
    expect(b.lastHtml).toContain('That password is not right.');
    expect((await serverRow(world, id)).status).not.toBe('deleted');
    const res = await b.post(`/vps/${id}/delete`, { password: PASSWORD });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/vps');
    await settle(world);
    expect(['deleting', 'deleted']).toContain((await serverRow(world, id)).status);
    expect(await balanceOf(world, della.organization.id)).toBeGreaterThanOrEqual(afterCreate);
    await b.get('/vps');
    expect(b.lastHtml).not.toContain(`href="/vps/${id}"`);
  });

  it('also needs a current code when two-factor is on', async () => {
    const tom = await customer(world, 'Tom Totp');
    const { secret } = await beginTotpSetup(world.ctx.deps, tom.id, PASSWORD);
    await confirmTotpSetup(world.ctx.deps, tom.id, await totp(secret));
    const b = await signedIn(world.ctx, tom.email);
    // Sign-in's second step.
    const two = await b.post('/login/two-factor', { code: await totp(secret, 1) });
    expect(two.status).toBe(303);
    await b.get('/vps');
    const id = await createVia(b, { label: 'totp-1' });
    await b.get(`/vps/${id}/delete`);
    expect(b.lastHtml).toContain('name="code"');
    const noCode = await b.post(`/vps/${id}/delete`, { password: PASSWORD });
    expect(noCode.status).toBe(422);
    expect(b.lastHtml).toContain('Enter the code from your authenticator app.');
    world.ctx.clock.advance(60_000);
    const ok = await b.post(`/vps/${id}/delete`, { password: PASSWORD, code: await totp(secret) });
    expect(ok.status, b.lastHtml.slice(0, 400)).toBe(303);
  });
});

describe('another organization’s server', () => {
  it('is 404 on every page and action', async () => {
    const owner = await signedIn(world.ctx, (await customer(world, 'Fred Foreign')).email);
    const id = await createVia(owner, { label: 'foreign-1' });
    await settle(world);
    const ip = (await serverRow(world, id)).ipv4[0]!;
    const stranger = await signedIn(world.ctx, (await customer(world, 'Sly Stranger')).email);
    await stranger.get('/vps');
    for (const path of ['', '/rebuild', '/resize', '/delete'])
      expect((await stranger.get(`/vps/${id}${path}`)).status, `GET ${path}`).toBe(404);
    const posts: Array<[string, Record<string, string>]> = [
      ['/boot', {}],
      ['/shutdown', {}],
      ['/reboot', {}],
      ['/rename', { label: 'mine-now' }],
      ['/password', { password_mode: 'generate' }],
      ['/rebuild', { image: 'debian12' }],
      ['/resize', { plan_id: world.catalogue.plans.medium.id }],
      ['/backups', {}],
      ['/backups/cancellation', {}],
      ['/backups/schedule', { day: 'Monday', window: 'W4' }],
      ['/backups/snapshots', { label: 'x' }],
      ['/restores', { backup_id: '123' }],
      ['/reverse-dns', { address: ip, name: 'x.example.com' }],
      ['/delete', { password: PASSWORD }],
    ];
    for (const [path, form] of posts)
      expect((await stranger.post(`/vps/${id}${path}`, form)).status, `POST ${path}`).toBe(404);
    expect(stranger.lastHtml).not.toContain('foreign-1');
    const row = await serverRow(world, id);
    expect(row).toMatchObject({ label: 'foreign-1', status: 'running', backups_enabled: false });
  });

  it('an unknown or malformed id is 404 too', async () => {
    const b = await signedIn(world.ctx, (await customer(world, 'Mal Formed')).email);
    expect((await b.get('/vps/not-a-uuid')).status).toBe(404);
    expect((await b.get('/vps/00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });
});

describe('permissions', () => {
  it('a viewer sees the server without action buttons, and every action route refuses them (403)', async () => {
    const owner = await customer(world, 'Owen Owner');
    const ob = await signedIn(world.ctx, owner.email);
    const id = await createVia(ob, { label: 'viewed-1' });
    await settle(world);
    const viewer = await customer(world, 'Val Viewer', 0n);
    const role = await world.ctx.db
      .selectFrom('roles')
      .select('id')
      .where('organization_id', '=', owner.organization.id)
      .where('name', '=', 'viewer')
      .executeTakeFirstOrThrow();
    await world.ctx.db
      .insertInto('organization_members')
      .values({ organization_id: owner.organization.id, user_id: viewer.id, role_id: role.id })
      .execute();
    await world.ctx.db
      .updateTable('users')
      .set({ active_organization_id: owner.organization.id })
      .where('id', '=', viewer.id)
      .execute();
    const vb = await signedIn(world.ctx, viewer.email);
    expect((await vb.get(`/vps/${id}`)).status).toBe(200);
    expect(vb.lastHtml).toContain('viewed-1');
    expect(vb.lastHtml).not.toContain(`action="/vps/${id}/reboot"`);
    expect(vb.lastHtml).not.toContain(`href="/vps/${id}/delete"`);
    for (const path of ['/reboot', '/shutdown', '/backups', '/rename'])
      expect((await vb.post(`/vps/${id}${path}`, { label: 'x' })).status, path).toBe(403);
    expect((await vb.get(`/vps/${id}/delete`)).status).toBe(403);
    expect((await vb.post(`/vps/${id}/delete`, { password: PASSWORD })).status).toBe(403);
    expect((await serverRow(world, id)).status).toBe('running');
    expect(usd(1)).toBe(1_000_000n);
  });
});

describe('a provider that cannot be reached', () => {
  it('leaves the page readable with white-label words, and refuses actions with 503, never a 500', async () => {
    const owner = await customer(world, 'Una Unreachable');
    const provider = await world.ctx.db
      .insertInto('cloud_providers')
      .values({
        kind: 'linode',
        name: 'Tokenless',
        emulated: false,
        base_url: null,
        token_ciphertext: null,
        health: 'ok',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const server = await world.ctx.db
      .insertInto('servers')
      .values({
        organization_id: owner.organization.id,
        provider_id: provider.id,
        provider_instance_id: '424242',
        label: 'cut-off',
        status: 'running',
        region: 'us-east',
        plan_id: world.catalogue.plans.small.id,
        image: 'private/debian12',
        create_tag: `sp-test-${Date.now()}`,
        created_by: owner.id,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const b = await signedIn(world.ctx, owner.email);
    const res = await b.get(`/vps/${server.id}`);
    expect(res.status).toBe(200);
    expect(b.lastHtml).toContain('Servers cannot be managed right now.');
    expect(b.lastHtml).not.toMatch(/linode|API token/i);
    const reboot = await b.post(`/vps/${server.id}/reboot`);
    expect(reboot.status).toBe(503);
    expect(b.lastHtml).toContain('Servers cannot be managed right now.');
    const ip = '198.51.100.77';
    const token = await tokenFor(world.ctx, owner.email, ip);
    const api = apiClient(world.ctx, ip);
    for (const path of ['ips']) {
      const res = await api('GET', `/vps/${server.id}/${path}`, { token });
      expect(res.status, path).toBe(503);
      expect(res.body.error.message).toBe('Servers cannot be managed right now. Please try again later.');
    }
    expect((await api('POST', `/vps/${server.id}/actions`, { token, body: { type: 'reboot' } })).status).toBe(503);
  });
});
