import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { purgeExpiredJob } from '../../jobs/purge-expired.ts';
import { deliverEmail, outboxTransport } from '../../src/mail/delivery.ts';
import { createResendTransport } from '../../src/providers/mail/index.ts';
import { startResendEmulator, type ResendEmulator } from '../../src/providers/mail/emulator/resend.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { runQueued } from '../helpers/jobs.ts';
import { createPerson, PASSWORD, signedIn, uniqueEmail } from '../helpers/people.ts';
import { TestBrowser } from '../helpers/browser.ts';
import { person, roleId, team } from '../organizations/cast.ts';
import { sendPasswordReset } from '../../src/domain/accounts/recovery.ts';

// Live links (password reset, email confirmation, invitation) are the keys to an account. They
// never sit readable in the stored email: the recipient gets them; staff see them only where
// they are the ones delivering the mail (the outbox transport), and every reading is recorded.

const TOKEN_LINK = /\/(reset-password|verify-email|invitations)\/[\w-]{20,}/;

let outbox: TestContext;
let resend: ResendEmulator;
beforeAll(async () => {
  outbox = await createTestContext({ RATE_LIMIT_AUTH_ACTIONS: '10000' });
  resend = await startResendEmulator();
});
afterAll(async () => {
  await resend.close();
  await outbox.close();
});

