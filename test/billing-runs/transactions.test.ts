import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from '../../src/domain/servers/create.ts';
import { PASSWORD, signedIn } from '../helpers/people.ts';
import { usd } from '../helpers/servers.ts';
import { actorFor } from '../servers/helpers.ts';
import { customer, serverWorld, type ServerWorld } from '../web-servers/helpers.ts';
import { chargeHour, dbHour } from './helpers.ts';

let world: ServerWorld;
beforeAll(async () => {
  world = await serverWorld();
});
afterAll(async () => {
  await world?.close();
});

const SMALL = 20_548n;
const MEDIUM = 41_096n;

describe('the transaction list at scale', () => {
  it('shows an hour’s charges as one line for the organization, expandable to its servers', async () => {
    const tia = await customer(world, 'Tia Transactions', usd(50));
    const org = tia.organization.id;
    const make = async (label: string, plan: 'small' | 'medium') =>
      (
        await createServer(world.ctx.deps, actorFor(tia, org), {
          label,
          region: 'us-east',
          planId: world.catalogue.plans[plan].id,
          image: 'debian12',
        })
      ).server.id;
    const web = await make('web-x', 'small');
    const db = await make('db-y', 'medium');
    const posting = await chargeHour(world.ctx.db, org, await dbHour(world.ctx.db, -1), [
      { id: web, amount: SMALL, rate: SMALL },
      { id: db, amount: MEDIUM, rate: MEDIUM },
    ]);

    const browser = await signedIn(world.ctx, tia.email, PASSWORD);
    for (const path of ['/billing/transactions', '/billing']) {
      const html = await (await browser.get(path)).text();
      const line = html.slice(html.indexOf(`/billing/transactions/${posting}`));
      const details = line.slice(line.indexOf('<details>'), line.indexOf('</details>'));
      expect(details).toContain('2 servers');
      expect(details).toContain(`href="/vps/${db}">db-y</a>: 1 hour, $0.0411`);
      expect(details).toContain(`href="/vps/${web}">web-x</a>: 1 hour, $0.0205`);
      // One line for the hour: the posting appears once.
      expect(html.split(`/billing/transactions/${posting}"`).length - 1).toBe(1);
    }
  });
});
