import { describe, expect, it } from 'vitest';
import { apiClient, tokenFor } from '../api/client.ts';
import { createPerson, signedIn, uniqueEmail } from '../helpers/people.ts';
import {
  customer,
  DAY,
  HOUR,
  memberOf,
  run,
  runQueuedDunning,
  serverOf,
  setBalance,
  settle,
  statusOf,
  stepsOf,
  SUSPEND_HOURS,
  useDunningWorld,
} from './helpers.ts';

const w = useDunningWorld();
let ipSeq = 0;
const ip = () => `198.51.103.${++ipSeq}`;

async function staffBrowser() {
  const sam = await createPerson(w.ctx, 'Sam Staff', { verified: true, isAdmin: true, email: uniqueEmail('sam') });
  return { sam, b: await signedIn(w.ctx, sam.email, undefined, ip()) };
}

/** An organization in arrears whose case is open and whose server is suspended (the clock moved past the suspension). */
async function suspendedCustomer(name: string) {
  const who = await customer(w, name);
  const web = await serverOf(w, who.actor, `${name.split(' ')[0]!.toLowerCase()}-web`);
  await setBalance(w, who.org, -7_500_000n);
  await run(w);
  w.ctx.clock.advance(SUSPEND_HOURS * HOUR);
  await run(w);
  expect((await statusOf(w, web)).status).toBe('suspended');
  w.cloud.emu.settle(); // the provider finishes powering it off
  return { ...who, web };
}

const caseOf = (org: string) =>
  w.ctx.db
    .selectFrom('dunning_cases')
    .selectAll()
    .where('organization_id', '=', org)
    .where('lifted_at', 'is', null)
    .executeTakeFirstOrThrow();

