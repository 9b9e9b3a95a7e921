import { describe, expect, it } from 'vitest';
import { createPerson } from '../test/helpers/people.ts';
import { receivedEmail } from '../test/helpers/mail.ts';
import { expectNoProblems, openPage, screenshot, signIn, useLiveApp } from './helpers.ts';

const app = useLiveApp();

describe('support tickets', () => {
  it('Olivia opens a ticket with a screenshot; Ada sees it arrive in her queue, assigns it to herself and replies; Olivia sees the reply arrive without reloading and resolves it', async () => {
    const olivia = await createPerson(app.live.ctx, 'Olivia Owner', { verified: true });
    const ada = await createPerson(app.live.ctx, 'Ada Admin', { verified: true, isAdmin: true });

    // Ada watches the queue before anything arrives.
    const staff = await openPage(app.browser);
    await signIn(app.live, staff.page, ada.email, { landing: '/admin' });
    await staff.page.goto(`${app.live.origin}/admin/tickets`);
    expect(await staff.page.getByText('The customer cannot log in').count()).toBe(0);

    // Olivia opens a ticket with a screenshot of her dashboard attached.
    const customer = await openPage(app.browser);
    const { page } = customer;
    await signIn(app.live, page, olivia.email);
    const shot = await page.screenshot({ type: 'png' });
    await page.getByRole('navigation', { name: 'Portal' }).getByRole('link', { name: 'Support' }).click();
    await page.getByRole('link', { name: 'New ticket' }).click();
    await page.fill('#f-subject', 'The customer cannot log in');
    await page.selectOption('#f-priority', 'high');
    await page.fill('#f-message', 'Since this morning our customers see an error. Screenshot attached.');
    await page.setInputFiles('#f-attachments', { name: 'dashboard.png', mimeType: 'image/png', buffer: shot });
    await page.getByRole('button', { name: 'Open ticket' }).click();
    await page.waitForURL(/\/support\/[0-9a-f-]{36}$/);
    const ticketUrl = page.url();
    const id = ticketUrl.split('/').pop()!;
    expect(await page.getByTestId('ticket-status').textContent()).toBe('Open');
    // The screenshot is listed with a preview served from our origin, as an image.
    const preview = page.locator(`#ticket-thread img[src*="/support/${id}/attachments/"]`);
    await expect.poll(() => preview.count()).toBe(1);
    await expect.poll(() => preview.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(1280);
    await screenshot(page, 'support-ticket-opened');

    // The ticket appears in Ada's queue without her reloading.
    await expect.poll(() => staff.page.getByText('The customer cannot log in').count()).toBeGreaterThan(0);
    expect((await receivedEmail(app.live.ctx, ada.email))!.subject).toContain('The customer cannot log in');
    await staff.page.getByRole('link', { name: /The customer cannot log in/ }).click();
    await staff.page.waitForURL(`${app.live.origin}/admin/tickets/${id}`);
    expect(await staff.page.getByRole('link', { name: /dashboard\.png/ }).count()).toBe(1);

    // She assigns it to herself, then replies.
    await staff.page.selectOption('#f-assignee', 'me');
    await staff.page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => staff.page.getByText('assigned to Ada Admin').count()).toBe(1);
    const row = await app.live.ctx.db
      .selectFrom('tickets')
      .select(['assignee_id', 'priority'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ assignee_id: ada.id, priority: 'high' });
    // Olivia starts writing more while she waits.
    await page.fill('#f-reply', 'Also, the console was slow');
    await staff.page.fill('#f-reply', 'We found it: a certificate expired. It is renewed now; please try again.');
    await staff.page.getByRole('button', { name: 'Send' }).click();
    await expect.poll(() => staff.page.getByText('a certificate expired').count()).toBe(1);

    // Olivia's page, still open, shows the reply and the new status without a reload.
    await expect.poll(() => page.getByText('a certificate expired').count()).toBe(1);
    expect(await page.getByTestId('ticket-status').textContent()).toBe('Answered');
    expect(page.url()).toBe(ticketUrl);
    // What she was typing is still there: the live update re-reads the thread, not her reply form.
    expect(await page.inputValue('#f-reply')).toBe('Also, the console was slow');
    await page.fill('#f-reply', '');
    const mail = (await receivedEmail(app.live.ctx, olivia.email))!;
    expect(mail.text).toContain('a certificate expired');
    expect(mail.text).toContain(`/support/${id}`);

    // She resolves it.
    await page.getByRole('button', { name: 'Mark resolved' }).click();
    await expect.poll(() => page.getByTestId('ticket-status').textContent()).toBe('Resolved');
    await screenshot(page, 'support-ticket-resolved');
    // Ada's thread follows.
    await expect.poll(() => staff.page.getByTestId('ticket-status').textContent()).toBe('Resolved');

    expectNoProblems(customer, staff);
    await customer.context.close();
    await staff.context.close();
  });
});
