import { person } from '../api/client.ts';
import { joinAs } from '../api-keys/helpers.ts';
import { insertServer } from '../firewalls/servers.ts';
import type { TestContext } from '../helpers/context.ts';
import type { SeededCatalogue } from '../helpers/servers.ts';

/**
 * The notes tests' cast: Acme, owned by Olive, where Mia (member) writes notes, Vera (viewer)
 * reads them and Quinn (a custom role with no notes permission) sees none; Gus owns Globex and
 * must find none of Acme's. Servers: acme-web, acme-old (deleted) and Globex's globex-db.
 */
export async function acmeCast(ctx: TestContext, catalogue: SeededCatalogue) {
  const [olive, mia, vera, quinn, gus] = await Promise.all(
    ['Olive Owner', 'Mia Member', 'Vera Viewer', 'Quinn Quiet', 'Gus Globex'].map((n) => person(ctx, n)),
  );
  const acme = olive!.organizationId;
  await joinAs(ctx, acme, mia!.id, 'member');
  await joinAs(ctx, acme, vera!.id, 'viewer');
  const quiet = await ctx.db
    .insertInto('roles')
    .values({ organization_id: acme, name: 'Servers only', permissions: ['vps_view'], predefined: false })
    .returning('id')
    .executeTakeFirstOrThrow();
  await ctx.db
    .insertInto('organization_members')
    .values({ organization_id: acme, user_id: quinn!.id, role_id: quiet.id })
    .execute();
  await ctx.db.updateTable('users').set({ active_organization_id: acme }).where('id', '=', quinn!.id).execute();
  const web = await insertServer(ctx, catalogue, acme, { label: 'acme-web' });
  const gone = await insertServer(ctx, catalogue, acme, { label: 'acme-old', deleted: true });
  const globexDb = await insertServer(ctx, catalogue, gus!.organizationId, { label: 'globex-db' });
  return {
    olive: olive!,
    mia: mia!,
    vera: vera!,
    quinn: quinn!,
    gus: gus!,
    acme,
    globex: gus!.organizationId,
    web,
    gone,
    globexDb,
  };
}
