import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { createLogger } from '../../src/lib/log.ts';
import { TestBrowser } from '../helpers/browser.ts';
import { activityOf, everythingStored, liveService, useDataWorld } from './data-helpers.ts';

const w = useDataWorld();
const PASSWORD = 'Mailbox-Secret-7731';

describe('email tab (HTML)', () => {
  it('creates a mailbox with the typed password and quota; the password reaches the panel only', async () => {
    const s = await liveService(w, w.olive.orgId);
    const b = w.olive.browser;
    expect((await b.get(`/hosting/${s.id}/email`)).status).toBe(200);
    expect(b.lastHtml).toContain('No email addresses yet.');
    const res = await b.post(`/hosting/${s.id}/email`, {
      kind: 'mailbox',
      local_part: 'Info',
      domain: s.domain,
      password: PASSWORD,
      quota_mb: '2048',
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/hosting/${s.id}/email`);
    await b.get(`/hosting/${s.id}/email`);
    expect(b.lastHtml).toContain(`The mailbox info@${s.domain} was created.`);
    expect(b.lastHtml).toContain(`data-address="info@${s.domain}"`);
    expect(b.lastHtml).toContain('0 / 2048 MB');
    expect(b.lastHtml).not.toContain(PASSWORD);

    const [mail] = await w.panel.listEmails(s.orgId, s.websiteId);
    expect(mail).toMatchObject({ address: `info@${s.domain}`, hasMailbox: true, quota: { total: 2048 * 1024 * 1024 } });
    // The emulator saw the password arrive (its request log redacts it) and nothing of ours kept it.
    const sent = w.emu.requests().find((r) => r.method === 'POST' && r.path.endsWith('/emails'));
    expect(JSON.stringify(sent?.body)).not.toContain(PASSWORD);
    const stored = await everythingStored(w);
    expect(stored).toContain(`info@${s.domain}`); // the dump reads what we do keep (the audit entry)
    expect(stored).not.toContain(PASSWORD);
    expect(await activityOf(w, s.id)).toEqual([
      {
        action: 'hosting.mailbox_created',
        actor_user_id: w.olive.id,
        details: { email: `info@${s.domain}`, quota_mb: 2048 },
      },
    ]);

    // Change the password and the quota; then a forwarder, the catch-all, and delete.
    const NEW = 'Another-Secret-8842';
    const addr = encodeURIComponent(`info@${s.domain}`);
    expect((await b.post(`/hosting/${s.id}/email/${addr}/password`, { password: NEW })).status).toBe(303);
    expect((await b.post(`/hosting/${s.id}/email/${addr}/quota`, { quota_mb: '512' })).status).toBe(303);
    expect((await w.panel.getEmail(s.orgId, s.websiteId, `info@${s.domain}`)).quota?.total).toBe(512 * 1024 * 1024);
    const fw = await b.post(`/hosting/${s.id}/email`, {
      kind: 'forwarder',
      local_part: 'sales',
      domain: s.domain,
      forward_to: 'boss@elsewhere.test, Team@Elsewhere.test',
    });
    expect(fw.status).toBe(303);
    expect((await w.panel.getEmail(s.orgId, s.websiteId, `sales@${s.domain}`)).forwarders).toEqual([
      'boss@elsewhere.test',
      'team@elsewhere.test',
    ]);
    expect((await b.post(`/hosting/${s.id}/email/catch-all`, { catch_all: `sales@${s.domain}` })).status).toBe(303);
    expect((await w.panel.getEmail(s.orgId, s.websiteId, `sales@${s.domain}`)).isCatchAll).toBe(true);
    await b.get(`/hosting/${s.id}/email`);
    expect(b.lastHtml).toContain('catch-all</span>');
    expect((await b.post(`/hosting/${s.id}/email/catch-all`, { catch_all: '' })).status).toBe(303);
    expect((await w.panel.getEmail(s.orgId, s.websiteId, `sales@${s.domain}`)).isCatchAll).toBe(false);
    expect((await b.post(`/hosting/${s.id}/email/${encodeURIComponent(`sales@${s.domain}`)}/deletion`)).status).toBe(
      303,
    );
    expect((await w.panel.listEmails(s.orgId, s.websiteId)).map((e) => e.address)).toEqual([`info@${s.domain}`]);

    expect(await everythingStored(w)).not.toContain(NEW);
    const actions = (await activityOf(w, s.id)).map((a) => a.action).sort();
    expect(actions).toEqual(
      [
        'hosting.mailbox_created',
        'hosting.email_password_changed',
        'hosting.email_quota_changed',
        'hosting.forwarder_created',
        'hosting.catch_all_set',
        'hosting.catch_all_set',
        'hosting.email_deleted',
      ].sort(),
    );
  });

  it('shows the form again (422) with a message per field, keeping what was typed but never the password', async () => {
    const s = await liveService(w, w.olive.orgId);
    const b = w.olive.browser;
    await b.get(`/hosting/${s.id}/email`);
    const res = await b.post(`/hosting/${s.id}/email`, {
      kind: 'mailbox',
      local_part: 'bad address!',
      domain: 'not-mine.test',
      password: 'short',
      quota_mb: '0',
    });
    expect(res.status).toBe(422);
    expect(b.lastHtml).toContain('Use letters, digits, dots');
    expect(b.lastHtml).toContain('Choose one of this website’s domains.');
    expect(b.lastHtml).toContain('Use at least 10 characters.');
    expect(b.lastHtml).toContain('Enter the quota in whole MB');
    expect(b.lastHtml).toContain('value="bad address!"');
    expect(b.lastHtml).not.toContain('value="short"');
    const fw = await b.post(`/hosting/${s.id}/email`, {
      kind: 'forwarder',
      local_part: 'x',
      domain: s.domain,
      forward_to: 'nope',
    });
    expect(fw.status).toBe(422);
    expect(b.lastHtml).toContain('Enter the addresses to forward to');
    expect(await w.panel.listEmails(s.orgId, s.websiteId)).toEqual([]);
    expect(await activityOf(w, s.id)).toEqual([]);
  });

  it('shows a plan limit and a duplicate clearly, in our words', async () => {
    const s = await liveService(w, w.olive.orgId);
    const b = w.olive.browser;
    await b.get(`/hosting/${s.id}/email`);
    for (let n = 1; n <= 5; n++)
      expect(
        (
          await b.post(`/hosting/${s.id}/email`, {
            kind: 'mailbox',
            local_part: `box${n}`,
            domain: s.domain,
            password: PASSWORD,
          })
        ).status,
      ).toBe(303);
    const over = await b.post(`/hosting/${s.id}/email`, {
      kind: 'mailbox',
      local_part: 'box6',
      domain: s.domain,
      password: PASSWORD,
    });
    expect(over.status).toBe(422);
    expect(b.lastHtml).toContain('The hosting plan’s limit for this has been reached (mailboxes).');
    expect(b.lastHtml).not.toMatch(/enhance/i);
    const dup = await b.post(`/hosting/${s.id}/email`, {
      kind: 'forwarder',
      local_part: 'box1',
      domain: s.domain,
      forward_to: 'a@b.test',
    });
    expect(dup.status).toBe(409);
    expect(b.lastHtml).toContain('That already exists on the hosting platform.');
  });

  it('opens webmail by a 303 to a fresh single-use link that is stored and shown nowhere', async () => {
    const s = await liveService(w, w.olive.orgId);
    const b = w.olive.browser;
    await b.get(`/hosting/${s.id}/email`);
    await b.post(`/hosting/${s.id}/email`, { kind: 'mailbox', local_part: 'me', domain: s.domain, password: PASSWORD });
    const addr = encodeURIComponent(`me@${s.domain}`);
    const one = await b.post(`/hosting/${s.id}/email/${addr}/webmail`);
    const two = await b.post(`/hosting/${s.id}/email/${addr}/webmail`);
    expect(one.status).toBe(303);
    const url = one.headers.get('location')!;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/webmail\/sso\?otp=/);
    expect(two.headers.get('location')).not.toBe(url);
    expect(one.headers.get('cache-control')).toBe('no-store');
    const otp = new URL(url).searchParams.get('otp')!;
    expect(await everythingStored(w)).not.toContain(otp);
    const opened = (await activityOf(w, s.id)).filter((a) => a.action === 'hosting.webmail_opened');
    expect(opened).toHaveLength(2);
    expect(JSON.stringify(opened)).not.toContain(otp);
  });
});

describe('email tab: who may', () => {
  it('lets a viewer read but not change, and hides the forms', async () => {
    const s = await liveService(w, w.olive.orgId);
    const v = w.vera.browser;
    expect((await v.get(`/hosting/${s.id}/email`)).status).toBe(200);
    expect(v.lastHtml).not.toContain('data-testid="mailbox-form"');
    const res = await v.post(`/hosting/${s.id}/email`, {
      kind: 'mailbox',
      local_part: 'x',
      domain: s.domain,
      password: PASSWORD,
    });
    expect(res.status).toBe(403);
    const sso = await v.post(`/hosting/${s.id}/email/${encodeURIComponent(`x@${s.domain}`)}/webmail`);
    expect(sso.status).toBe(403);
    expect(await w.panel.listEmails(s.orgId, s.websiteId)).toEqual([]);
  });

  it('answers another organization’s service as not found, and touches nothing', async () => {
    const s = await liveService(w, w.olive.orgId);
    const g = w.gus.browser;
    expect((await g.get(`/hosting/${s.id}/email`)).status).toBe(404);
    expect(
      (
        await g.post(`/hosting/${s.id}/email`, {
          kind: 'mailbox',
          local_part: 'x',
          domain: s.domain,
          password: PASSWORD,
        })
      ).status,
    ).toBe(404);
    expect((await g.get(`/hosting/not-a-uuid/email`)).status).toBe(404);
    expect(await w.panel.listEmails(s.orgId, s.websiteId)).toEqual([]);
  });

  it('answers a service without a live website 409 with a clear message; a suspended one reads but refuses changes', async () => {
    const pending = await liveService(w, w.olive.orgId, 'provisioning');
    const b = w.olive.browser;
    expect((await b.get(`/hosting/${pending.id}/email`)).status).toBe(409);
    expect(b.lastHtml).toContain('has no live website yet');
    const suspended = await liveService(w, w.olive.orgId, 'suspended');
    expect((await b.get(`/hosting/${suspended.id}/email`)).status).toBe(200);
    expect(b.lastHtml).toContain('This service is suspended');
    expect(b.lastHtml).not.toContain('data-testid="mailbox-form"');
    const res = await b.post(`/hosting/${suspended.id}/email`, {
      kind: 'mailbox',
      local_part: 'x',
      domain: suspended.domain,
      password: PASSWORD,
    });
    expect(res.status).toBe(409);
    expect(b.lastHtml).toContain('suspended');
  });
});

describe('logs', () => {
  it('never carry a typed password or a sign-in link (request log and domain at debug)', async () => {
    const lines: string[] = [];
    const log = createLogger('debug', { write: (line: string) => void lines.push(line) });
    const app = createApp({ ...w.ctx.deps, log });
    const b = new TestBrowser(app, '192.0.2.2');
    for (const [k, v] of w.olive.browser.cookies) b.cookies.set(k, v);
    const s = await liveService(w, w.olive.orgId);
    await b.get(`/hosting/${s.id}/email`);
    const LOGGED = 'Never-In-A-Log-5501';
    expect(
      (
        await b.post(`/hosting/${s.id}/email`, {
          kind: 'mailbox',
          local_part: 'log',
          domain: s.domain,
          password: LOGGED,
        })
      ).status,
    ).toBe(303);
    const sso = await b.post(`/hosting/${s.id}/email/${encodeURIComponent(`log@${s.domain}`)}/webmail`);
    expect(sso.status).toBe(303);
    const otp = new URL(sso.headers.get('location')!).searchParams.get('otp')!;
    await b.post(`/hosting/${s.id}/wordpress`, {
      admin_username: 'ada',
      admin_password: LOGGED,
      admin_email: 'ada@shop.test',
    });
    const all = lines.join('');
    expect(all).toContain('"msg":"request"');
    expect(all).toContain('/webmail');
    expect(all).not.toContain(LOGGED);
    expect(all).not.toContain(otp);
  });
});
