import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerJobs } from '../jobs/index.ts';
import { runDunning } from '../src/domain/dunning/run.ts';
import { createServer } from '../src/domain/servers/create.ts';
import type { CloudProvider } from '../src/providers/cloud.ts';
import { startLinodeEmulator, type LinodeEmulator } from '../src/providers/linode/emulator/index.ts';
import { createLinodeProvider } from '../src/providers/linode/index.ts';
import { fundWallet } from '../test/helpers/money.ts';
import { createPerson, PASSWORD } from '../test/helpers/people.ts';
import { seedServerCatalogue, type SeededCatalogue } from '../test/helpers/servers.ts';
import { actorFor } from '../test/servers/helpers.ts';
import { expectNoProblems, openPage, screenshot, useLiveApp } from './helpers.ts';

// The demo emulator (real time, transitions of a few seconds) and the app's workers: the
// follow-up job moves servers and the `billing.dunning` job the top-up queues lifts the
// suspension. Dunning's clock is the app's test clock, moved past the suspension; sessions
// stay alive across that jump.
let emu: LinodeEmulator;
const opts: { paypalEmulator: boolean; cloud?: CloudProvider } = { paypalEmulator: true };
beforeAll(async () => {
  emu = await startLinodeEmulator({ demo: true });
  opts.cloud = createLinodeProvider({ baseUrl: emu.url, token: emu.token });
});
const app = useLiveApp({ SESSION_IDLE_MINUTES: '43200' }, opts);
let catalogue: SeededCatalogue;
beforeAll(async () => {
  catalogue = await seedServerCatalogue(app.live.ctx.db);
  await registerJobs(app.live.ctx.deps);
});
afterAll(async () => {
  await emu?.close();
});

const HOUR = 3_600_000;

describe('dunning', () => {
  it('Dora runs out of money: she sees the banner, then her server suspended; she tops up with PayPal and sees it boot again', async () => {
    const { ctx } = app.live;
    const dora = await createPerson(ctx, 'Dora Debtor', { verified: true });
    const org = dora.organization.id;
    const actor = actorFor(dora, org);
    await fundWallet(ctx.db, org, 1_000_000n);
    const { server } = await createServer(ctx.deps, actor, {
      label: 'shop-1',
      region: 'us-east',
      planId: catalogue.plans.small.id,
      image: catalogue.images[0]!,
    });
    const status = async () =>
      (await ctx.db.selectFrom('servers').select('status').where('id', '=', server.id).executeTakeFirstOrThrow())
        .status;
    await expect.poll(status, { timeout: 30_000, interval: 250 }).toBe('running');

    // Usage keeps being charged after the money ran out: the balance is below zero.
    await fundWallet(ctx.db, org, -4_000_000n);
    await runDunning(ctx.deps);

    const watch = await openPage(app.browser);
    const { page } = watch;
    const origin = app.live.origin;
    await page.goto(`${origin}/login`);
    await page.fill('#f-email', dora.email);
    await page.fill('#f-password', PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${origin}/dashboard`);
    const banner = page.getByTestId('arrears-banner');
    expect(await banner.getByTestId('arrears-balance').textContent()).toMatch(/^-\$3\.\d\d$/);
    expect(await banner.textContent()).toContain('will be suspended on');
    await screenshot(page, 'dunning-banner');

    // A day later the job powers the server off and suspends it.
    ctx.clock.advance(24 * HOUR + 60_000);
    await runDunning(ctx.deps);
    expect(await status()).toBe('suspended');
    await page.goto(`${origin}/vps/${server.id}`);
    expect(await page.getByTestId('server-status').textContent()).toBe('Suspended');
    expect(await page.getByText('This server is suspended').count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Power on' }).count()).toBe(0);
    expect(await banner.textContent()).toContain('Its servers are suspended');
    await screenshot(page, 'dunning-suspended');
    // The provider finishes powering it off.
    const instance = (
      await ctx.db
        .selectFrom('servers')
        .select('provider_instance_id')
        .where('id', '=', server.id)
        .executeTakeFirstOrThrow()
    ).provider_instance_id!;
    await expect.poll(() => emu.instance(instance)?.status, { timeout: 30_000, interval: 250 }).toBe('offline');

    // Add funds from the banner, with PayPal (the emulator the app serves).
    await banner.getByRole('link', { name: 'Add funds' }).click();
    await page.waitForURL(`${origin}/billing#add-funds-h`);
    await page.getByRole('button', { name: 'Add $25.00' }).click();
    await page.waitForURL(new RegExp(`^${origin}/_emulators/paypal/checkoutnow\\?token=`));
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.waitForURL(new RegExp(`^${origin}/billing/payment/success\\?token=`));
    expect(await page.getByTestId('new-balance').textContent()).toMatch(/^\$21\.\d\d$/);
    expect(await page.getByTestId('arrears-banner').count()).toBe(0);

    // The suspension lifted at once: the server that was running boots again, and the page shows it.
    await page.goto(`${origin}/vps/${server.id}`);
    await expect
      .poll(() => page.getByTestId('server-status').textContent(), { timeout: 30_000, interval: 250 })
      .toBe('Running');
    expect(await page.getByText('This server is suspended').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Reboot' }).count()).toBe(1);
    expect(emu.instance(instance)?.status).toBe('running');
    await screenshot(page, 'dunning-lifted');

    expectNoProblems(watch);
    await watch.context.close();
  });
});
