import { describe, expect, it } from 'vitest';
import { createServer } from '../../src/domain/servers/create.ts';
import { deleteServer } from '../../src/domain/servers/delete.ts';
import { organizationServerSummary } from '../../src/domain/servers/summary.ts';
import { createPerson, PASSWORD, signedIn, uniqueEmail } from '../helpers/people.ts';
import { actorFor, setBalance, settle, smallServer, useServersWorld } from './helpers.ts';

const w = useServersWorld();

describe('an organization’s servers at a glance', () => {
  it('counts live servers, running ones, and what they cost a month at today’s prices (with backups)', async () => {
    const zoe = await createPerson(w.ctx, 'Zoe Zero', { verified: true, email: uniqueEmail('zoe') });
    const org = zoe.organization.id;
    const zoeActor = actorFor(zoe, org);
    expect(await organizationServerSummary(w.ctx.db, org)).toEqual({
      count: 0,
      active: 0,
      monthlyEstimate: 0n,
      currency: null,
    });
    const browser = await signedIn(w.ctx, zoe.email, PASSWORD);
    let dashboard = await (await browser.get('/dashboard')).text();
    expect(dashboard).toContain('You have no servers yet.');

    await setBalance(w, org, 10_000_000n);
    const running = (await createServer(w.ctx.deps, zoeActor, smallServer(w, { backups: true }))).server;
    await settle(w, running.id);
    await createServer(w.ctx.deps, zoeActor, smallServer(w, { planId: w.catalogue.plans.medium.id }));
    const gone = (await createServer(w.ctx.deps, zoeActor, smallServer(w))).server;
    await deleteServer(w.ctx.deps, zoeActor, gone.id);
    w.cloud.emu.inject({ type: 'validation' }, { op: 'create_instance' });
    expect((await createServer(w.ctx.deps, zoeActor, smallServer(w))).server.status).toBe('failed');

    // Small with backups (12 + 3 + 3) and medium (24 + 6); the deleted and the failed ones do not count.
    expect(await organizationServerSummary(w.ctx.db, org)).toEqual({
      count: 2,
      active: 1,
      monthlyEstimate: 48_000_000n,
      currency: 'USD',
    });

    dashboard = await (await browser.get('/dashboard')).text();
    expect(dashboard).toMatch(/data-testid="server-count">2</);
    expect(dashboard).toContain('1 running');
    const billing = await (await browser.get('/billing')).text();
    expect(billing).toMatch(/data-testid="active-servers">1</);
    expect(billing).toMatch(/data-testid="monthly-estimate">\$48\.00</);
  });
});
