import { describe, expect, it } from 'vitest';
import { createPerson } from '../test/helpers/people.ts';
import { expectNoProblems, expectRefusal, openPage, signIn, useLiveApp } from './helpers.ts';

// Files of 4 KiB at most, 5 per message: the limits the page states and checks before sending.
const app = useLiveApp({ TICKET_ATTACHMENT_MAX_BYTES: '4096' });

const text = (name: string, bytes = 10) => ({ name, mimeType: 'text/plain', buffer: Buffer.alloc(bytes, 'a') });

describe('ticket attachments in the browser', () => {
  it('Olivia is told at once when she chooses too many or too large files; a PDF that is HTML comes back refused with her text kept; a log and a screenshot go through, the screenshot previewed; a reply with a file arrives in the thread', async () => {
    const olivia = await createPerson(app.live.ctx, 'Olivia Owner', { verified: true });
    const customer = await openPage(app.browser);
    const { page } = customer;
    await signIn(app.live, page, olivia.email);
    await page.goto(`${app.live.origin}/support/new`);
    await page.fill('#f-subject', 'Files for you');
    await page.fill('#f-message', 'Logs and a screenshot.');

    // Six files: said at once, and the form is not sent.
    await page.setInputFiles(
      '#f-attachments',
      [1, 2, 3, 4, 5, 6].map((i) => text(`f${i}.txt`)),
    );
    await expect
      .poll(() => page.locator('#f-attachments-limit').textContent())
      .toBe('Attach at most 5 files to one message (you chose 6).');
    await page.getByRole('button', { name: 'Open ticket' }).click();
    expect(page.url()).toBe(`${app.live.origin}/support/new`);
    // Too large a file: the same.
    await page.setInputFiles('#f-attachments', [text('big.log', 5000)]);
    await expect
      .poll(() => page.locator('#f-attachments-limit').textContent())
      .toContain('big.log is 4.9 KB; a file may be at most 4 KB.');
    await page.getByRole('button', { name: 'Open ticket' }).click();
    expect(page.url()).toBe(`${app.live.origin}/support/new`);
    expect(await app.live.ctx.db.selectFrom('tickets').select('id').execute()).toEqual([]);

    // A "PDF" that is an HTML page: the server refuses it by its content, the text stays.
    await page.setInputFiles('#f-attachments', [
      { name: 'x.pdf', mimeType: 'application/pdf', buffer: Buffer.from('<!doctype html><script>alert(1)</script>') },
    ]);
    await expect.poll(() => page.locator('#f-attachments-limit').isHidden()).toBe(true);
    expectRefusal(customer, 422);
    await page.getByRole('button', { name: 'Open ticket' }).click();
    await expect
      .poll(() => page.locator('#f-attachments-error').textContent())
      .toContain('x.pdf is not a kind of file we accept');
    expect(await page.inputValue('#f-subject')).toBe('Files for you');
    expect(await page.inputValue('#f-message')).toBe('Logs and a screenshot.');

    // A log and a real screenshot go through; the screenshot is previewed from our origin.
    const shot = await page.screenshot({ type: 'png', clip: { x: 0, y: 0, width: 40, height: 30 } });
    await page.setInputFiles('#f-attachments', [
      { name: 'boot.log', mimeType: 'text/plain', buffer: Buffer.from('kernel: ok\n') },
      { name: 'shot.png', mimeType: 'image/png', buffer: shot },
    ]);
    await page.getByRole('button', { name: 'Open ticket' }).click();
    await page.waitForURL(/\/support\/[0-9a-f-]{36}$/);
    const preview = page.locator('#ticket-thread img[src$="?preview=1"]');
    await expect.poll(() => preview.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(40);
    expect(await page.getByRole('link', { name: 'boot.log' }).count()).toBe(1);
    expect(await page.getByRole('link', { name: 'shot.png' }).count()).toBe(1);

    // A reply with a file, sent over htmx: the thread shows it without a reload.
    await page.fill('#f-reply', 'One more log.');
    await page.setInputFiles('#f-reply-attachments', [text('second.log')]);
    await page.getByRole('button', { name: 'Send reply' }).click();
    await expect.poll(() => page.getByRole('link', { name: 'second.log' }).count()).toBe(1);
    // And the reply form still checks limits after the thread was swapped in again.
    await page.setInputFiles('#f-reply-attachments', [text('again.log', 5000)]);
    await expect.poll(() => page.locator('#f-reply-attachments-limit').isVisible()).toBe(true);

    expectNoProblems(customer);
    await customer.context.close();
  });
});
