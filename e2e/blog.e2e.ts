import { describe, expect, it } from 'vitest';
import { createPerson } from '../test/helpers/people.ts';
import { expectNoProblems, expectRefusal, openPage, screenshot, signIn, useLiveApp } from './helpers.ts';

const app = useLiveApp();

describe('the blog', () => {
  it('Ada publishes a post with a cover image from the admin sidebar (an HTML file named cover.png refused first, her text kept); a visitor finds it on the blog with its cover, reads it, and finds it in the feed', async () => {
    const ada = await createPerson(app.live.ctx, 'Ada Admin', { verified: true, isAdmin: true });
    const staff = await openPage(app.browser);
    const { page } = staff;
    await signIn(app.live, page, ada.email, { landing: '/admin' });
    await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Blog' }).click();
    await page.getByRole('link', { name: 'New post' }).click();
    await page.fill('#f-title', 'Frankfurt is open');
    await page.fill('#f-summary', 'A new region in Germany, same prices.');
    await page.fill('#f-body', 'Servers in **Frankfurt** from today.\n\n<script>window.__pwned = 1</script>');
    await page.fill('#f-tags', 'regions, Europe');
    await page.fill('#f-coverAlt', 'The Frankfurt skyline');
    await page.selectOption('#f-status', 'published');

    // An HTML page named like an image: refused by its content, what Ada typed is kept.
    await page.setInputFiles('#f-cover', [
      { name: 'cover.png', mimeType: 'image/png', buffer: Buffer.from('<!doctype html><script>alert(1)</script>') },
    ]);
    expectRefusal(staff, 422);
    await page.getByRole('button', { name: 'Save post' }).click();
    await expect
      .poll(() => page.locator('#e-cover').textContent())
      .toContain('The cover must be a PNG, JPEG, GIF or WebP image.');
    expect(await page.inputValue('#f-title')).toBe('Frankfurt is open');
    expect(await page.inputValue('#f-coverAlt')).toBe('The Frankfurt skyline');

    // A real PNG (a screenshot of the page) goes through.
    const shot = await page.screenshot({ type: 'png', clip: { x: 0, y: 0, width: 64, height: 32 } });
    await page.setInputFiles('#f-cover', [{ name: 'frankfurt.png', mimeType: 'image/png', buffer: shot }]);
    await page.getByRole('button', { name: 'Save post' }).click();
    await page.waitForURL(`${app.live.origin}/admin/content/blog`);
    const row = page.locator('tr[data-post="frankfurt-is-open"]');
    await expect.poll(() => row.textContent()).toContain('Published');
    await screenshot(page, 'blog-admin-list');

    // A visitor (nobody signed in) sees it on the blog with its cover, and reads it.
    const visitor = await openPage(app.browser);
    const v = visitor.page;
    await v.goto(`${app.live.origin}/blog`);
    const card = v.locator('article[data-post="frankfurt-is-open"]');
    expect(await card.count()).toBe(1);
    const cardImage = card.locator('img');
    await expect.poll(() => cardImage.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(64);
    expect(await v.locator('link[rel="alternate"][type="application/rss+xml"]').getAttribute('href')).toBe(
      '/blog/feed.xml',
    );
    await screenshot(v, 'blog-list');

    await card.getByRole('link', { name: 'Frankfurt is open' }).click();
    await v.waitForURL(`${app.live.origin}/blog/frankfurt-is-open`);
    expect(await v.getByRole('heading', { level: 1 }).textContent()).toBe('Frankfurt is open');
    const cover = v.getByRole('img', { name: 'The Frankfurt skyline' });
    await expect.poll(() => cover.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(64);
    expect(await v.locator('.post-body strong').textContent()).toBe('Frankfurt');
    expect(await v.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await v.getByTestId('post-author').textContent()).toBe('Ada Admin');
    expect(await v.content()).not.toContain(ada.email);
    expect(await v.getByRole('link', { name: '#europe' }).count()).toBe(1);
    await screenshot(v, 'blog-post');

    const feed = await v.request.get(`${app.live.origin}/blog/feed.xml`);
    expect(await feed.text()).toContain(`<link>${app.live.origin}/blog/frankfurt-is-open</link>`);

    expectNoProblems(staff, visitor);
    await staff.context.close();
    await visitor.context.close();
  });
});
