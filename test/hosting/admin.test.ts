import { describe, expect, it } from 'vitest';
import { hostingEnabled } from '../../src/domain/hosting/integration.ts';
import { decryptSecret } from '../../src/lib/crypto.ts';
import { addPlan } from '../../src/providers/enhance/emulator/index.ts';
import { hostingActivity, integration, plans, settingsFor, useHostingWorld } from './helpers.ts';

const w = useHostingWorld();
const PAGE = '/admin/hosting';

const put = (form: Record<string, string>) => w.admin.post(`${PAGE}/settings`, form, { method: 'PUT' });
const sync = () => w.admin.post(`${PAGE}/plan-syncs`, {});
const check = () => w.admin.post(`${PAGE}/health-checks`, {});
const editPlan = (id: string, form: Record<string, string>) =>
  w.admin.post(`${PAGE}/plans/${id}`, form, { method: 'PATCH' });
/** The page after a redirect, with its flash message. */
const page = async () => {
  await w.admin.get(PAGE);
  return w.admin.lastHtml;
};

// One integration per database: the tests below run in order, each on what the one before left.
describe('connection settings', () => {
  it('refuses bad input with the form again (422), the input kept, and saves nothing', async () => {
    await w.admin.get(PAGE);
    const res = await put({
      api_url: 'http://panel.example.com',
      master_org_id: 'not-a-uuid',
      default_server_group_id: 'also-not',
      token: '',
    });
    expect(res.status).toBe(422);
    const html = w.admin.lastHtml;
    expect(html).toContain('Use https (http only to this machine)');
    expect(html).toContain('Enter the master organization id as a UUID');
    expect(html).toContain('Enter the default server group id as a UUID');
    expect(html).toContain('value="http://panel.example.com"');
    expect(html).toContain('value="not-a-uuid"');
    expect(await integration(w)).toBeUndefined();

    // A good form without a token: the token is required the first time.
    const noToken = await put(settingsFor(w, { token: '' }));
    expect(noToken.status).toBe(422);
    expect(w.admin.lastHtml).toContain('Enter the access token.');
    expect(await integration(w)).toBeUndefined();
    expect(await hostingActivity(w)).toEqual([]);
  });

  it('seals the token at rest, never shows it back, and keeps it when the field is left empty', async () => {
    await w.admin.get(PAGE);
    const res = await put(settingsFor(w, { token: `Bearer ${w.emu.token}` }));
    expect(res.status).toBe(303);
    const row = (await integration(w))!;
    expect(row).toMatchObject({ api_url: w.emu.url, master_org_id: w.emu.masterOrgId, health: 'unknown' });
    expect(row.token_ciphertext).not.toBeNull();
    expect(JSON.stringify(row)).not.toContain(w.emu.token);
    expect(decryptSecret(w.ctx.config.encryptionKeys, row.token_ciphertext!)).toBe(w.emu.token);

    const html = await page();
    expect(html).toContain('Connection settings saved.');
    expect(html).toContain('token set');
    expect(html).not.toContain(w.emu.token);
    expect(html).not.toContain(row.token_ciphertext!);

    // A refusal after a token was typed does not send the token back either.
    const bad = await put(settingsFor(w, { api_url: 'ftp://x', token: 'a-brand-new-token-123' }));
    expect(bad.status).toBe(422);
    expect(w.admin.lastHtml).not.toContain('a-brand-new-token-123');
    expect((await integration(w))!.token_ciphertext).toBe(row.token_ciphertext);

    // Empty token: kept. The server group is optional and saved.
    const group = crypto.randomUUID();
    expect((await put(settingsFor(w, { token: '', default_server_group_id: group }))).status).toBe(303);
    const kept = (await integration(w))!;
    expect(kept.token_ciphertext).toBe(row.token_ciphertext);
    expect(kept.default_server_group_id).toBe(group);

    const log = (await hostingActivity(w)).filter((a) => a.action === 'admin.hosting_settings_saved');
    expect(log).toHaveLength(2);
    expect(log.map((l) => l.details.token_replaced).sort()).toEqual([false, true]);
    expect(JSON.stringify(log)).not.toContain(w.emu.token);
  });

  it('is for staff only: a customer gets no hosting admin page and changes nothing', async () => {
    const before = await integration(w);
    const res = await w.customer.get(PAGE);
    expect([403, 404]).toContain(res.status);
    expect(await integration(w)).toEqual(before);
  });
});

