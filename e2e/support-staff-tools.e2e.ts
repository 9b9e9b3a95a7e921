import { describe, expect, it } from 'vitest';
import { openTicket } from '../src/domain/support/tickets.ts';
import { actorOf } from '../test/support/helpers.ts';
import { createPerson } from '../test/helpers/people.ts';
import { expectNoProblems, expectRefusal, openPage, signIn, useLiveApp } from './helpers.ts';

const app = useLiveApp();

describe("the support staff's tools", () => {
  it('Ada adds a category and a canned reply (a refused one keeps what she typed), then answers a ticket filed in it with the reply filled in for that ticket', async () => {
    const ada = await createPerson(app.live.ctx, 'Ada Admin', { verified: true, isAdmin: true });
    const olivia = await createPerson(app.live.ctx, 'Olivia Owner', { verified: true });
    const staff = await openPage(app.browser);
    const { page } = staff;
    await signIn(app.live, page, ada.email, { landing: '/admin' });

    // A category, from the sidebar.
    await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Ticket categories' }).click();
    await page.fill('#f-name', 'Billing questions');
    await page.getByRole('button', { name: 'Add category' }).click();
    await expect.poll(() => page.getByRole('cell', { name: 'Billing questions' }).count()).toBeGreaterThan(0);

    // A canned reply: without a title it is refused, the text kept.
    await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Canned replies' }).click();
    await page.getByRole('link', { name: 'New canned reply' }).click();
    await page.fill('#f-body', 'Hi {{customer}}, ticket {{ticket}} is sorted: {{subject}}.');
    expectRefusal(staff, 422);
    await page.getByRole('button', { name: 'Save canned reply' }).click();
    await expect.poll(() => page.locator('.field-error').count()).toBeGreaterThan(0);
    expect(await page.inputValue('#f-body')).toBe('Hi {{customer}}, ticket {{ticket}} is sorted: {{subject}}.');
    await page.fill('#f-title', 'Sorted');
    await page.getByRole('button', { name: 'Save canned reply' }).click();
    await expect.poll(() => page.getByText('Sorted', { exact: true }).count()).toBeGreaterThan(0);

    // Olivia files a ticket in the new category; Ada answers it with the canned reply.
    const category = await app.live.ctx.db
      .selectFrom('ticket_categories')
      .select('id')
      .where('name', '=', 'Billing questions')
      .executeTakeFirstOrThrow();
    const t = await openTicket(app.live.ctx.deps, await actorOf(app.live.ctx, olivia.email), {
      subject: 'Invoice missing',
      message: 'Where is my invoice?',
      categoryId: category.id,
    });
    await page.goto(`${app.live.origin}/admin/tickets/${t.id}`);
    expect(await page.getByText('Billing questions').count()).toBeGreaterThan(0);
    await page.selectOption('#f-canned', { label: 'Sorted' });
    await expect
      .poll(() => page.inputValue('#f-reply'))
      .toBe(`Hi Olivia, ticket #${t.number} is sorted: Invoice missing.`);
    await page.getByRole('button', { name: 'Send' }).click();
    await expect.poll(() => page.getByTestId('ticket-status').textContent()).toBe('Answered');
    expect(await page.locator('#staff-thread-live').textContent()).toContain(
      `Hi Olivia, ticket #${t.number} is sorted: Invoice missing.`,
    );

    expectNoProblems(staff);
    await staff.context.close();
  });
});
