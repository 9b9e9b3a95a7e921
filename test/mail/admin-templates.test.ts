import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sendPasswordReset } from '../../src/domain/accounts/recovery.ts';
import { putSetting } from '../../src/domain/settings/store.ts';
import { deliverEmail, outboxTransport } from '../../src/mail/delivery.ts';
import { EMAIL_TEMPLATE_NAMES } from '../../src/mail/templates.ts';
import { TestBrowser } from '../helpers/browser.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { runQueued } from '../helpers/jobs.ts';
import { createPerson, signedIn, uniqueEmail } from '../helpers/people.ts';

// /admin/email-templates (issue 16 item 5): admins edit every email's subject, HTML and text
// with logic-less placeholders; what they save is used by the next email sent, through the
// real send paths, with sealed links and escaping intact.

let ctx: TestContext;
let admin: TestBrowser;
let adminEmail: string;
let customer: TestBrowser;

beforeAll(async () => {
  ctx = await createTestContext({ RATE_LIMIT_AUTH_ACTIONS: '10000' });
  const ada = await createPerson(ctx, 'Ada Admin', { isAdmin: true, verified: true, email: uniqueEmail('Ada Admin') });
  adminEmail = ada.email;
  const bob = await createPerson(ctx, 'Bob Customer', { verified: true, email: uniqueEmail('Bob Customer') });
  admin = await signedIn(ctx, ada.email);
  customer = await signedIn(ctx, bob.email);
});
afterAll(async () => ctx.close());
beforeEach(async () => {
  await ctx.db.deleteFrom('email_templates').execute();
});

const RESET = '/admin/email-templates/password_reset';
const override = (name: string) =>
  ctx.db.selectFrom('email_templates').selectAll().where('name', '=', name).executeTakeFirst();

/** Someone asks for a password reset the way the form does; the job queues the email. */
async function resetRequested(name: string) {
  const person = await createPerson(ctx, 'Rita Reset', { verified: true, email: uniqueEmail('Rita Reset') });
  // Any name a person could end up with (staff can set it too): markup and quotes included.
  await ctx.db.updateTable('users').set({ name }).where('email', '=', person.email).execute();
  const browser = new TestBrowser(ctx.app, '192.0.2.91');
  await browser.get('/forgot-password');
  await browser.post('/forgot-password', { email: person.email });
  await runQueued(ctx, 'accounts.send-password-reset', (data) => sendPasswordReset(ctx.deps, data));
  const email = await ctx.db
    .selectFrom('emails')
    .selectAll()
    .where('to_address', '=', person.email)
    .where('template', '=', 'password_reset')
    .executeTakeFirstOrThrow();
  return { person, email };
}

async function save(path: string, fields: { subject: string; html: string; text: string }) {
  await admin.get(path);
  return admin.post(path, fields);
}

describe('the list and the edit page', () => {
  it('lists every email with its purpose and whether it is customised', async () => {
    await save('/admin/email-templates/welcome', {
      subject: 'Hi {{name}}',
      html: '<p>Hi {{name}}</p>',
      text: 'Hi {{name}}',
    });
    const res = await admin.get('/admin/email-templates');
    expect(res.status).toBe(200);
    for (const name of EMAIL_TEMPLATE_NAMES) expect(admin.lastHtml).toContain(`href="/admin/email-templates/${name}"`);
    expect(admin.lastHtml).toContain('Sent when someone signs up');
    expect(admin.lastHtml).toMatch(
      /welcome<\/a><\/td>\s*<td[^>]*>[^<]*<\/td>\s*<td[^>]*><span class="badge badge-info">Customised/,
    );
    expect(admin.lastHtml).toContain('href="/admin/email-templates"'); // the sidebar link
  });

  it('shows the current template, its placeholders with descriptions, and the default state', async () => {
    const res = await admin.get(RESET);
    expect(res.status).toBe(200);
    expect(admin.lastHtml).toContain('value="Reset your {{brand}} password"');
    expect(admin.lastHtml).toContain('{{resetUrl}} (link)');
    expect(admin.lastHtml).toContain('How many minutes the link works');
    expect(admin.lastHtml).toContain('The default is sent.');
    expect(admin.lastHtml).not.toContain('Reset to default');
    expect((await admin.get('/admin/email-templates/no_such_email')).status).toBe(404);
  });

  it('is for platform staff only', async () => {
    for (const path of ['/admin/email-templates', RESET])
      expect([403, 404]).toContain((await customer.get(path)).status);
    expect((await new TestBrowser(ctx.app, '192.0.2.92').get(RESET)).status).toBe(303);
  });
});