describe('health check', () => {
  it('records ok with the time when the panel answers', async () => {
    expect((await check()).status).toBe(303);
    const row = (await integration(w))!;
    expect(row.health).toBe('ok');
    expect(row.health_message).toBeNull();
    expect(row.checked_at).not.toBeNull();
    expect(await page()).toContain('the connection works');
  });

  it('records the failure with a clear message for a refused token (401) and a broken panel (500)', async () => {
    w.emu.faults.fail('GET', /^\/orgs\//, 401, { code: 'no_session_token' });
    await check();
    let row = (await integration(w))!;
    expect(row.health).toBe('error');
    expect(row.health_message).toContain('401');
    expect(row.health_message).toMatch(/token/i);
    let html = await page();
    expect(html).toContain('id="hosting-health-message"');
    expect(html).not.toContain(w.emu.token);

    // 500 on every attempt (the client retries a GET twice).
    w.emu.faults.fail('GET', /^\/orgs\//, 500, undefined, 3);
    await check();
    row = (await integration(w))!;
    expect(row.health).toBe('error');
    expect(row.health_message).toContain('500');

    // A stored token whose key is gone: an error to fix, not a crash.
    const sealed = row.token_ciphertext;
    await w.ctx.db.updateTable('hosting_integration').set({ token_ciphertext: 'v9.AAAA.BBBB.CCCC' }).execute();
    expect((await check()).status).toBe(303);
    expect((await integration(w))!.health_message).toContain('cannot be opened');
    await w.ctx.db.updateTable('hosting_integration').set({ token_ciphertext: sealed }).execute();

    await check();
    expect((await integration(w))!.health).toBe('ok');
    const checks = (await hostingActivity(w)).filter((a) => a.action === 'admin.hosting_health_checked');
    expect(checks.map((c) => c.details.health).sort()).toEqual(['error', 'error', 'error', 'ok', 'ok']);
  });
});

describe('plan sync', () => {
  it('adds the panel plans inactive and unpriced, with their resources', async () => {
    expect((await sync()).status).toBe(303);
    expect(await page()).toContain('Plans synced: 3 listed, 3 added, 0 updated, 0 deactivated.');
    const rows = await plans(w);
    expect(rows.map((p) => [p.name, p.active, p.monthly_price, p.upstream_missing_at])).toEqual([
      ['Starter', false, null, null],
      ['Business', false, null, null],
      ['Agency', false, null, null],
    ]);
    expect(rows[0]!.resources).toContainEqual({ name: 'websites', total: 1 });
    expect(rows[0]!.resources).toContainEqual({ name: 'diskspace', total: 10 * 1024 ** 3 });
    expect(rows[2]!.resources).toContainEqual({ name: 'mailboxes', total: null });
    expect(rows[0]!.php_versions.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.master_org_id === w.emu.masterOrgId)).toBe(true);
    expect((await integration(w))!.plans_synced_at).not.toBeNull();
  });

  it('refuses to activate a plan without a price, or with a bad one (422), changing nothing', async () => {
    const starter = (await plans(w))[0]!;
    await w.admin.get(`${PAGE}/plans/${starter.id}`);
    expect(w.admin.lastHtml).toContain('What customers see');
    const res = await editPlan(starter.id, { name: 'Starter', description: '', monthly_price: '', active: 'on' });
    expect(res.status).toBe(422);
    expect(w.admin.lastHtml).toContain('Set a monthly price before making the plan active.');
    const bad = await editPlan(starter.id, { name: '', monthly_price: '5.1234567', position: 'x', active: 'on' });
    expect(bad.status).toBe(422);
    expect(w.admin.lastHtml).toContain('Enter the name.');
    expect(w.admin.lastHtml).toContain('Enter the monthly price as an amount');
    expect(w.admin.lastHtml).toContain('Enter a whole number from 0 to 10000.');
    expect(w.admin.lastHtml).toContain('value="5.1234567"');
    expect((await plans(w))[0]).toEqual(starter);
  });

  it('keeps the local name, description, price, position and active flag when the panel changes a plan', async () => {
    const [starter, business] = await plans(w);
    await w.admin.get(`${PAGE}/plans/${starter!.id}`);
    const res = await editPlan(starter!.id, {
      name: 'Personal',
      description: 'One site, <b>fast</b>.',
      monthly_price: '4.99',
      position: '7',
      active: 'on',
    });
    expect(res.status).toBe(303);
    expect(
      (await editPlan(business!.id, { name: 'Business', monthly_price: '12', position: '8', active: 'on' })).status,
    ).toBe(303);

    const upstream = w.emu.state.plans.get(starter!.enhance_plan_id)!;
    upstream.name = 'Starter 2026';
    upstream.resources = upstream.resources.map((r) => (r.name === 'websites' ? { ...r, total: 2 } : r));
    await sync();
    expect(await page()).toContain('Plans synced: 3 listed, 0 added, 1 updated, 0 deactivated.');
    const after = (await plans(w))[0]!;
    expect(after).toMatchObject({
      name: 'Personal',
      description: 'One site, <b>fast</b>.',
      monthly_price: 4_990_000n,
      position: 7,
      active: true,
      upstream_name: 'Starter 2026',
    });
    expect(after.resources).toContainEqual({ name: 'websites', total: 2 });
    // Escaped on the page.
    await w.admin.get(`${PAGE}/plans/${starter!.id}`);
    expect(w.admin.lastHtml).toContain('One site, &lt;b&gt;fast&lt;/b&gt;.');
    expect(w.admin.lastHtml).toContain('value="4.99"');
  });

  it('deactivates a plan the panel no longer lists, never deletes it, and will not sell it', async () => {
    const before = await plans(w);
    const business = before[1]!;
    expect(business.active).toBe(true);
    // A customer's live service on it: the plan stays, and the service is untouched.
    const org = await w.ctx.db
      .selectFrom('organizations')
      .select('id')
      .orderBy('created_at', 'desc')
      .executeTakeFirstOrThrow();
    const now = w.ctx.clock.now();
    const service = await w.ctx.db
      .insertInto('hosting_services')
      .values({
        organization_id: org.id,
        plan_id: business.id,
        master_org_id: business.master_org_id,
        domain: `kept-${crypto.randomUUID().slice(0, 8)}.test`,
        status: 'active',
        monthly_price: 12_000_000n,
        purchase_key: crypto.randomUUID(),
        period_start: now,
        period_end: new Date(now.getTime() + 30 * 86_400_000),
        saga_state: 'done',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const kept = w.emu.state.plans.get(business.enhance_plan_id)!;
    w.emu.state.plans.delete(business.enhance_plan_id);
    addPlan(w.emu.state, { name: 'Reseller', resources: [{ name: 'websites', total: 100 }] });
    await sync();
    expect(await page()).toContain('Plans synced: 3 listed, 1 added, 0 updated, 1 deactivated.');
    const after = await plans(w);
    expect(after).toHaveLength(4);
    const gone = after.find((p) => p.id === business.id)!;
    expect(gone).toMatchObject({ active: false, monthly_price: 12_000_000n, name: 'Business' });
    expect(gone.upstream_missing_at).not.toBeNull();
    expect(after.find((p) => p.name === 'Reseller')).toMatchObject({ active: false, monthly_price: null });
    expect(w.admin.lastHtml).toContain('gone from the panel');
    expect(
      await w.ctx.db
        .selectFrom('hosting_services')
        .select(['plan_id', 'status', 'monthly_price'])
        .where('id', '=', service.id)
        .executeTakeFirstOrThrow(),
    ).toEqual({ plan_id: business.id, status: 'active', monthly_price: 12_000_000n });

    // It cannot be activated again while the panel does not list it.
    await w.admin.get(`${PAGE}/plans/${business.id}`);
    expect(w.admin.lastHtml).toContain('id="plan-missing"');
    const res = await editPlan(business.id, { name: 'Business', monthly_price: '12', active: 'on' });
    expect(res.status).toBe(422);
    expect(w.admin.lastHtml).toContain('no longer lists this plan');

    // Listed again: no longer missing, but it stays inactive until staff say so.
    w.emu.state.plans.set(kept.id, kept);
    await sync();
    const back = (await plans(w)).find((p) => p.id === business.id)!;
    expect(back).toMatchObject({ upstream_missing_at: null, active: false, monthly_price: 12_000_000n });
  });

  it('aborts with a warning when the panel lists no plans, changing nothing', async () => {
    const before = await plans(w);
    const synced = (await integration(w))!.plans_synced_at;
    const saved = new Map(w.emu.state.plans);
    w.emu.state.plans.clear();
    expect((await sync()).status).toBe(303);
    expect(await page()).toContain('listed no plans, so nothing was changed');
    expect(await plans(w)).toEqual(before);
    expect((await integration(w))!.plans_synced_at).toEqual(synced);
    for (const [k, v] of saved) w.emu.state.plans.set(k, v);
  });

  it('reports a panel failure and changes nothing', async () => {
    const before = await plans(w);
    w.emu.faults.fail('GET', /\/plans$/, 500, undefined, 3);
    await sync();
    expect(await page()).toContain('The plans could not be read');
    expect(await plans(w)).toEqual(before);
  });

  it('audits every sync and plan edit', async () => {
    const log = await hostingActivity(w);
    const syncs = log.filter((l) => l.action === 'admin.hosting_plans_synced');
    expect(syncs).toHaveLength(5);
    expect(syncs.filter((s) => s.details.aborted === true)).toHaveLength(1);
    const edits = log.filter((l) => l.action === 'admin.hosting_plan_updated');
    expect(edits).toHaveLength(2);
    expect(edits.every((e) => e.target_type === 'hosting_plan' && e.actor_user_id === w.adaId)).toBe(true);
    expect(edits.map((e) => e.details.monthly_price).sort()).toEqual(['12000000', '4990000']);
  });
});

describe('concurrent syncs', () => {
  it('write each plan once: they take turns', async () => {
    const before = await plans(w);
    addPlan(w.emu.state, { name: 'Concurrent', resources: [] });
    const [a, b] = await Promise.all([sync(), sync()]);
    expect([a.status, b.status]).toEqual([303, 303]);
    const after = await plans(w);
    expect(after).toHaveLength(before.length + 1);
    expect(after.filter((p) => p.name === 'Concurrent')).toHaveLength(1);
  });
});

describe('on and off', () => {
  it('turns hosting on and off; hostingEnabled follows', async () => {
    expect(await hostingEnabled(w.ctx.db)).toBe(false);
    await w.admin.post(`${PAGE}/state`, { enabled: 'on' });
    expect(await page()).toContain('Hosting is on.');
    expect(await hostingEnabled(w.ctx.db)).toBe(true);
    expect(await hostingEnabled(w.ctx.db, { cache: w.ctx.deps.cache })).toBe(true);
    await w.admin.post(`${PAGE}/state`, { enabled: 'off' });
    expect(await page()).toContain('customers no longer see the hosting store');
    expect(await hostingEnabled(w.ctx.db)).toBe(false);
    const log = (await hostingActivity(w)).map((l) => l.action);
    expect(log).toContain('admin.hosting_enabled');
    expect(log).toContain('admin.hosting_disabled');
  });
});
