import { describe, expect, it } from 'vitest';
import { joinAs } from '../test/api-keys/helpers.ts';
import { createPerson } from '../test/helpers/people.ts';
import { expectNoProblems, expectRefusal, openPage, screenshot, signIn, useLiveApp } from './helpers.ts';

const app = useLiveApp();

describe('notes', () => {
  it('Olive keeps a personal note and a pinned organization note; Markdown renders, script does not; Vera (viewer) reads only the shared one', async () => {
    const olive = await createPerson(app.live.ctx, 'Olive Owner', { verified: true });
    const vera = await createPerson(app.live.ctx, 'Vera Viewer', { verified: true });
    await joinAs(app.live.ctx, olive.organization.id, vera.id, 'viewer');

    const watch = await openPage(app.browser);
    const { page } = watch;
    page.on('dialog', (d) => void d.accept());
    await signIn(app.live, page, olive.email);
    await page.getByRole('navigation', { name: 'Portal' }).getByRole('link', { name: 'Notes' }).click();
    await page.waitForURL(`${app.live.origin}/notes`);
    expect(await page.getByText('No notes yet.').isVisible()).toBe(true);

    // An empty note is refused in place: the title she typed stays, the error is beside the field.
    await page.fill('#f-note-title', 'Deploy checklist');
    expectRefusal(watch, 422);
    await page.getByRole('button', { name: 'Add note' }).click();
    await expect.poll(() => page.locator('#e-note-body').textContent()).toContain('Write');
    expect(await page.inputValue('#f-note-title')).toBe('Deploy checklist');

    // A personal note in Markdown, with a script and a javascript: link that must come out inert.
    await page.fill(
      '#f-note-body',
      '**Before** a deploy:\n\n- back up\n- tell support\n\n<script>window.__pwned = 1</script>\n[click me](javascript:window.__pwned=2)',
    );
    await page.getByRole('button', { name: 'Add note' }).click();
    const first = page.locator('#notes > ul > li').first();
    await expect.poll(() => first.locator('h3').textContent()).toBe('Deploy checklist');
    expect(await first.locator('.note-body strong').textContent()).toBe('Before');
    expect(await first.locator('.note-body li').count()).toBe(2);
    expect(await first.locator('.note-body script').count()).toBe(0);
    expect(await first.locator('a[href^="javascript:"]').count()).toBe(0);
    expect(await first.locator('.badge', { hasText: 'Personal' }).isVisible()).toBe(true);

    // A pinned organization note comes first.
    await page.fill('#f-note-title', 'Billing contact');
    await page.fill('#f-note-body', 'Ask for *Dana* in accounts.');
    await page.selectOption('#f-note-scope', 'organization');
    await page.getByLabel('Pin', { exact: true }).check();
    await page.getByRole('button', { name: 'Add note' }).click();
    await expect.poll(() => page.locator('#notes > ul > li').count()).toBe(2);
    expect(await page.locator('#notes > ul > li').first().locator('h3').textContent()).toBe('Billing contact');
    expect(await page.locator('#notes > ul > li').first().locator('.badge', { hasText: 'Pinned' }).isVisible()).toBe(
      true,
    );

    // She edits the checklist in place.
    const checklist = page.locator('#notes > ul > li', { hasText: 'Deploy checklist' });
    await checklist.getByText('Edit').click();
    await checklist.locator('textarea').fill('**Before** a deploy:\n\n- back up\n- tell support\n- check the console');
    await checklist.getByRole('button', { name: 'Save' }).click();
    await expect
      .poll(() => page.locator('#notes > ul > li', { hasText: 'Deploy checklist' }).locator('.note-body li').count())
      .toBe(3);

    // Search finds one.
    await page.fill('#f-notes-q', 'console');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/\/notes\?q=console/);
    expect(await page.locator('#notes > ul > li').count()).toBe(1);
    expect(await page.locator('#notes li h3').textContent()).toBe('Deploy checklist');
    await screenshot(page, 'notes');

    expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
    expectNoProblems(watch);
    await watch.context.close();

    // Vera sees the organization's note, not Olive's personal one, and may not edit it.
    const viewer = await openPage(app.browser);
    await signIn(app.live, viewer.page, vera.email);
    await viewer.page.goto(`${app.live.origin}/notes`);
    const items = viewer.page.locator('#notes > ul > li');
    expect(await items.count()).toBe(1);
    expect(await items.first().locator('h3').textContent()).toBe('Billing contact');
    expect(await items.first().getByText('Edit').count()).toBe(0);
    expectNoProblems(viewer);
    await viewer.context.close();

    // Olive deletes her checklist; it is gone for good.
    const again = await openPage(app.browser);
    again.page.on('dialog', (d) => void d.accept());
    await signIn(app.live, again.page, olive.email);
    await again.page.goto(`${app.live.origin}/notes`);
    const mine = again.page.locator('#notes > ul > li', { hasText: 'Deploy checklist' });
    await mine.getByText('Edit').click();
    await mine.getByRole('button', { name: 'Delete' }).click();
    await expect.poll(() => again.page.locator('#notes > ul > li').count()).toBe(1);
    const left = await app.live.ctx.db
      .selectFrom('notes')
      .select('title')
      .where('organization_id', '=', olive.organization.id)
      .execute();
    expect(left.map((n) => n.title)).toEqual(['Billing contact']);
    expectNoProblems(again);
    await again.context.close();
  });
});
