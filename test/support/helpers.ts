import type { Actor } from '../../src/domain/access/actor.ts';
import { person } from '../api/client.ts';
import { joinAs } from '../api-keys/helpers.ts';
import { requestActor } from '../authz/actors.ts';
import { insertServer } from '../firewalls/servers.ts';
import type { TestContext } from '../helpers/context.ts';
import { signedIn } from '../helpers/people.ts';
import type { SeededCatalogue } from '../helpers/servers.ts';

/** The actor production builds for `email`'s browser session. */
export async function actorOf(ctx: TestContext, email: string): Promise<Actor> {
  const b = await signedIn(ctx, email);
  const cookie = [...b.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  return requestActor(ctx, { cookie });
}

/**
 * Acme: Olive (owner), Mia (member: tickets_view + tickets_create), Sam (a custom role with
 * tickets_create only: sees only his own tickets), Vera (viewer: reads, cannot write), Quinn
 * (no ticket permission). Gus owns Globex. Ada is a platform admin (the support staff).
 */
export async function supportCast(ctx: TestContext, catalogue: SeededCatalogue) {
  const [olive, mia, sam, vera, quinn, gus, ada] = await Promise.all([
    person(ctx, 'Olive Owner'),
    person(ctx, 'Mia Member'),
    person(ctx, 'Sam Submitter'),
    person(ctx, 'Vera Viewer'),
    person(ctx, 'Quinn Quiet'),
    person(ctx, 'Gus Globex'),
    person(ctx, 'Ada Admin', { isAdmin: true }),
  ]);
  const acme = olive.organizationId;
  await joinAs(ctx, acme, mia.id, 'member');
  await joinAs(ctx, acme, vera.id, 'viewer');
  for (const [who, permissions, name] of [
    [sam, ['tickets_create'], 'Ticket writer'],
    [quinn, ['vps_view'], 'Servers only'],
  ] as const) {
    const role = await ctx.db
      .insertInto('roles')
      .values({ organization_id: acme, name, permissions: [...permissions], predefined: false })
      .returning('id')
      .executeTakeFirstOrThrow();
    await ctx.db
      .insertInto('organization_members')
      .values({ organization_id: acme, user_id: who.id, role_id: role.id })
      .execute();
    await ctx.db.updateTable('users').set({ active_organization_id: acme }).where('id', '=', who.id).execute();
  }
  const web = await insertServer(ctx, catalogue, acme, { label: 'acme-web' });
  await ctx.db
    .updateTable('servers')
    .set({ ipv4: ['203.0.113.10'] })
    .where('id', '=', web.id)
    .execute();
  const globexDb = await insertServer(ctx, catalogue, gus.organizationId, { label: 'globex-db' });
  return { olive, mia, sam, vera, quinn, gus, ada, acme, globex: gus.organizationId, web, globexDb };
}
