import { describe, expect, it } from 'vitest';
import { putSetting } from '../src/domain/settings/store.ts';
import { createPerson, uniqueEmail } from '../test/helpers/people.ts';
import { expectNoProblems, expectRefusal, openPage, screenshot, signIn, useLiveApp } from './helpers.ts';

const app = useLiveApp();

/** Staff signed in through the form, landing on /admin. */
async function staffTab(name: string) {
  const admin = await createPerson(app.live.ctx, name, { isAdmin: true, verified: true, email: uniqueEmail(name) });
  const tab = await openPage(app.browser);
  await signIn(app.live, tab.page, admin.email, { landing: '/admin' });
  return tab;
}

/**
 * The public help pages (issue 16 item 1) in a real browser: what staff publish on the admin's
 * content screens is what a visitor (nobody signed in, a fresh browser each time: the pages are
 * cacheable for 60 s) finds on /faq and /docs; drafts stay hidden. The contact form and the
 * status page as a visitor meets them.
 */
describe('the public help pages', () => {
  it('Ada publishes an FAQ answer and keeps another as a draft; a visitor opens and closes the answer on /faq and never sees the draft until Ada publishes it', async () => {
    const staff = await staffTab('Ada Admin');
    const { page } = staff;
    const origin = app.live.origin;
    await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'FAQ' }).click();
    await page.waitForURL(`${origin}/admin/content/faq`);
    await page.getByRole('link', { name: 'New heading' }).click();
    await page.fill('#f-name', 'Paying by bank');
    await page.getByRole('button', { name: 'Add heading' }).click();
    await page.waitForURL(`${origin}/admin/content/faq`);
    expect(await page.getByRole('status').textContent()).toContain('The heading “Paying by bank” is added.');

    await page.getByRole('link', { name: 'New question' }).click();
    await page.selectOption('#f-categoryId', { label: 'Paying by bank' });
    await page.fill('#f-question', 'Can I pay by bank transfer?');
    await page.fill('#f-answer', 'Yes: **top up by bank transfer** from the billing page.');
    expect(await page.getByLabel('Published (shown on /faq)').isChecked()).toBe(true);
    await page.getByRole('button', { name: 'Add question' }).click();
    await page.waitForURL(`${origin}/admin/content/faq`);
    expect(await page.getByRole('status').textContent()).toContain('“Can I pay by bank transfer?” is published.');

    await page.getByRole('link', { name: 'New question' }).click();
    await page.selectOption('#f-categoryId', { label: 'Paying by bank' });
    await page.fill('#f-question', 'Do you accept cryptocurrency?');
    await page.fill('#f-answer', 'Not yet.');
    await page.getByLabel('Published (shown on /faq)').uncheck();
    await page.getByRole('button', { name: 'Add question' }).click();
    await page.waitForURL(`${origin}/admin/content/faq`);
    expect(await page.getByRole('status').textContent()).toContain(
      '“Do you accept cryptocurrency?” is saved as a draft.',
    );
    const draftRow = page.getByRole('row', { name: /Do you accept cryptocurrency\?/ });
    expect(await draftRow.getByRole('cell').nth(2).textContent()).toBe('Draft');

    const visitor = await openPage(app.browser);
    const v = visitor.page;
    await v.goto(`${origin}/faq`);
    const section = v.getByRole('region', { name: 'Paying by bank' });
    expect(await section.getByRole('heading', { level: 2 }).isVisible()).toBe(true);
    const question = section.locator('details', { hasText: 'Can I pay by bank transfer?' });
    const answer = question.getByText('top up by bank transfer');
    // Closed at first: the question shows, its answer does not until it is clicked.
    expect(await question.locator('summary').isVisible()).toBe(true);
    expect(await answer.isVisible()).toBe(false);
    await question.locator('summary').click();
    await expect.poll(() => answer.isVisible()).toBe(true);
    expect(await question.locator('strong').textContent()).toBe('top up by bank transfer');
    await screenshot(v, 'faq-open');
    await question.locator('summary').click();
    await expect.poll(() => answer.isVisible()).toBe(false);
    expect(await v.locator('main').textContent()).not.toContain('Do you accept cryptocurrency?');

    // Published from the list: the visitor's reload shows it too.
    await draftRow.getByRole('button', { name: 'Publish' }).click();
    await page.waitForURL(`${origin}/admin/content/faq`);
    expect(await page.getByRole('status').textContent()).toContain('“Do you accept cryptocurrency?” is published.');
    await v.reload();
    expect(await section.locator('details summary').allTextContents()).toEqual([
      'Can I pay by bank transfer?',
      'Do you accept cryptocurrency?',
    ]);

    expectNoProblems(staff, visitor);
    await staff.context.close();
    await visitor.context.close();
  });

  it('Ada publishes a docs article and drafts another; a visitor finds the article under its category, opens it, and finds it (not the draft) by searching', async () => {
    const staff = await staffTab('Dora Docs');
    const { page } = staff;
    const origin = app.live.origin;
    await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Docs' }).click();
    await page.waitForURL(`${origin}/admin/content/docs`);
    await page.getByRole('link', { name: 'New category' }).click();
    await page.fill('#f-name', 'Networking');
    await page.fill('#f-description', 'Firewalls, private networks and IPv6.');
    await page.getByRole('button', { name: 'Add category' }).click();
    await page.waitForURL(`${origin}/admin/content/docs`);
    expect(await page.getByRole('status').textContent()).toContain('The category “Networking” is added.');

    const writeArticle = async (title: string, body: string, published: boolean) => {
      await page.goto(`${origin}/admin/content/docs`);
      await page.getByRole('link', { name: 'New article' }).click();
      await page.selectOption('#f-categoryId', { label: 'Networking' });
      await page.fill('#f-title', title);
      await page.fill('#f-summary', `${title}, step by step.`);
      await page.fill('#f-body', body);
      if (published) await page.getByLabel('Published (visitors can read it').check();
      await page.getByRole('button', { name: 'Add article' }).click();
      await page.waitForURL(/\/admin\/content\/docs\/articles\/[0-9a-f-]{36}$/);
    };
    await writeArticle(
      'Open a port in the firewall',
      '## Steps\n\nAdd an **inbound rule** for TCP port 443 to the firewall of your server.',
      true,
    );
    expect(await page.getByRole('status').textContent()).toContain('“Open a port in the firewall” is published.');
    expect(await page.getByRole('link', { name: '/docs/networking/open-a-port-in-the-firewall' }).count()).toBe(1);
    await writeArticle('Private networks', 'Servers in one private network skip the public firewall.', false);
    expect(await page.getByRole('status').textContent()).toContain('“Private networks” is saved as a draft.');

    const visitor = await openPage(app.browser);
    const v = visitor.page;
    await v.goto(`${origin}/docs`);
    const section = v.getByRole('region', { name: 'Networking' });
    expect(await section.getByRole('link').allTextContents()).toEqual(['Networking', 'Open a port in the firewall']);
    await section.getByRole('link', { name: 'Networking' }).click();
    await v.waitForURL(`${origin}/docs/networking`);
    expect(await v.getByRole('heading', { level: 1 }).textContent()).toBe('Networking');
    expect(await v.locator('main').textContent()).toContain('Firewalls, private networks and IPv6.');
    expect(await v.locator('main').textContent()).not.toContain('Private networks,');
    await v.getByRole('link', { name: 'Open a port in the firewall' }).click();
    await v.waitForURL(`${origin}/docs/networking/open-a-port-in-the-firewall`);
    expect(await v.getByRole('heading', { level: 1 }).textContent()).toBe('Open a port in the firewall');
    expect(await v.locator('.doc-body h2, .doc-body h3').first().textContent()).toBe('Steps');
    expect(await v.locator('.doc-body strong').textContent()).toBe('inbound rule');
    await screenshot(v, 'docs-article');

    // Back to the category by the breadcrumb, and search there: both articles say "firewall";
    // only the published one is found.
    await v.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('link', { name: 'Networking' }).click();
    await v.waitForURL(`${origin}/docs/networking`);
    await v.fill('#docs-q', 'firewall');
    await v.getByRole('button', { name: 'Search' }).click();
    await v.waitForURL(`${origin}/docs?q=firewall`);
    expect(await v.getByRole('status').textContent()).toBe('1 article found for “firewall”.');
    expect(await v.locator('main li a').allTextContents()).toEqual(['Open a port in the firewall']);
    await v.fill('#docs-q', 'kubernetes');
    await v.getByRole('button', { name: 'Search' }).click();
    await v.waitForURL(`${origin}/docs?q=kubernetes`);
    expect(await v.getByRole('status').textContent()).toContain('No articles found for “kubernetes”.');

    // The draft's address is not found.
    expectRefusal(visitor, 404);
    const res = await v.goto(`${origin}/docs/networking/private-networks`);
    expect(res!.status()).toBe(404);
    expect(await v.locator('main').textContent()).not.toContain('skip the public firewall');

    expectNoProblems(staff, visitor);
    await staff.context.close();
    await visitor.context.close();
  });

  it('a visitor sends a message through /contact (a mistyped email shown back with the form as typed); staff read it in the contact inbox and its email waits in the outbox', async () => {
    const { ctx, origin } = app.live;
    await putSetting(ctx.db, 'site', { supportEmail: 'help@skypanel.test' }, null, ctx.clock.now());
    const visitor = await openPage(app.browser);
    const v = visitor.page;
    await v.goto(`${origin}/contact`);
    expect(await v.getByRole('heading', { level: 1 }).textContent()).toBe('Contact us');
    expect(await v.getByTestId('contact-methods').textContent()).toContain('help@skypanel.test');
    await v.fill('#f-name', 'Vera Visitor');
    await v.fill('#f-email', 'vera.visitor.example.test');
    await v.fill('#f-message', 'Do you have servers in Singapore?\nWe need low latency in Asia.');
    expectRefusal(visitor, 422);
    const refused = v.waitForResponse((r) => r.url() === `${origin}/contact` && r.request().method() === 'POST');
    await v.getByRole('button', { name: 'Send message' }).click();
    expect((await refused).status()).toBe(422);
    await expect.poll(() => v.locator('#e-email').textContent()).toBe('Enter a valid email address.');
    expect(await v.locator('#e-subject').textContent()).toBe('Give it a subject.');
    expect(await v.getByTestId('contact-error').textContent()).toBe('Please correct the highlighted fields.');
    expect(await v.locator('#e-name').count()).toBe(0);
    expect(await v.inputValue('#f-name')).toBe('Vera Visitor');
    expect(await v.inputValue('#f-email')).toBe('vera.visitor.example.test');
    expect(await v.inputValue('#f-message')).toBe('Do you have servers in Singapore?\nWe need low latency in Asia.');
    await screenshot(v, 'contact-refused');

    await v.fill('#f-email', 'vera.visitor@example.test');
    await v.fill('#f-subject', 'Servers in Singapore');
    await v.getByRole('button', { name: 'Send message' }).click();
    await v.waitForURL(`${origin}/contact/sent`);
    expect(await v.getByRole('heading', { level: 1 }).textContent()).toBe('Thank you');
    expect(await v.getByRole('status').textContent()).toContain('Your message has been sent.');

    const staff = await staffTab('Sam Support');
    const { page } = staff;
    await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Contact messages' }).click();
    await page.waitForURL(`${origin}/admin/contact`);
    const row = page.getByRole('row', { name: /Servers in Singapore/ });
    expect(await row.textContent()).toContain('Vera Visitor <vera.visitor@example.test>');
    expect(await row.getByText('New', { exact: true }).count()).toBe(1);
    await row.getByRole('link', { name: 'Servers in Singapore' }).click();
    await page.waitForURL(/\/admin\/contact\/[0-9a-f-]{36}$/);
    expect(await page.getByTestId('message-text').textContent()).toBe(
      'Do you have servers in Singapore?\nWe need low latency in Asia.',
    );
    expect(await page.locator('main').textContent()).toContain('help@skypanel.test');

    await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Mail outbox' }).click();
    await page.waitForURL(`${origin}/admin/outbox`);
    expect(await page.getByRole('row', { name: /help@skypanel\.test/ }).count()).toBe(1);

    expectNoProblems(staff, visitor);
    await staff.context.close();
    await visitor.context.close();
  });

  it('a visitor reads “All systems operational” on /status; while Ada has maintenance mode on, /status says so with her message', async () => {
    const { origin } = app.live;
    const visit = async () => {
      // A fresh browser each time: /status may be kept for 60 s by the browser, as by a CDN.
      const tab = await openPage(app.browser);
      await tab.page.goto(`${origin}/status`);
      return tab;
    };
    const before = await visit();
    const overall = before.page.getByTestId('overall');
    expect(await overall.getAttribute('data-level')).toBe('ok');
    expect(await overall.textContent()).toBe('All systems operational');
    expect(await before.page.getByTestId('components').getByText('Operational', { exact: true }).count()).toBe(3);
    expect(await before.page.getByTestId('maintenance-mode').count()).toBe(0);

    const staff = await staffTab('Max Maintainer');
    const { page } = staff;
    await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Platform settings' }).click();
    await page.waitForURL(`${origin}/admin/platform-settings`);
    await page.getByLabel(/Maintenance mode on/).check();
    await page.fill('#f-maintenanceMessage', 'Upgrading the storage network. Servers keep running.');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.getByText('Maintenance mode is on:').count()).toBeGreaterThan(0);

    const during = await visit();
    const d = during.page;
    expect(await d.getByTestId('overall').getAttribute('data-level')).toBe('maintenance');
    expect(await d.getByTestId('overall').textContent()).toBe('Maintenance in progress');
    const notice = d.getByTestId('maintenance-mode');
    expect(await notice.getByRole('heading').textContent()).toBe('Maintenance mode is on');
    expect(await notice.textContent()).toContain('Upgrading the storage network. Servers keep running.');
    await screenshot(d, 'status-maintenance');

    await page.getByLabel(/Maintenance mode on/).uncheck();
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.getByText('Maintenance mode is on:').count()).toBe(0);
    const after = await visit();
    expect(await after.page.getByTestId('overall').textContent()).toBe('All systems operational');
    expect(await after.page.getByTestId('maintenance-mode').count()).toBe(0);

    expectNoProblems(before, staff, during, after);
    for (const tab of [before, staff, during, after]) await tab.context.close();
  });
});