/** Someone asks for a password reset the way the form does; the job queues the email. */
async function resetRequested(ctx: TestContext, name: string) {
  const person = await createPerson(ctx, name, { verified: true, email: uniqueEmail(name) });
  const browser = new TestBrowser(ctx.app, '192.0.2.77');
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

const viewed = (ctx: TestContext, emailId: string) =>
  ctx.db
    .selectFrom('activity_log')
    .select(['action', 'actor_user_id', 'details'])
    .where('target_type', '=', 'email')
    .where('target_id', '=', emailId)
    .execute();

describe('links in stored email', () => {
  it('a reset link is stored sealed, not in the body, and reaches the recipient whole', async () => {
    const { person, email } = await resetRequested(outbox, 'Rita Reset');
    expect(email.text).not.toMatch(TOKEN_LINK);
    expect(email.html).not.toMatch(TOKEN_LINK);
    expect(email.secrets).toMatch(/^v\d+\./);

    const transport = createResendTransport({ apiKey: 're_test_key', baseUrl: resend.url });
    expect(await deliverEmail({ ...outbox.deps, mail: transport }, email.id)).toEqual({ status: 'sent' });
    const sent = resend.messages.find((m) => m.to.includes(person.email))!;
    const link = TOKEN_LINK.exec(sent.text!)![0];
    expect(sent.html).toContain(link);
    expect((await new TestBrowser(outbox.app, '192.0.2.78').get(link)).status).toBe(200);
    // Once Resend has it, the sealed link is forgotten too.
    expect(
      await outbox.db
        .selectFrom('emails')
        .select(['status', 'secrets', 'secrets_expire_at'])
        .where('id', '=', email.id)
        .executeTakeFirstOrThrow(),
    ).toEqual({ status: 'sent', secrets: null, secrets_expire_at: null });
  });

  it('an invitation and a welcome keep their links out of the body too', async () => {
    const owner = await person(outbox, 'Olga Owner', { verified: true });
    const orgId = await team(outbox, owner, 'Sealed Links Ltd');
    const guest = uniqueEmail('Gus Guest');
    const browser = await signedIn(outbox, owner.email, PASSWORD, '192.0.2.79');
    await browser.get('/organization/members');
    const invited = await browser.post(
      '/organization/invitations',
      { email: guest, role_id: await roleId(outbox, orgId, 'member') },
      { headers: { 'hx-request': 'true', 'hx-target': 'invitations' } },
    );
    expect(invited.status).toBe(200);
    const unverified = await createPerson(outbox, 'Walt Welcome', { email: uniqueEmail('Walt Welcome') });
    const rows = await outbox.db
      .selectFrom('emails')
      .select(['template', 'text', 'html', 'secrets'])
      .where('to_address', 'in', [guest, unverified.email])
      .execute();
    expect(rows.map((r) => r.template).sort()).toEqual(['invitation', 'welcome']);
    for (const row of rows) {
      expect(row.text + row.html).not.toMatch(TOKEN_LINK);
      expect(row.secrets).not.toBeNull();
    }
  });

  it('a name that looks like a placeholder stays text: only the sealed links are put in', async () => {
    const sly = await createPerson(outbox, 'SKYPANEL-LINK-0123456789abcdef-verifyUrl', {
      email: uniqueEmail('Sly Name'),
    });
    const email = await outbox.db
      .selectFrom('emails')
      .select('id')
      .where('to_address', '=', sly.email)
      .executeTakeFirstOrThrow();
    const transport = createResendTransport({ apiKey: 're_test_key', baseUrl: resend.url });
    await deliverEmail({ ...outbox.deps, mail: transport }, email.id);
    const sent = resend.messages.find((m) => m.to.includes(sly.email))!;
    expect(sent.text).toContain('Hello SKYPANEL-LINK-0123456789abcdef-verifyUrl,');
    expect(sent.text!.match(TOKEN_LINK)).toHaveLength(2);
  });
});

describe('the mail outbox staff read', () => {
  it('with the outbox transport shows the live link (staff deliver it) and records who read it', async () => {
    const { email } = await resetRequested(outbox, 'Olive Outbox');
    await deliverEmail({ ...outbox.deps, mail: outboxTransport }, email.id);
    const ada = await createPerson(outbox, 'Ada Reader', {
      isAdmin: true,
      verified: true,
      email: uniqueEmail('Ada Reader'),
    });
    const admin = await signedIn(outbox, ada.email, PASSWORD, '192.0.2.80');

    const page = await (await admin.get(`/admin/outbox/${email.id}`)).text();
    expect(page).toMatch(TOKEN_LINK);
    expect(page).toContain('data-testid="email-link"');
    expect(await viewed(outbox, email.id)).toEqual([
      {
        action: 'admin.outbox_email_viewed',
        actor_user_id: ada.id,
        details: expect.objectContaining({ links_shown: true }),
      },
    ]);
  });

  it('with SMTP or Resend withholds the links from staff, before and after sending, and records the reading', async () => {
    const smtp = await createTestContext({
      MAIL_TRANSPORT: 'resend',
      RESEND_API_KEY: 're_test_key',
      RESEND_BASE_URL: resend.url,
      RATE_LIMIT_AUTH_ACTIONS: '10000',
    });
    try {
      const { email } = await resetRequested(smtp, 'Sam Smtp');
      const ada = await createPerson(smtp, 'Ada Smtp', {
        isAdmin: true,
        verified: true,
        email: uniqueEmail('Ada Smtp'),
      });
      const admin = await signedIn(smtp, ada.email, PASSWORD, '192.0.2.81');

      const queued = await (await admin.get(`/admin/outbox/${email.id}`)).text();
      expect(queued).not.toMatch(TOKEN_LINK);
      expect(queued).toContain('[link withheld: only the recipient gets it]');
      await deliverEmail(smtp.deps, email.id);
      const sent = await (await admin.get(`/admin/outbox/${email.id}`)).text();
      expect(sent).not.toMatch(TOKEN_LINK);
      expect(await viewed(smtp, email.id)).toHaveLength(2);
      expect((await viewed(smtp, email.id))[0]!.details).toMatchObject({
        links_shown: false,
        template: 'password_reset',
      });
    } finally {
      await smtp.close();
    }
  });

  it('forgets the links after seven days: the purge job drops them and the outbox says so', async () => {
    const { email } = await resetRequested(outbox, 'Pia Purge');
    await deliverEmail({ ...outbox.deps, mail: outboxTransport }, email.id);
    const start = outbox.clock.now();
    outbox.clock.advance(7 * 86_400_000 + 60_000);
    try {
      const summary = await purgeExpiredJob(outbox.deps, `purge-links-${email.id}`);
      expect(summary.email_links).toBeGreaterThanOrEqual(1);
      expect(
        (await outbox.db.selectFrom('emails').select('secrets').where('id', '=', email.id).executeTakeFirstOrThrow())
          .secrets,
      ).toBeNull();
      const ada = await createPerson(outbox, 'Ada Later', {
        isAdmin: true,
        verified: true,
        email: uniqueEmail('Ada Later'),
      });
      const page = await (
        await (await signedIn(outbox, ada.email, PASSWORD, '192.0.2.82')).get(`/admin/outbox/${email.id}`)
      ).text();
      expect(page).not.toMatch(TOKEN_LINK);
      expect(page).toContain('[link no longer kept]');
    } finally {
      outbox.clock.set(start);
    }
  });
});