describe('saving', () => {
  it('an override is used by the next email: the real reset path, its link still sealed and delivered whole', async () => {
    const res = await save(RESET, {
      subject: '{{brand}}: new password for {{name}}',
      html: '<h2>Hi {{name}}</h2>\n<p><a href="{{resetUrl}}">Pick a password</a> within {{expiresMinutes}} minutes.</p>',
      text: 'Hi {{name}}, pick a password: {{resetUrl}}',
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(RESET);
    const row = await override('password_reset');
    expect(row?.subject).toBe('{{brand}}: new password for {{name}}');

    const { person, email } = await resetRequested('Rita <b>Reset</b>');
    expect(email.subject).toBe(`SkyPanel: new password for Rita <b>Reset</b>`);
    expect(email.html).toContain('<h2>Hi Rita &lt;b&gt;Reset&lt;/b&gt;</h2>');
    expect(email.html).toMatch(/<a href="SKYPANEL-LINK-[0-9a-f]{16}-resetUrl">Pick a password<\/a>/);
    expect(email.text).toMatch(/^Hi Rita <b>Reset<\/b>, pick a password: SKYPANEL-LINK-[0-9a-f]{16}-resetUrl$/);
    expect(email.html + email.text).not.toMatch(/reset-password\/[\w-]{20,}/);
    expect(email.secrets).toBeTruthy();

    // Delivery fills the sealed link back in, in the admin's href.
    const sent: { html: string; text: string }[] = [];
    const transport = {
      ...outboxTransport,
      name: 'capture',
      async send(m: { html: string; text: string; idempotencyKey: string }) {
        sent.push(m);
        return { providerMessageId: m.idempotencyKey };
      },
    };
    expect(await deliverEmail({ ...ctx.deps, mail: transport as never }, email.id)).toEqual({ status: 'sent' });
    expect(sent[0]!.html).toMatch(/<a href="http[^"]+\/reset-password\/[\w-]{20,}">Pick a password<\/a>/);
    expect(sent[0]!.text).toMatch(/pick a password: http\S+\/reset-password\/[\w-]{20,}$/);
    expect(person.email).toBe(email.to_address);

    const logged = await ctx.db
      .selectFrom('activity_log')
      .select(['action', 'target_id'])
      .where('action', '=', 'admin.email_template_saved')
      .where('target_id', '=', 'password_reset')
      .execute();
    expect(logged.length).toBe(1);
  });

  it('the brand comes from the site settings', async () => {
    await putSetting(ctx.db, 'site', { brandName: 'Acme Cloud' }, null, new Date());
    try {
      const { email } = await resetRequested('Bea Brand');
      expect(email.subject).toBe('Reset your Acme Cloud password');
      expect(email.html).toContain('font-size:18px;color:#0369a1">Acme Cloud</td>');
    } finally {
      await ctx.db.deleteFrom('platform_settings').where('key', '=', 'site').execute();
    }
  });

  it('refuses unknown and malformed placeholders with 422, keeps the input, names them, saves nothing', async () => {
    const fields = {
      subject: 'Reset {{nmae}}',
      html: '<p>Hello {{ name</p><p>{{#if admin}}x{{/if}}</p>',
      text: 'Hello {{name}} {{password}}',
    };
    const res = await save(RESET, fields);
    expect(res.status).toBe(422);
    const html = admin.lastHtml;
    expect(html).toContain('Unknown placeholder: {{nmae}}');
    expect(html).toContain('Unknown placeholder: {{password}}');
    expect(html).toContain('Malformed placeholders: {{ name…, {{#if admin}}, {{/if}}');
    expect(html).toContain('value="Reset {{nmae}}"');
    expect(html).toContain('&lt;p&gt;Hello {{ name&lt;/p&gt;');
    expect(html).toContain('aria-invalid="true"');
    expect(await override('password_reset')).toBeUndefined();
  });

  it('the admin HTML rule: markup is kept as written, scripts and handlers are refused (422)', async () => {
    for (const bad of [
      '<p>Hi {{name}}</p><script>alert(1)</script>',
      '<p>Hi {{name}}</p><img src="x" onerror="alert(1)">',
      '<p><a href="javascript:alert(1)">Hi {{name}}</a></p>',
      '<p><a href="{{name}}">Hi</a></p>',
    ]) {
      const res = await save(RESET, { subject: 'S', html: bad, text: 'T' });
      expect(res.status, bad).toBe(422);
    }
    expect(admin.lastHtml).toContain('{{name}} is not a link');
    expect(await override('password_reset')).toBeUndefined();

    const ok = '<table role="presentation"><tr><td style="color:#333"><em>Hi {{name}}</em></td></tr></table>';
    expect((await save(RESET, { subject: 'S', html: ok, text: 'T' })).status).toBe(303);
    expect((await override('password_reset'))?.html).toBe(ok);
  });

  it('XSS payloads in values come out escaped in HTML, through a real send path', async () => {
    await save(RESET, { subject: 'S {{name}}', html: '<p title="{{name}}">{{name}}</p>', text: '{{name}}' });
    const payload = `"><img src=x onerror=alert(1)><script>alert(1)</script>`;
    const { email } = await resetRequested(payload);
    expect(email.html).toContain(
      '<p title="&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;alert(1)&lt;/script&gt;">',
    );
    expect(email.html).not.toMatch(/<(img|script)\b/i);
    expect(email.text).toBe(payload);
  });
});

describe('preview, reset and test send', () => {
  it('previews unsaved text with sample data (htmx region), escaped, in a sandboxed iframe', async () => {
    await admin.get(RESET);
    const res = await admin.post(
      `${RESET}/preview`,
      {
        subject: 'Preview for {{name}}',
        html: '<p>Hi <b>{{name}}</b>, <a href="{{resetUrl}}">go</a></p>',
        text: 'Hi {{name}}: {{resetUrl}}',
      },
      { headers: { 'HX-Request': 'true', 'HX-Target': 'email-editor' } },
    );
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html.trimStart().startsWith('<div id="email-editor">')).toBe(true);
    expect(html).toContain('<span data-testid="preview-subject">Preview for Ada Lovelace</span>');
    expect(html).toMatch(/<iframe [^>]*sandbox=""[^>]*srcdoc="[^"]*&lt;p&gt;Hi &lt;b&gt;Ada Lovelace/);
    // The frame leaves out inline styles (this page's policy refuses them); the source keeps them.
    const srcdoc = /srcdoc="([^"]*)"/.exec(html)![1]!;
    expect(srcdoc).not.toContain('style=');
    expect(html).toMatch(/data-testid="preview-html">[^<]*style=&quot;/);
    expect(html).toContain('&lt;a href=&quot;https://panel.example.com/reset-password/sample-token&quot;&gt;go');
    expect(html).toContain('Hi Ada Lovelace: https://panel.example.com/reset-password/sample-token');
    expect(await override('password_reset')).toBeUndefined();

    const bad = await admin.post(
      `${RESET}/preview`,
      { subject: 'x', html: '<p>{{nope}}</p>', text: 'x' },
      { headers: { 'HX-Request': 'true', 'HX-Target': 'email-editor' } },
    );
    expect(bad.status).toBe(422);
    const badHtml = await bad.text();
    expect(badHtml).toContain('Unknown placeholder: {{nope}}');
    expect(badHtml).not.toContain('<iframe');
  });

  it('previews without JavaScript too: the whole page with the preview and the input', async () => {
    await admin.get(RESET);
    const res = await admin.post(`${RESET}/preview`, {
      subject: 'Plain {{name}}',
      html: '<p>{{name}}</p>',
      text: '{{name}}',
    });
    expect(res.status).toBe(200);
    expect(admin.lastHtml).toContain('value="Plain {{name}}"');
    expect(admin.lastHtml).toContain('Plain Ada Lovelace');
  });

  it('reset deletes the override: the next email is the default again; recorded', async () => {
    await save(RESET, { subject: 'Custom {{name}}', html: '<p>{{name}}</p>', text: '{{name}}' });
    await admin.get(RESET);
    expect(admin.lastHtml).toContain('Reset to default');
    expect(admin.lastHtml).toContain('Customised by Ada Admin');
    const res = await admin.post(`${RESET}/reset`, {});
    expect(res.status).toBe(303);
    expect(await override('password_reset')).toBeUndefined();
    const { email } = await resetRequested('Dora Default');
    expect(email.subject).toBe('Reset your SkyPanel password');
    expect(email.text).toContain('Someone asked to reset the password of your SkyPanel account.');
    const logged = await ctx.db
      .selectFrom('activity_log')
      .select('action')
      .where('action', '=', 'admin.email_template_reset')
      .where('target_id', '=', 'password_reset')
      .execute();
    expect(logged.length).toBe(1);
    await admin.get('/admin/activity');
    expect(admin.lastHtml).toContain('Reset an email template to its default');
    expect(admin.lastHtml).toContain('Email template “password_reset”');
  });

  it('a test send lands in the outbox, to the signed-in admin, with the saved template and sample data', async () => {
    await save('/admin/email-templates/ticket_staff', {
      subject: 'TEST {{eventLabel}} #{{number}}',
      html: '<p>{{author}}: {{message}}</p>',
      text: '{{author}}: {{message}}',
    });
    await admin.get('/admin/email-templates/ticket_staff');
    const res = await admin.post('/admin/email-templates/ticket_staff/test', {});
    expect(res.status).toBe(303);
    const email = await ctx.db
      .selectFrom('emails')
      .selectAll()
      .where('to_address', '=', adminEmail)
      .where('template', '=', 'ticket_staff')
      .executeTakeFirstOrThrow();
    expect(email.subject).toBe('TEST New ticket #1042');
    expect(email.text).toBe('Ada Lovelace: Since this morning my server web-1 does not boot.\nCould you have a look?');
    expect(email.status).toBe('queued');
    await admin.get('/admin/email-templates/ticket_staff');
    expect(admin.lastHtml).toContain(`queued to ${adminEmail}`);
  });
});
