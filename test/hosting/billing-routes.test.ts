import { afterEach, describe, expect, it } from 'vitest';
import { apiClient, tokenFor } from '../api/client.ts';
import { joinAs } from '../api-keys/helpers.ts';
import { PASSWORD, signedIn } from '../helpers/people.ts';
import {
  balanceOf,
  chargesOf,
  customer,
  expectLedgerKept,
  mailTo,
  serviceOf,
  serviceRow,
  useBillingWorld,
  website,
} from './billing-helpers.ts';

const w = useBillingWorld();
const START = new Date('2027-03-01T00:00:00.000Z');
// 31-day period; 12.5 days in: 18 whole days left → 5.00 × 18 / 31 = 2.903225806… → 2.903226.
const NOW = new Date('2027-03-13T12:00:00.000Z');

afterEach(async () => {
  await expectLedgerKept(w);
});

/** An owner signed in (browser and API token) at the test clock's now: sessions live on that clock. */
async function owner(name: string, ip: string) {
  w.ctx.clock.set(NOW);
  const c = await customer(w, name);
  const browser = await signedIn(w.ctx, c.owner.email, PASSWORD, ip);
  const token = await tokenFor(w.ctx, c.owner.email, ip);
  return { ...c, browser, token, api: apiClient(w.ctx, ip) };
}

describe('the cancel page', () => {
  it('shows the prorated refund, refuses a choice left out or unconfirmed with the form again (422), and cancels now with the refund', async () => {
    const o = await owner('Olive Owner', '192.0.2.61');
    const s = await serviceOf(w, o.org, START);

    const res = await o.browser.get(`/hosting/${s.id}/cancel`);
    expect(res.status).toBe(200);
    expect(o.browser.lastHtml).toContain('$2.9032 for 18 unused days of 31 goes back to your wallet');

    const bad = await o.browser.post(`/hosting/${s.id}/cancel`, { when: 'whenever' });
    expect(bad.status).toBe(422);
    expect(o.browser.lastHtml).toContain('Choose when the hosting ends.');
    const unconfirmed = await o.browser.post(`/hosting/${s.id}/cancel`, { when: 'now' });
    expect(unconfirmed.status).toBe(422);
    expect(o.browser.lastHtml).toContain('Tick the box to confirm');
    expect((await serviceRow(w, s.id)).status).toBe('active');

    const done = await o.browser.post(`/hosting/${s.id}/cancel`, { when: 'now', confirm: 'yes' });
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('/hosting');
    expect((await serviceRow(w, s.id)).status).toBe('cancelled');
    expect(await balanceOf(w, o.org)).toBe(2_903_226n);
    expect(website(w, s.websiteId)).toBeNull();
    expect((await mailTo(w, o.owner.email)).map((m) => m.template)).toEqual(['hosting_cancelled']);
  });

  it('cancels at period end, and the owner can keep it after all', async () => {
    const o = await owner('Otto Owner', '192.0.2.62');
    const s = await serviceOf(w, o.org, START);
    await o.browser.get(`/hosting/${s.id}/cancel`);
    const res = await o.browser.post(`/hosting/${s.id}/cancel`, { when: 'period_end' });
    expect(res.status).toBe(303);
    expect(await serviceRow(w, s.id)).toMatchObject({ status: 'active', cancel_at_period_end: true });
    await o.browser.get(`/hosting/${s.id}/cancel`);
    expect(o.browser.lastHtml).toContain('already ends with its paid period');
    expect((await o.browser.post(`/hosting/${s.id}/renewal`, {})).status).toBe(303);
    expect((await serviceRow(w, s.id)).cancel_at_period_end).toBe(false);
  });

  it('is not found for another organization’s service, and refused to a viewer', async () => {
    const o = await owner('Oona Owner', '192.0.2.63');
    const gus = await owner('Gus Globex', '192.0.2.64');
    const s = await serviceOf(w, o.org, START);
    expect((await gus.browser.get(`/hosting/${s.id}/cancel`)).status).toBe(404);
    expect((await gus.browser.post(`/hosting/${s.id}/cancel`, { when: 'now', confirm: 'yes' })).status).toBe(404);
    const vera = await customer(w, 'Vera Viewer');
    await joinAs(w.ctx, o.org, vera.owner.id, 'viewer');
    const viewerBrowser = await signedIn(w.ctx, vera.owner.email, PASSWORD, '192.0.2.65');
    await viewerBrowser.post('/active-organization', { organization_id: o.org });
    expect((await viewerBrowser.get(`/hosting/${s.id}/cancel`)).status).toBe(403);
    expect((await serviceRow(w, s.id)).status).toBe('active');
  });
});

describe('DELETE /api/v1/hosting/services/{id}', () => {
  it('cancels at period end (200 with the service), and with ?refund=prorated now with the refund', async () => {
    const o = await owner('Ada Api', '192.0.2.66');
    const s = await serviceOf(w, o.org, START);

    const later = await o.api('DELETE', `/hosting/services/${s.id}`, { token: o.token });
    expect(later.status).toBe(200);
    expect(later.body).toMatchObject({
      id: s.id,
      status: 'active',
      cancel_at_period_end: true,
      refunded: '0.00',
      next_renewal: '2027-04-01T00:00:00.000Z',
      plan: { name: 'Starter' },
    });

    const now = await o.api('DELETE', `/hosting/services/${s.id}?refund=prorated`, { token: o.token });
    expect(now.status).toBe(200);
    expect(now.body).toMatchObject({ id: s.id, status: 'cancelled', refunded: '2.903226', currency: 'USD' });
    expect(await balanceOf(w, o.org)).toBe(2_903_226n);
    const [charge] = await chargesOf(w, s.id);
    expect(charge!.refunded).toBe(2_903_226n);

    const again = await o.api('DELETE', `/hosting/services/${s.id}?refund=prorated`, { token: o.token });
    expect(again.body).toMatchObject({ status: 'cancelled', refunded: '0.00' });
    expect(await balanceOf(w, o.org)).toBe(2_903_226n);
  });

  it('answers 404 for another organization’s service and 422 for an unknown refund mode', async () => {
    const o = await owner('Bea Api', '192.0.2.67');
    const gus = await owner('Gus Api', '192.0.2.68');
    const s = await serviceOf(w, o.org, START);
    const foreign = await gus.api('DELETE', `/hosting/services/${s.id}?refund=prorated`, { token: gus.token });
    expect(foreign.status).toBe(404);
    expect(foreign.body.error.code).toBeTruthy();
    const bad = await o.api('DELETE', `/hosting/services/${s.id}?refund=all`, { token: o.token });
    expect([400, 422]).toContain(bad.status);
    expect((await serviceRow(w, s.id)).status).toBe('active');
  });
});
