import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { person } from '../api/client.ts';
import { joinAs } from '../api-keys/helpers.ts';
import type { TestBrowser } from '../helpers/browser.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { signedIn } from '../helpers/people.ts';
import { allowLoopback, startReceiver, verifySignature, type Receiver } from './helpers.ts';

/**
 * The webhook pages. Olive owns Acme and points a webhook at her receiver (on 127.0.0.1: Ada,
 * who runs the platform, allows loopback for development); Vera is Acme's viewer; Gus owns
 * Globex next door.
 */
let ctx: TestContext;
let receiver: Receiver;
let ada: Awaited<ReturnType<typeof person>>;
let acme: string;
let olive: TestBrowser, vera: TestBrowser, gus: TestBrowser;

beforeAll(async () => {
  ctx = await createTestContext();
  receiver = await startReceiver();
  ada = await person(ctx, 'Ada Admin', { isAdmin: true });
  const [o, v, g] = await Promise.all([
    person(ctx, 'Olive Owner'),
    person(ctx, 'Vera Viewer'),
    person(ctx, 'Gus Globex'),
  ]);
  acme = o.organizationId;
  await joinAs(ctx, acme, v.id, 'viewer');
  [olive, vera, gus] = await Promise.all([signedIn(ctx, o.email), signedIn(ctx, v.email), signedIn(ctx, g.email)]);
});
afterAll(async () => {
  await receiver.close();
  await ctx.close();
});
beforeEach(async () => {
  receiver.received.length = 0;
  receiver.status(200);
  await allowLoopback(ctx, ada.id, true);
  await ctx.db.deleteFrom('webhook_endpoints').where('organization_id', '=', acme).execute();
});

const secretIn = (html: string) => /data-testid="webhook-secret">(whsec_[A-Za-z0-9_-]+)</.exec(html)?.[1];
const endpointsOf = (orgId: string) =>
  ctx.db.selectFrom('webhook_endpoints').selectAll().where('organization_id', '=', orgId).execute();

/**
 * Submits a form as a browser does, repeated fields included (checkboxes: `events`), with the
 * session's CSRF token; keeps the cookies it sets (the flash) in the browser.
 */
