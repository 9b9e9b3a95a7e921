import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CONTACT_LIMIT } from '../../src/domain/contact/messages.ts';
import { putSetting } from '../../src/domain/settings/store.ts';
import { TestBrowser } from '../helpers/browser.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { receivedEmail } from '../helpers/mail.ts';
import { createPerson, signedIn, uniqueEmail } from '../helpers/people.ts';

let ctx: TestContext;
let admin: TestBrowser;
let ada: Awaited<ReturnType<typeof createPerson>>;
let bob: Awaited<ReturnType<typeof createPerson>>;
let sales: string;
const SUPPORT = 'support@skypanel.example';

let ipSeq = 0;
/** A visitor from an address of their own (the per-IP limit is per test). */
const visitor = () => new TestBrowser(ctx.app, `198.51.100.${++ipSeq}`);

beforeAll(async () => {
  ctx = await createTestContext();
  ada = await createPerson(ctx, 'Ada Admin', { isAdmin: true, verified: true, email: uniqueEmail('Ada Admin') });
  bob = await createPerson(ctx, 'Bob Customer', { verified: true, email: uniqueEmail('Bob Customer') });
  admin = await signedIn(ctx, ada.email);
});
afterAll(async () => ctx.close());
beforeEach(async () => {
  await ctx.db.deleteFrom('contact_messages').execute();
  await ctx.db.deleteFrom('contact_categories').execute();
  await ctx.db.deleteFrom('contact_methods').execute();
  await ctx.db.deleteFrom('emails').execute();
  await ctx.db.deleteFrom('auth_attempts').execute();
  await putSetting(
    ctx.db,
    'site',
    { supportEmail: SUPPORT, businessHours: 'Mon–Fri 09:00–17:00 UTC' },
    null,
    new Date(),
  );
  sales = (
    await ctx.db
      .insertInto('contact_categories')
      .values({ name: 'Sales', position: 1 })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
});

const form = (over: Record<string, string> = {}) => ({
  name: 'Carol Visitor',
  email: 'carol@example.test',
  category: sales,
  subject: 'Dedicated servers?',
  message: 'Do you rent dedicated servers?\n<script>alert(1)</script>',
  website: '',
  ...over,
});

async function send(browser: TestBrowser, fields: Record<string, string>) {
  await browser.get('/contact');
  return browser.post('/contact', fields);
}

const stored = () => ctx.db.selectFrom('contact_messages').selectAll().execute();

describe('the contact page', () => {
  it('shows the form with a hidden honeypot, the contact methods and the business hours; fills in a signed-in person', async () => {
    await ctx.db
      .insertInto('contact_methods')
      .values([
        { kind: 'phone', label: 'Sales line', value: '+49 30 1234567', position: 1 },
        { kind: 'link', label: 'Chat', value: 'javascript:alert(1)', position: 2 },
        { kind: 'address', label: 'Office', value: 'Main St 1\n10115 Berlin', position: 3 },
      ])
      .execute();
    const guest = visitor();
    const res = await guest.get('/contact');
    expect(res.status).toBe(200);
    const html = guest.lastHtml;
    expect(html).toContain('<title>Contact us · ');
    expect(html).toMatch(/<meta name="description" content="[^"]+"/);
    expect(html).toMatch(/<div hidden aria-hidden="true">\s*<label for="f-website">/);
    expect(html).toContain('tabindex="-1"');
    expect(html).toContain('href="tel:+49301234567"');
    expect(html).not.toContain('href="javascript:');
    expect(html).toContain('Main St 1\n10115 Berlin');
    expect(html).toContain(`href="mailto:${SUPPORT}"`);
    expect(html).toContain('Mon–Fri 09:00–17:00 UTC');
    expect(html).toContain(`<option value="${sales}"`);

    const bobBrowser = await signedIn(ctx, bob.email);
    await bobBrowser.get('/contact');
    expect(bobBrowser.lastHtml).toContain(`value="${bob.email}"`);
    expect(bobBrowser.lastHtml).toContain('value="Bob Customer"');
  });

  it('stores a message for staff and emails the support address, text escaped and never a link', async () => {
    const guest = visitor();
    const res = await send(guest, form());
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/contact/sent');
    await guest.get('/contact/sent');
    expect(guest.lastHtml).toContain('Your message has been sent');

    const [m] = await stored();
    expect(m).toMatchObject({
      name: 'Carol Visitor',
      email: 'carol@example.test',
      category_id: sales,
      subject: 'Dedicated servers?',
      status: 'new',
      ip: expect.stringMatching(/^198\.51\.100\./),
      user_id: null,
      emailed_to: SUPPORT,
    });
    const mail = await receivedEmail(ctx, SUPPORT, 'contact_message');
    expect(mail?.subject).toContain('Sales: Dedicated servers?');
    expect(mail?.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(mail?.html).not.toContain('<script>alert(1)');
    expect(mail?.html).toContain(`/admin/contact/${m!.id}`);
    expect(mail?.text).toContain('Carol Visitor <carol@example.test>');
  });

  it('records the signed-in sender', async () => {
    const b = await signedIn(ctx, bob.email, undefined, '198.51.100.200');
    const res = await send(b, form({ name: 'Bob Customer', email: bob.email }));
    expect(res.status).toBe(303);
    const [m] = await stored();
    expect(m?.user_id).toBe(bob.id);
  });

  it('stores nothing and mails nobody when the honeypot is filled, and answers as if it were sent', async () => {
    const bot = visitor();
    const res = await send(bot, form({ website: 'http://spam.example' }));
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/contact/sent');
    expect(await stored()).toHaveLength(0);
    expect(await ctx.db.selectFrom('emails').select('id').execute()).toHaveLength(0);
  });

  it('refuses bad input with 422, the form as typed and each problem, storing nothing', async () => {
    const guest = visitor();
    const long = 'x'.repeat(5001);
    const res = await send(
      guest,
      form({ name: '', email: 'not-an-email', category: '', subject: 'Kept subject', message: long }),
    );
    expect(res.status).toBe(422);
    const html = guest.lastHtml;
    expect(html).toContain('Enter your name.');
    expect(html).toContain('Enter a valid email address.');
    expect(html).toContain('Choose what your message is about.');
    expect(html).toContain('Keep the message to 5,000 characters.');
    expect(html).toContain('value="Kept subject"');
    expect(html).toContain('value="not-an-email"');
    expect(await stored()).toHaveLength(0);
    // An archived category is no longer offered, nor accepted.
    await ctx.db.updateTable('contact_categories').set({ archived: true }).execute();
    await ctx.db.insertInto('contact_categories').values({ name: 'Billing' }).execute();
    const again = await send(guest, form());
    expect(again.status).toBe(422);
    expect(guest.lastHtml).not.toContain(`value="${sales}"`);
    expect(await stored()).toHaveLength(0);
  });

  it(`limits one IP address to ${CONTACT_LIMIT} messages an hour: then 429 with Retry-After, the text kept, nothing stored`, async () => {
    const guest = visitor();
    for (let i = 0; i < CONTACT_LIMIT; i++) {
      const res = await send(guest, form({ email: `carol${i}@example.test`, subject: `Message ${i}` }));
      expect(res.status).toBe(303);
    }
    const res = await send(guest, form({ email: 'other@example.test', subject: 'One too many' }));
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(guest.lastHtml).toContain(`You have sent ${CONTACT_LIMIT} messages in the last hour`);
    expect(guest.lastHtml).toContain('value="One too many"');
    expect(await stored()).toHaveLength(CONTACT_LIMIT);
    // An hour later it is free again.
    ctx.clock.advance(3_600_000 + 1000);
    expect((await send(guest, form({ email: 'later@example.test' }))).status).toBe(303);
  });

  it(`limits one email address to ${CONTACT_LIMIT} messages an hour, whatever the IP address`, async () => {
    for (let i = 0; i < CONTACT_LIMIT; i++) expect((await send(visitor(), form())).status).toBe(303);
    const res = await send(visitor(), form());
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBeTruthy();
    expect(await stored()).toHaveLength(CONTACT_LIMIT);
  });

  it('is refused during maintenance (503, the maintenance page), storing nothing', async () => {
    const guest = visitor();
    await guest.get('/contact');
    const end = new Date(ctx.clock.now().getTime() + 3_600_000);
    await putSetting(
      ctx.db,
      'platform',
      { maintenanceEnabled: true, maintenanceMessage: 'Database upgrade.', maintenancePlannedEnd: end.toISOString() },
      null,
      new Date(),
    );
    try {
      const res = await guest.post('/contact', form());
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBeTruthy();
      expect(guest.lastHtml).toContain('Database upgrade.');
      expect(await stored()).toHaveLength(0);
      // Reading the page goes on.
      expect((await guest.get('/contact')).status).toBe(200);
    } finally {
      await ctx.db.deleteFrom('platform_settings').where('key', '=', 'platform').execute();
    }
  });

  it('keeps the message without mailing anyone when no support address is set, and the inbox says so', async () => {
    await putSetting(ctx.db, 'site', {}, null, new Date());
    expect((await send(visitor(), form())).status).toBe(303);
    const [m] = await stored();
    expect(m?.emailed_to).toBeNull();
    expect(await ctx.db.selectFrom('emails').select('id').execute()).toHaveLength(0);
    await admin.get('/admin/contact');
    expect(admin.lastHtml).toContain('No support email address is set');
  });
});

describe('the inbox', () => {
  it('lists new messages; opening one marks it read; a reply is emailed to the sender and kept; archive and restore', async () => {
    expect((await send(visitor(), form())).status).toBe(303);
    const [m] = await stored();
    let res = await admin.get('/admin/contact');
    expect(res.status).toBe(200);
    expect(admin.lastHtml).toContain('Dedicated servers?');
    expect(admin.lastHtml).toContain('New (1)');

    res = await admin.get(`/admin/contact/${m!.id}`);
    expect(res.status).toBe(200);
    expect(admin.lastHtml).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect((await stored())[0]?.status).toBe('read');

    // An empty reply: 422, nothing sent.
    res = await admin.post(`/admin/contact/${m!.id}/reply`, { body: '  ' });
    expect(res.status).toBe(422);
    expect(admin.lastHtml).toContain('Write the reply.');
    expect(await receivedEmail(ctx, 'carol@example.test', 'contact_reply')).toBeUndefined();

    res = await admin.post(`/admin/contact/${m!.id}/reply`, { body: 'Not yet <b>soon</b>.' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/admin/contact/${m!.id}`);
    const mail = await receivedEmail(ctx, 'carol@example.test', 'contact_reply');
    expect(mail?.subject).toContain('Re: Dedicated servers?');
    expect(mail?.html).toContain('Not yet &lt;b&gt;soon&lt;/b&gt;.');
    expect(mail?.text).toContain('Do you rent dedicated servers?');
    const replies = await ctx.db.selectFrom('contact_replies').selectAll().execute();
    expect(replies).toMatchObject([{ message_id: m!.id, staff_user_id: ada.id, body: 'Not yet <b>soon</b>.' }]);
    expect((await stored())[0]?.status).toBe('replied');
    await admin.get(`/admin/contact/${m!.id}`);
    expect(admin.lastHtml).toContain('Reply by Ada Admin');

    res = await admin.post(`/admin/contact/${m!.id}/archive`);
    expect(res.status).toBe(303);
    expect((await stored())[0]?.status).toBe('archived');
    await admin.get('/admin/contact');
    expect(admin.lastHtml).not.toContain(`href="/admin/contact/${m!.id}"`);
    await admin.get('/admin/contact?status=archived');
    expect(admin.lastHtml).toContain(`href="/admin/contact/${m!.id}"`);
    res = await admin.post(`/admin/contact/${m!.id}/restore`);
    expect(res.status).toBe(303);
    expect((await stored())[0]?.status).toBe('replied');

    const log = await ctx.db
      .selectFrom('activity_log')
      .select('action')
      .where('target_id', '=', m!.id)
      .orderBy('occurred_at')
      .execute();
    expect(log.map((l) => l.action)).toEqual([
      'admin.contact_message_replied',
      'admin.contact_message_updated',
      'admin.contact_message_updated',
    ]);
  });

  it('manages categories and methods: add, edit, archive, delete; 422 with the value typed', async () => {
    let res = await admin.get('/admin/contact/settings');
    expect(res.status).toBe(200);
    res = await admin.post('/admin/contact/categories', { name: 'Abuse', position: '5' });
    expect(res.status).toBe(303);
    const abuse = await ctx.db
      .selectFrom('contact_categories')
      .selectAll()
      .where('name', '=', 'Abuse')
      .executeTakeFirstOrThrow();
    expect(abuse.position).toBe(5);
    res = await admin.post(`/admin/contact/categories/${abuse.id}`, { name: 'Abuse reports', position: 'x' });
    expect(res.status).toBe(422);
    expect(admin.lastHtml).toContain('The position is a whole number');
    expect(admin.lastHtml).toContain('value="Abuse reports"');
    res = await admin.post(`/admin/contact/categories/${abuse.id}/archive`);
    expect(res.status).toBe(303);
    const guest = visitor();
    await guest.get('/contact');
    expect(guest.lastHtml).not.toContain('Abuse');
    res = await admin.post(`/admin/contact/categories/${abuse.id}/delete`);
    expect(res.status).toBe(303);
    expect(
      await ctx.db.selectFrom('contact_categories').select('id').where('id', '=', abuse.id).executeTakeFirst(),
    ).toBeUndefined();

    res = await admin.post('/admin/contact/methods', { kind: 'link', label: 'Forum', value: 'javascript:alert(1)' });
    expect(res.status).toBe(422);
    expect(admin.lastHtml).toContain('Enter an address starting with https://.');
    res = await admin.post('/admin/contact/methods', { kind: 'email', label: 'Sales', value: 'sales@example.test' });
    expect(res.status).toBe(303);
    await guest.get('/contact');
    expect(guest.lastHtml).toContain('href="mailto:sales@example.test"');
    const method = await ctx.db.selectFrom('contact_methods').select('id').executeTakeFirstOrThrow();
    res = await admin.post(`/admin/contact/methods/${method.id}/delete`);
    expect(res.status).toBe(303);
    expect(await ctx.db.selectFrom('contact_methods').select('id').execute()).toHaveLength(0);
  });
});
