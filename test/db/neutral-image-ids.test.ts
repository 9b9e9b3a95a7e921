import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { up } from '../../migrations/2026_12_01_0013_neutral_image_ids.ts';
import { insertServer } from '../firewalls/servers.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createPerson } from '../helpers/people.ts';
import { seedServerCatalogue } from '../helpers/servers.ts';

/** Ids stored before image ids became neutral lose the provider's prefix, wherever they were kept. */
let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => ctx.close());

describe('the neutral image ids migration', () => {
  it('strips linode/ from allowed images, servers and the cached catalogue, and leaves other ids alone', async () => {
    const catalogue = await seedServerCatalogue(ctx.db);
    const p = catalogue.providerId;
    const owner = await createPerson(ctx, 'Mia Migrate');
    await ctx.db
      .insertInto('server_images')
      .values([
        { provider_id: p, image_id: 'linode/rocky9', label: 'Rocky Linux 9' },
        // Both forms allowed: the prefixed one goes, the bare one stays.
        { provider_id: p, image_id: 'linode/debian12', label: 'Debian 12 (old)' },
        { provider_id: p, image_id: 'private/77', label: 'Golden image' },
      ])
      .execute();
    const server = await insertServer(ctx, catalogue, owner.organization.id);
    await ctx.db.updateTable('servers').set({ image: 'linode/debian12' }).where('id', '=', server.id).execute();
    const now = new Date();
    await ctx.db
      .insertInto('cloud_catalogue')
      .values([
        {
          provider_id: p,
          kind: 'image',
          external_id: 'linode/ubuntu24.04',
          data: JSON.stringify({ id: 'linode/ubuntu24.04', label: 'Ubuntu' }),
          refreshed_at: now,
        },
        {
          provider_id: p,
          kind: 'image',
          external_id: 'linode/debian12',
          data: JSON.stringify({ id: 'linode/debian12' }),
          refreshed_at: now,
        },
        {
          provider_id: p,
          kind: 'image',
          external_id: 'debian12',
          data: JSON.stringify({ id: 'debian12' }),
          refreshed_at: now,
        },
        {
          provider_id: p,
          kind: 'script',
          external_id: '401697',
          data: JSON.stringify({ id: '401697', images: ['linode/debian12', 'private/5', 'any/all', 'linode/a/b'] }),
          refreshed_at: now,
        },
      ])
      .execute();

    await up(ctx.db as never);

    const images = await ctx.db
      .selectFrom('server_images')
      .select(['image_id', 'label'])
      .where('provider_id', '=', p)
      .orderBy('image_id')
      .execute();
    expect(images.map((i) => i.image_id)).toEqual(['almalinux9', 'debian12', 'private/77', 'rocky9', 'ubuntu24.04']);
    expect(images.find((i) => i.image_id === 'debian12')!.label).toBe('Debian 12');
    expect(
      (await ctx.db.selectFrom('servers').select('image').where('id', '=', server.id).executeTakeFirstOrThrow()).image,
    ).toBe('debian12');
    const cached = await ctx.db
      .selectFrom('cloud_catalogue')
      .select(['kind', 'external_id', 'data'])
      .where('provider_id', '=', p)
      .orderBy('external_id')
      .execute();
    expect(cached.map((c) => [c.kind, c.external_id, c.data])).toEqual([
      ['script', '401697', { id: '401697', images: ['debian12', 'private/5', 'any/all', 'linode/a/b'] }],
      ['image', 'debian12', { id: 'debian12' }],
      ['image', 'ubuntu24.04', { id: 'ubuntu24.04', label: 'Ubuntu' }],
    ]);
  });
});