async function postForm(browser: TestBrowser, path: string, fields: [string, string][], method = 'POST') {
  const res = await ctx.app.request(path, {
    method,
    headers: {
      'sec-fetch-site': 'same-origin',
      'content-type': 'application/x-www-form-urlencoded',
      'x-forwarded-for': '203.0.113.10',
      cookie: [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
    },
    body: new URLSearchParams([['_csrf', browser.csrf], ...fields]),
  });
  for (const line of res.headers.getSetCookie()) {
    const [name, ...rest] = line.split(';')[0]!.split('=');
    const value = rest.join('=');
    if (value === '' || /max-age=0/i.test(line)) browser.cookies.delete(name!.trim());
    else browser.cookies.set(name!.trim(), value);
  }
  return { res, html: await res.text() };
}

async function create(events = ['vps.created', 'wallet.*'], url = receiver.url) {
  const { res, html } = await postForm(olive, '/webhooks', [
    ['url', url],
    ['description', 'billing sync'],
    ...events.map((e): [string, string] => ['events', e]),
  ]);
  expect(res.status).toBe(201);
  const [row] = await endpointsOf(acme);
  return { id: row!.id, secret: secretIn(html)!, html };
}

describe('who sees the webhook pages', () => {
  it('Olive (owner) has Webhooks in the sidebar; Vera (viewer) has not, and the pages refuse her with 403', async () => {
    await olive.get('/dashboard');
    expect(olive.lastHtml).toContain('href="/webhooks"');
    await vera.get('/dashboard');
    expect(vera.lastHtml).not.toContain('href="/webhooks"');
    expect((await vera.get('/webhooks')).status).toBe(403);
    const { id } = await create();
    expect((await vera.get(`/webhooks/${id}`)).status).toBe(403);
    const { res } = await postForm(vera, '/webhooks', [
      ['url', 'https://8.8.8.8/x'],
      ['events', 'vps.created'],
    ]);
    expect(res.status).toBe(403);
    expect(await endpointsOf(acme)).toHaveLength(1);
  });

  it('Gus (Globex) finds none of Acme’s webhooks: 404 on each page and action, and nothing changes', async () => {
    const { id } = await create();
    expect((await gus.get(`/webhooks/${id}`)).status).toBe(404);
    for (const path of [`/webhooks/${id}/pings`, `/webhooks/${id}/secret`, `/webhooks/${id}/disablement`])
      expect((await postForm(gus, path, [])).res.status, path).toBe(404);
    expect((await postForm(gus, `/webhooks/${id}`, [], 'DELETE')).res.status).toBe(404);
    expect((await gus.get('/webhooks/not-a-uuid')).status).toBe(404);
    expect(receiver.received).toHaveLength(0);
    expect(await endpointsOf(acme)).toMatchObject([{ id, status: 'active' }]);
  });
});

describe('adding a webhook', () => {
  it('shows the events as checkboxes grouped by what they are about', async () => {
    await olive.get('/webhooks');
    expect(olive.lastHtml).toContain('<title>Webhooks · SkyPanel</title>');
    expect(olive.lastHtml).toContain('Up to 20 per organization.');
    for (const group of ['Servers', 'Wallet', 'Invoices', 'Support tickets', 'Web hosting'])
      expect(olive.lastHtml).toContain(`>${group}</p>`);
    for (const value of ['vps.created', 'vps.*', 'wallet.credited', 'ticket.replied', 'hosting.service.active'])
      expect(olive.lastHtml).toContain(`name="events" value="${value}"`);
  });

  it('answers 201 with the secret shown once; it signs the test ping Olive’s receiver verifies, and never shows again', async () => {
    const { id, secret, html } = await create();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(html).toContain('It is shown only once');
    expect(html).toContain('data-copy="#webhook-secret"');
    expect(html).toContain(`href="/webhooks/${id}"`);
    const [row] = await endpointsOf(acme);
    expect(row).toMatchObject({ url: receiver.url, description: 'billing sync', events: ['vps.created', 'wallet.*'] });
    expect(row!.secret_ciphertext).not.toContain(secret);

    await olive.get('/webhooks');
    expect(olive.lastHtml).toContain(receiver.url);
    expect(olive.lastHtml).not.toContain(secret);
    const { res } = await postForm(olive, `/webhooks/${id}/pings`, []);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/webhooks/${id}`);
    expect(receiver.received).toHaveLength(1);
    const sent = receiver.received[0]!;
    expect(JSON.parse(sent.body)).toMatchObject({ type: 'ping' });
    const now = Math.floor(ctx.clock.now().getTime() / 1000);
    expect(verifySignature(secret, String(sent.headers['skypanel-signature']), sent.body, now)).toBe(true);

    await olive.get(`/webhooks/${id}`);
    expect(olive.lastHtml).toContain('Test ping delivered: the endpoint answered 200');
    expect(olive.lastHtml).toMatch(/<code>ping<\/code>[\s\S]*badge-success">succeeded[\s\S]*<code>200<\/code>/);
    expect(olive.lastHtml).not.toContain(secret);
  });

  it('answers a refused address with 422, the form with the message on the URL and what was typed, and adds nothing', async () => {
    await allowLoopback(ctx, ada.id, false);
    const cases: [string, RegExp][] = [
      [receiver.url, /Use an https:\/\/ address/],
      ['https://10.0.0.8/hooks', /private, local or reserved network/],
      ['https://169.254.169.254/latest/meta-data', /private, local or reserved network/],
      ['https://[::1]:8443/hooks', /private, local or reserved network/],
      ['https://user:pw@8.8.8.8/hooks', /Remove the user name and password/],
      ['not a url', /Enter a full address/],
    ];
    for (const [url, message] of cases) {
      const { res, html } = await postForm(olive, '/webhooks', [
        ['url', url],
        ['description', 'typed description'],
        ['events', 'ticket.opened'],
        ['events', 'hosting.*'],
      ]);
      expect(res.status, url).toBe(422);
      expect(html).toMatch(/<p class="field-error" id="e-url">[^<]*/);
      expect(/id="e-url">([^<]*)</.exec(html)![1], url).toMatch(message);
      expect(html).toContain('value="typed description"');
      expect(html).toContain('name="events" value="ticket.opened" checked');
      expect(html).toContain('name="events" value="hosting.*" checked');
      expect(html).not.toContain('name="events" value="vps.created" checked');
    }
    expect(await endpointsOf(acme)).toHaveLength(0);
  });

  it('answers 422 when no event is chosen or one is not ours', async () => {
    const none = await postForm(olive, '/webhooks', [['url', 'https://8.8.8.8/hooks']]);
    expect(none.res.status).toBe(422);
    expect(none.html).toContain('id="e-events">Choose at least one event.');
    const odd = await postForm(olive, '/webhooks', [
      ['url', 'https://8.8.8.8/hooks'],
      ['events', 'everything'],
    ]);
    expect(odd.res.status).toBe(422);
    expect(odd.html).toMatch(/id="e-events">Choose events from the list/);
    expect(await endpointsOf(acme)).toHaveLength(0);
  });
});

describe('one webhook', () => {
  it('Olive changes its URL, events and description (303), and a bad change answers 422 on the same page', async () => {
    const { id } = await create();
    const ok = await postForm(olive, `/webhooks/${id}`, [
      ['url', `${receiver.url}/v2`],
      ['description', ''],
      ['events', 'ticket.opened'],
      ['events', 'ticket.replied'],
    ]);
    expect(ok.res.status).toBe(303);
    expect(ok.res.headers.get('location')).toBe(`/webhooks/${id}`);
    expect((await endpointsOf(acme))[0]).toMatchObject({
      url: `${receiver.url}/v2`,
      description: null,
      events: ['ticket.opened', 'ticket.replied'],
    });
    await olive.get(`/webhooks/${id}`);
    expect(olive.lastHtml).toContain('Webhook saved.');

    const bad = await postForm(olive, `/webhooks/${id}`, [
      ['url', 'https://192.168.1.10/hooks'],
      ['events', 'vps.deleted'],
    ]);
    expect(bad.res.status).toBe(422);
    expect(bad.html).toContain('id="webhook-deliveries"');
    expect(bad.html).toContain('value="https://192.168.1.10/hooks"');
    expect(bad.html).toContain('name="events" value="vps.deleted" checked');
    expect((await endpointsOf(acme))[0]!.url).toBe(`${receiver.url}/v2`);
  });

  it('keeps a subscription the form does not list (hosting.service.*, made over the API) when Olive saves', async () => {
    const { id } = await create();
    await ctx.db
      .updateTable('webhook_endpoints')
      .set({ events: ['hosting.service.*'] })
      .where('id', '=', id)
      .execute();
    await olive.get(`/webhooks/${id}`);
    expect(olive.lastHtml).toContain('Also subscribed');
    expect(olive.lastHtml).toContain('name="events" value="hosting.service.*" checked');
    const saved = await postForm(olive, `/webhooks/${id}`, [
      ['url', receiver.url],
      ['events', 'hosting.service.*'],
      ['events', 'invoice.issued'],
    ]);
    expect(saved.res.status).toBe(303);
    expect((await endpointsOf(acme))[0]!.events).toEqual(['hosting.service.*', 'invoice.issued']);
  });

  it('is disabled (nothing is sent) and enabled again; the page says which', async () => {
    const { id } = await create();
    const off = await postForm(olive, `/webhooks/${id}/disablement`, []);
    expect(off.res.status).toBe(303);
    expect((await endpointsOf(acme))[0]).toMatchObject({ status: 'disabled' });
    await olive.get(`/webhooks/${id}`);
    expect(olive.lastHtml).toContain('Webhook disabled: nothing is sent to it.');
    expect(olive.lastHtml).toContain('Disabled by a member of the organization.');
    expect(olive.lastHtml).toContain(`hx-delete="/webhooks/${id}/disablement"`);
    // The Enable button is htmx: the answer sends the browser back to the page.
    const on = await olive.post(
      `/webhooks/${id}/disablement`,
      {},
      { method: 'DELETE', headers: { 'hx-request': 'true' } },
    );
    expect(on.status).toBe(200);
    expect(on.headers.get('hx-redirect')).toBe(`/webhooks/${id}`);
    expect((await endpointsOf(acme))[0]).toMatchObject({ status: 'active', disabled_at: null });
  });

  it('rotating the secret shows a new one once; the old one no longer verifies', async () => {
    const { id, secret: old } = await create();
    const { res, html } = await postForm(olive, `/webhooks/${id}/secret`, []);
    expect(res.status).toBe(200);
    expect(html).toContain('<title>Your new signing secret · SkyPanel</title>');
    expect(html).toContain('The old secret no longer signs deliveries.');
    const fresh = secretIn(html)!;
    expect(fresh).toMatch(/^whsec_/);
    expect(fresh).not.toBe(old);
    await postForm(olive, `/webhooks/${id}/pings`, []);
    const sent = receiver.received.at(-1)!;
    const now = Math.floor(ctx.clock.now().getTime() / 1000);
    const header = String(sent.headers['skypanel-signature']);
    expect(verifySignature(fresh, header, sent.body, now)).toBe(true);
    expect(verifySignature(old, header, sent.body, now)).toBe(false);
    await olive.get(`/webhooks/${id}`);
    expect(olive.lastHtml).not.toContain(fresh);
  });

  it('a failed ping is shown with the response code; its page lists the attempts and the body, and a redelivery by hand succeeds', async () => {
    const { id } = await create();
    receiver.status(500);
    await postForm(olive, `/webhooks/${id}/pings`, []);
    await olive.get(`/webhooks/${id}`);
    expect(olive.lastHtml).toContain('Test ping not delivered: the endpoint answered 500');
    const [delivery] = await ctx.db.selectFrom('webhook_outbox').select('id').where('endpoint_id', '=', id).execute();
    const page = `/webhooks/${id}/deliveries/${delivery!.id}`;
    expect(olive.lastHtml).toContain(`href="${page}"`);

    receiver.status(204);
    const again = await postForm(olive, `${page}/redeliveries`, []);
    expect(again.res.status).toBe(303);
    expect(again.res.headers.get('location')).toBe(page);
    expect(receiver.received).toHaveLength(2);
    expect(receiver.received[1]!.body).toBe(receiver.received[0]!.body);

    await olive.get(page);
    const html = olive.lastHtml;
    expect(html).toContain('<title>Delivery of ping · SkyPanel</title>');
    expect(html).toContain('Sent again and delivered: the endpoint answered 204');
    expect(html).toMatch(/<code>500<\/code>[\s\S]*by hand[\s\S]*<code>204<\/code>[\s\S]*by hand/);
    expect(html.match(/ ms<\/td>/g)).toHaveLength(2);
    const body = JSON.parse(receiver.received[0]!.body) as { id: string };
    expect(html).toContain(`&quot;id&quot;: &quot;${body.id}&quot;`);
    expect((await gus.get(page)).status).toBe(404);
  });

  it('lists deliveries newest first, 20 at a time; “Older deliveries” swaps in the next page alone', async () => {
    const { id } = await create();
    const base = ctx.clock.now().getTime();
    for (let i = 0; i < 23; i++) {
      const ev = await ctx.db
        .insertInto('webhook_events')
        .values({
          organization_id: acme,
          type: i === 0 ? 'vps.created' : 'wallet.credited',
          dedupe_key: `page-test:${id}:${i}`,
          data: JSON.stringify({}),
          body: '{}',
          created_at: new Date(base - (23 - i) * 60_000),
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await ctx.db
        .insertInto('webhook_outbox')
        .values({
          organization_id: acme,
          event_id: ev.id,
          endpoint_id: id,
          status: 'succeeded',
          attempts: 1,
          last_status_code: 200,
          last_duration_ms: 12,
          created_at: new Date(base - (23 - i) * 60_000),
          delivered_at: new Date(base - (23 - i) * 60_000),
        })
        .execute();
    }
    await olive.get(`/webhooks/${id}`);
    expect(olive.lastHtml.match(/<tr id="delivery-/g)).toHaveLength(20);
    expect(olive.lastHtml).not.toContain('<code>vps.created</code></a>');
    const older = /hx-get="(\/webhooks\/[^"]+\?before=[^"]+)"/.exec(olive.lastHtml)![1]!;
    const res = await olive.get(older, { 'hx-request': 'true', 'hx-target': 'webhook-deliveries' });
    expect(res.status).toBe(200);
    const partial = await res.text();
    expect(partial.trimStart().startsWith('<div id="webhook-deliveries"')).toBe(true);
    expect(partial.match(/<tr id="delivery-/g)).toHaveLength(3);
    expect(partial).toContain('<code>vps.created</code></a>');
    expect(partial).not.toContain('Older deliveries');
    // A made-up page marker is ignored, not an error.
    expect((await olive.get(`/webhooks/${id}?before=junk`)).status).toBe(200);
  });

  it('is deleted with its log (htmx: sent back to the list) and the list says so', async () => {
    const { id } = await create();
    await postForm(olive, `/webhooks/${id}/pings`, []);
    const res = await olive.post(`/webhooks/${id}`, {}, { method: 'DELETE', headers: { 'hx-request': 'true' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('hx-redirect')).toBe('/webhooks');
    expect(await endpointsOf(acme)).toHaveLength(0);
    expect(await ctx.db.selectFrom('webhook_outbox').select('id').where('endpoint_id', '=', id).execute()).toEqual([]);
    await olive.get('/webhooks');
    expect(olive.lastHtml).toContain('Webhook deleted.');
    expect(olive.lastHtml).toContain('Your organization has no webhooks yet.');
  });
});