describe('staff and arrears', () => {
  it('see organizations in arrears with balance, since, status and the next step, linked from the billing page and the sidebar', async () => {
    const { org } = await suspendedCustomer('Lena Late');
    const { b } = await staffBrowser();
    const res = await b.get('/admin/billing/arrears');
    expect(res.status).toBe(200);
    expect(b.lastHtml).toContain('Lena Late');
    expect(b.lastHtml).toContain('-$7.50');
    expect(b.lastHtml).toContain('Suspended');
    expect(b.lastHtml).toContain('Final notice');
    expect(b.lastHtml).toContain(`/admin/billing/arrears/${org}`);
    await b.get('/admin/billing');
    expect(b.lastHtml).toContain('href="/admin/billing/arrears"');
    expect((await b.get(`/admin/billing/arrears/${org}`)).status).toBe(200);
    expect(b.lastHtml).toContain('suspend server');
    expect((await b.get('/admin/billing/arrears/00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });

  it('exempt an organization with a reason (audited): its suspension lifts and it is not suspended again; without a reason the form comes back with 422', async () => {
    const { org, web } = await suspendedCustomer('Eva Exempt');
    const { sam, b } = await staffBrowser();
    await b.get(`/admin/billing/arrears/${org}`);
    const bad = await b.post(`/admin/billing/arrears/${org}/exemption`, { reason: '  ' });
    expect(bad.status).toBe(422);
    expect(b.lastHtml).toContain('Say why');
    expect((await caseOf(org)).exempt_reason).toBeNull();

    const ok = await b.post(`/admin/billing/arrears/${org}/exemption`, { reason: 'Pays by bank transfer, invoice 42' });
    expect(ok.status).toBe(303);
    expect(await caseOf(org)).toMatchObject({
      exempt_reason: 'Pays by bank transfer, invoice 42',
      exempted_by: sam.id,
    });
    const log = await w.ctx.db
      .selectFrom('activity_log')
      .select(['action', 'actor_user_id', 'details'])
      .where('organization_id', '=', org)
      .where('action', 'like', 'admin.dunning%')
      .execute();
    expect(log).toEqual([
      {
        action: 'admin.dunning_exempted',
        actor_user_id: sam.id,
        details: { reason: 'Pays by bank transfer, invoice 42' },
      },
    ]);
    // The change queued the job for the organization: the server comes back at once.
    expect(await runQueuedDunning(w)).toBe(1);
    expect((await statusOf(w, web)).status).toBe('booting');
    // Days later, still not suspended nor deleted (reminders go on).
    w.ctx.clock.advance(8 * DAY);
    await run(w);
    expect((await statusOf(w, web)).status).not.toMatch(/suspended|deleted|deleting/);

    // Removing the exemption: the deadlines apply again (long past: suspended, then a final notice before any deletion).
    // (A new session: the old one went idle while the clock moved.)
    const again = (await staffBrowser()).b;
    await again.get(`/admin/billing/arrears/${org}`);
    const removed = await again.post(
      `/admin/billing/arrears/${org}/exemption`,
      {},
      { method: 'DELETE', headers: { 'hx-request': 'true' } },
    );
    expect(removed.status).toBe(200);
    expect(removed.headers.get('hx-redirect')).toBe(`/admin/billing/arrears/${org}`);
    expect((await caseOf(org)).exempt_reason).toBeNull();
    await settle(w, web);
    await runQueuedDunning(w);
    expect((await statusOf(w, web)).status).toBe('suspended');
    expect((await statusOf(w, web)).status).not.toBe('deleted');
    expect((await stepsOf(w, org)).map((s) => s.step)).toContain('exemption_removed');
  });

  it('extend the deadline to a later date: deletion and suspension move, a suspension no longer due lifts; a date that is not later is the form again with 422', async () => {
    const { org, web } = await suspendedCustomer('Ned Needs');
    const { b } = await staffBrowser();
    const c = await caseOf(org);
    await b.get(`/admin/billing/arrears/${org}`);
    const early = await b.post(`/admin/billing/arrears/${org}/deadline`, {
      until: '2020-01-01',
      reason: 'Asked for time',
    });
    expect(early.status).toBe(422);
    expect(b.lastHtml).toContain('after the current deadline');
    const garbled = await b.post(`/admin/billing/arrears/${org}/deadline`, {
      until: 'next week',
      reason: 'Asked for time',
    });
    expect(garbled.status).toBe(422);
    expect(b.lastHtml).toContain('Give a date like');

    // Ten more days: the deadline was 7 days after the arrears began.
    const until = new Date(c.arrears_since.getTime() + 17 * DAY).toISOString().slice(0, 10);
    const ok = await b.post(`/admin/billing/arrears/${org}/deadline`, { until, reason: 'Asked for time' });
    expect(ok.status).toBe(303);
    const moved = await caseOf(org);
    expect(moved.extended_until?.toISOString()).toBe(`${until}T23:59:59.000Z`);
    await runQueuedDunning(w);
    expect((await statusOf(w, web)).status).toBe('booting');
    expect((await caseOf(org)).suspended_at).toBeNull();
    const activity = await w.ctx.db
      .selectFrom('activity_log')
      .select('action')
      .where('organization_id', '=', org)
      .where('action', '=', 'admin.dunning_deadline_extended')
      .execute();
    expect(activity).toHaveLength(1);
  });

  it('cannot exempt an organization that is not in arrears: the page again with 422 and why', async () => {
    const { org } = await customer(w, 'Paula Paid');
    const { b } = await staffBrowser();
    await b.get(`/admin/billing/arrears/${org}`);
    expect(b.lastHtml).toContain('Not in arrears');
    const res = await b.post(`/admin/billing/arrears/${org}/exemption`, { reason: 'Just in case' });
    expect(res.status).toBe(422);
    expect(b.lastHtml).toContain('is not in arrears');
    expect(
      await w.ctx.db.selectFrom('dunning_cases').select('id').where('organization_id', '=', org).execute(),
    ).toEqual([]);
  });

  it('read the arrears over the JSON API with a platform admin token; others are refused', async () => {
    const { org } = await suspendedCustomer('Api Arrears');
    const sam = await createPerson(w.ctx, 'Sam Api', { verified: true, isAdmin: true, email: uniqueEmail('samapi') });
    const at = ip();
    const call = apiClient(w.ctx, at);
    const res = await call('GET', '/admin/billing/arrears', { token: await tokenFor(w.ctx, sam.email, at) });
    expect(res.status).toBe(200);
    const mine = res.body.data.find((r: { organization_id: string }) => r.organization_id === org);
    expect(mine).toMatchObject({ balance: '-7.50', currency: 'USD', status: 'suspended', next_step: 'final_notice' });
    expect(res.body).toMatchObject({ has_more: false, next_cursor: null });

    const { owner } = await customer(w, 'Cora Customer');
    const at2 = ip();
    const refused = await apiClient(w.ctx, at2)('GET', '/admin/billing/arrears', {
      token: await tokenFor(w.ctx, owner.email, at2),
    });
    expect(refused.status).toBe(403);
  });
});

describe('customers in arrears', () => {
  it('see a banner on every portal page with the balance, what happens when, and a link to add funds; the server page says it is suspended', async () => {
    const { owner, org, web } = await suspendedCustomer('Bea Banner');
    const b = await signedIn(w.ctx, owner.email, undefined, ip());
    for (const path of ['/dashboard', '/vps', '/billing', '/settings/profile']) {
      await b.get(path);
      expect(b.lastHtml, path).toContain('data-testid="arrears-banner"');
    }
    expect(b.lastHtml).toContain('-$7.50');
    expect(b.lastHtml).toContain('Its servers are suspended');
    expect(b.lastHtml).toContain('href="/billing#add-funds-h"');
    // A form sent back with its errors is a whole page too: the banner and the header's balance are on it.
    const refused = await b.post('/settings/profile', { name: 'Bea Banner', phone: '', timezone: 'Mars/Olympus' });
    expect(refused.status).toBe(422);
    expect(b.lastHtml).toContain('data-testid="arrears-banner"');
    expect(b.lastHtml).toMatch(/data-testid="header-balance">-\$7\.50</);
    await b.get(`/vps/${web}`);
    expect(b.lastHtml).toContain('This server is suspended');
    // Nothing offered that the suspension refuses.
    expect(b.lastHtml).not.toContain(`href="/vps/${web}/resize"`);
    expect(b.lastHtml).not.toContain(`href="/vps/${web}/rebuild"`);
    expect(b.lastHtml).toContain('Resize and rebuild are unavailable while the server is suspended');

    // Back above zero: no banner.
    await setBalance(w, org, 1_000_000n);
    await b.get('/dashboard');
    expect(b.lastHtml).not.toContain('arrears-banner');
  });

  it('a member who may not see the wallet sees the banner without the amount, and is told who can add funds', async () => {
    const { org } = await customer(w, 'Olga Owner');
    const vic = await memberOf(w, org, 'Vic Viewer', ['vps_view']);
    await w.ctx.db.updateTable('users').set({ active_organization_id: org }).where('id', '=', vic.id).execute();
    await setBalance(w, org, -2_000_000n);
    const b = await signedIn(w.ctx, vic.email, undefined, ip());
    await b.get('/dashboard');
    expect(b.lastHtml).toContain('data-testid="arrears-banner"');
    expect(b.lastHtml).not.toContain('-$2.00');
    expect(b.lastHtml).not.toContain('href="/billing#add-funds-h"');
    expect(b.lastHtml).toContain('Ask someone who manages billing to add funds.');
  });

  it('before the suspension the banner says when the servers will be suspended and deleted', async () => {
    const { owner, org } = await customer(w, 'Pia Pending');
    await setBalance(w, org, -10_000n);
    const b = await signedIn(w.ctx, owner.email, undefined, ip());
    await b.get('/dashboard');
    expect(b.lastHtml).toContain('-$0.01');
    expect(b.lastHtml).toMatch(/will be suspended on <time datetime="[^"]+">/);
    expect(b.lastHtml).toContain('and deleted on');
  });
});
