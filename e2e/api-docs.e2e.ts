import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { keyFor } from '../test/api-keys/helpers.ts';
import { createPerson } from '../test/helpers/people.ts';
import { seedServerCatalogue } from '../test/helpers/servers.ts';
import { expectNoProblems, openPage, useLiveApp } from './helpers.ts';

const app = useLiveApp();

describe('the API reference', () => {
  it('Olive reads how to list her servers, copies the curl example, and tries it with her own API key', async () => {
    const { ctx } = app.live;
    const olive = await createPerson(ctx, 'Olive Owner', { verified: true });
    const catalogue = await seedServerCatalogue(ctx.db);
    await ctx.db
      .insertInto('servers')
      .values({
        organization_id: olive.organization.id,
        provider_id: catalogue.providerId,
        plan_id: catalogue.plans.small.id,
        create_tag: randomUUID(),
        label: 'web-olive',
        region: 'us-east',
        image: 'debian12',
        status: 'running',
      })
      .execute();
    const { key } = await keyFor(ctx, olive.email, '203.0.113.7', {
      organization_id: olive.organization.id,
      permissions: ['vps_view'],
    });

    const watch = await openPage(app.browser);
    const { page, context } = watch;
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: app.live.origin });
    // Anonymous: from the home page's footer to the reference.
    await page.goto(`${app.live.origin}/`);
    await page.getByRole('link', { name: 'API reference' }).click();
    await page.waitForURL(`${app.live.origin}/api-docs`);
    await page
      .getByRole('navigation', { name: 'API reference' })
      .getByRole('link', { name: 'GET /vps' })
      .first()
      .click();
    await expect.poll(() => page.url()).toBe(`${app.live.origin}/api-docs#op-listInstances`);
    const op = page.locator('#op-listInstances');
    expect(await op.locator('h3').textContent()).toContain('/vps');

    // The curl example, copied with its button.
    await op.getByRole('button', { name: 'Copy' }).click();
    await expect.poll(() => op.getByRole('button', { name: 'Copied' }).count()).toBe(1);
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    expect(copied).toBe(`curl "${app.live.origin}/api/v1/vps" \\\n  -H "Authorization: Bearer $SKYPANEL_API_KEY"`);

    // Try it: without a key she is told to enter one; nothing is sent.
    await op.getByText('Try it').click();
    await op.getByRole('button', { name: 'Send GET request' }).click();
    await expect.poll(() => op.locator('[data-status]').textContent()).toContain('your API key');

    // With her key (kept in this tab only), the call goes from her browser and shows the answer.
    await page.fill('#api-docs-key', key);
    await op.getByLabel('status (query)').fill('running');
    const call = page.waitForRequest((r) => r.url().startsWith(`${app.live.origin}/api/v1/vps`));
    await op.getByRole('button', { name: 'Send GET request' }).click();
    const sent = await call;
    expect(sent.url()).toBe(`${app.live.origin}/api/v1/vps?status=running`);
    expect(sent.headers().authorization).toBe(`Bearer ${key}`);
    expect(sent.headers().cookie).toBeUndefined();
    expect(sent.headers()['x-organization-id']).toBeUndefined();
    await expect.poll(() => op.locator('[data-status]').textContent()).toMatch(/^200 /);
    const body = JSON.parse((await op.locator('[data-response]').textContent())!) as { data: Array<{ label: string }> };
    expect(body.data.map((s) => s.label)).toEqual(['web-olive']);
    expect(await page.evaluate(() => sessionStorage.getItem('skypanel.api-docs.key'))).toBe(key);

    // A reload keeps the key for this tab; Forget removes it.
    await page.reload();
    expect(await page.inputValue('#api-docs-key')).toBe(key);
    await page.getByRole('button', { name: 'Forget' }).click();
    expect(await page.inputValue('#api-docs-key')).toBe('');
    expect(await page.evaluate(() => sessionStorage.getItem('skypanel.api-docs.key'))).toBeNull();

    // The page is long (every operation): a picture of this one operation, for a human to look at.
    await op.screenshot({ path: '.tmp/screenshots/api-docs-operation.png' });
    expectNoProblems(watch);
  });
});
