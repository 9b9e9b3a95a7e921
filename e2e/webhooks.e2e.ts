import { describe, expect, it } from 'vitest';
import { createPerson } from '../test/helpers/people.ts';
import { allowLoopback, startReceiver, verifySignature } from '../test/webhooks/helpers.ts';
import { expectNoProblems, expectRefusal, openPage, screenshot, signIn, useLiveApp } from './helpers.ts';

const app = useLiveApp();

describe('webhooks', () => {
  it('Olive points a webhook at her receiver, copies the secret, pings it, disables and enables it, redelivers, and deletes it', async () => {
    const receiver = await startReceiver();
    try {
      const ada = await createPerson(app.live.ctx, 'Ada Admin', { isAdmin: true, verified: true });
      const olive = await createPerson(app.live.ctx, 'Olive Owner', { verified: true });
      // Her receiver runs on this machine: Ada allows loopback targets (development only).
      await allowLoopback(app.live.ctx, ada.id);

      const watch = await openPage(app.browser);
      const { page } = watch;
      page.on('dialog', (d) => void d.accept());
      await signIn(app.live, page, olive.email);
      await page.getByRole('navigation', { name: 'Portal' }).getByRole('link', { name: 'Webhooks' }).click();
      await page.waitForURL(`${app.live.origin}/webhooks`);
      expect(await page.getByText('Your organization has no webhooks yet.').isVisible()).toBe(true);

      // No event chosen: the form comes back with the reason and the URL she typed.
      await page.fill('#f-url', receiver.url);
      expectRefusal(watch, 422);
      await page.getByRole('button', { name: 'Add webhook' }).click();
      await expect.poll(() => page.locator('#e-events').textContent()).toContain('Choose at least one event');
      expect(await page.inputValue('#f-url')).toBe(receiver.url);

      await page.fill('#f-description', 'Billing sync');
      await page.locator('input[name="events"][value="vps.created"]').check();
      await page.locator('input[name="events"][value="wallet.*"]').check();
      await page.getByRole('button', { name: 'Add webhook' }).click();
      await expect.poll(() => page.title()).toContain('Your new webhook');
      const secret = (await page.getByTestId('webhook-secret').textContent())!.trim();
      expect(secret).toMatch(/^whsec_/);
      const copy = page.locator('button[data-copy]');
      await copy.click();
      await expect.poll(() => copy.textContent()).toBe('Copied');
      await screenshot(page, 'webhook-secret');

      await page.getByRole('link', { name: 'I have copied it' }).click();
      await page.waitForURL(/\/webhooks\/[0-9a-f-]{36}$/);
      const endpointUrl = page.url();
      expect(await page.content()).not.toContain(secret);

      await page.getByRole('button', { name: 'Send a test ping' }).click();
      await expect.poll(() => page.locator('.alert[role="status"]').textContent()).toContain('Test ping delivered');
      expect(receiver.received).toHaveLength(1);
      const sent = receiver.received[0]!;
      const now = Math.floor(app.live.ctx.clock.now().getTime() / 1000);
      expect(verifySignature(secret, String(sent.headers['skypanel-signature']), sent.body, now)).toBe(true);

      await page.getByRole('button', { name: 'Disable' }).click();
      await expect.poll(() => page.locator('.alert[role="status"]').textContent()).toContain('Webhook disabled');
      await page.getByRole('button', { name: 'Enable' }).click();
      await expect.poll(() => page.locator('.alert[role="status"]').textContent()).toContain('Webhook enabled');
      await screenshot(page, 'webhook-endpoint');

      // The ping's own page: its attempt, the body, and a redelivery by hand.
      await page.locator('#webhook-deliveries a', { hasText: 'ping' }).click();
      await page.waitForURL(/\/deliveries\//);
      expect(await page.locator('#webhook-attempts tbody tr').count()).toBe(1);
      await page.getByRole('button', { name: 'Redeliver now' }).click();
      await expect
        .poll(() => page.locator('.alert[role="status"]').textContent())
        .toContain('Sent again and delivered');
      expect(await page.locator('#webhook-attempts tbody tr').count()).toBe(2);
      expect(receiver.received).toHaveLength(2);
      await screenshot(page, 'webhook-delivery');

      await page.goto(endpointUrl);
      await page.getByRole('button', { name: 'Delete' }).click();
      await page.waitForURL(`${app.live.origin}/webhooks`);
      expect(await page.getByText('Your organization has no webhooks yet.').isVisible()).toBe(true);
      expectNoProblems(watch);
      await watch.context.close();
    } finally {
      await receiver.close();
    }
  });
});
