import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptInvitation } from '../../src/domain/organizations/invitation-answers.ts';
import { inviteMember } from '../../src/domain/organizations/invitations.ts';
import { apiClient, tokenFor } from '../api/client.ts';
import { keyFor } from '../api-keys/helpers.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createPerson, PASSWORD, signedIn, uniqueEmail } from '../helpers/people.ts';
import { invitationLink } from '../organizations/cast.ts';
import { actorFor } from '../servers/helpers.ts';

/**
 * Notifications about a person's own account and team (issue 14 item 6): a sign-in from a new
 * device, an API key created, an invitation to a team and who joined it. Security is always
 * told, whatever the person muted; a team event follows the `team` switch.
 */
let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext({ RATE_LIMIT_AUTH_ACTIONS: '10000' });
});
afterAll(async () => ctx.close());

const person = (name: string) => createPerson(ctx, name, { email: uniqueEmail(name), verified: true });
const told = (userId: string, kind: string) =>
  ctx.db
    .selectFrom('notifications')
    .select(['kind', 'organization_id', 'data'])
    .where('user_id', '=', userId)
    .where('kind', '=', kind)
    .orderBy('created_at')
    .execute();

describe('security', () => {
  it('a sign-in is told once per device (address and browser), and even with every category muted', async () => {
    const sid = await person('Sid Signin');
    await ctx.db
      .updateTable('users')
      .set({
        inbox_servers: false,
        inbox_billing: false,
        inbox_team: false,
        inbox_maintenance: false,
        inbox_general: false,
      })
      .where('id', '=', sid.id)
      .execute();
    await signedIn(ctx, sid.email, PASSWORD, '192.0.2.51');
    await signedIn(ctx, sid.email, PASSWORD, '192.0.2.51');
    expect(await told(sid.id, 'security.sign_in')).toHaveLength(1);
    await signedIn(ctx, sid.email, PASSWORD, '192.0.2.52');
    const both = await told(sid.id, 'security.sign_in');
    expect(both.map((n) => n.data.ip)).toEqual(['192.0.2.51', '192.0.2.52']);
    expect(both[0]!.organization_id).toBeNull();
  });

  it('an API key created is told to its creator, with its name and prefix, never its secret', async () => {
    const kay = await person('Kay Keys');
    const { key } = await keyFor(ctx, kay.email, '192.0.2.53', {
      name: 'deploy bot',
      organization_id: kay.organization.id,
      permissions: ['vps_view'],
    });
    const [n] = await told(kay.id, 'security.api_key');
    expect(n!.data).toMatchObject({ name: 'deploy bot', prefix: key.slice(0, (n!.data.prefix as string).length) });
    expect(JSON.stringify(n!.data)).not.toContain(key);
    const api = apiClient(ctx, '192.0.2.53');
    const token = await tokenFor(ctx, kay.email, '192.0.2.53');
    const listed = await api('GET', '/notifications?category=security', { token });
    expect(listed.body.data.map((x: { title: string }) => x.title)).toContain('API key “deploy bot” was created');
  });
});

describe('team', () => {
  it('an invitation tells the invitee who has an account; accepting it tells who manages members, not the newcomer', async () => {
    const olga = await person('Olga Inviter');
    const ivan = await person('Ivan Invitee');
    const admin = await person('Ada Admin');
    const olgaActor = actorFor(olga, olga.organization.id);
    // Ada is an admin of Olga's organization: admins may not manage members, so she is not told.
    const adminRole = await ctx.db
      .selectFrom('roles')
      .select('id')
      .where('organization_id', '=', olga.organization.id)
      .where('name', '=', 'admin')
      .executeTakeFirstOrThrow();
    await ctx.db
      .insertInto('organization_members')
      .values({ organization_id: olga.organization.id, user_id: admin.id, role_id: adminRole.id })
      .execute();
    const member = await ctx.db
      .selectFrom('roles')
      .select('id')
      .where('organization_id', '=', olga.organization.id)
      .where('name', '=', 'member')
      .executeTakeFirstOrThrow();
    await inviteMember(ctx.deps, olgaActor, { email: ivan.email, role_id: member.id });
    const [invited] = await told(ivan.id, 'team.invited');
    expect(invited).toMatchObject({
      organization_id: null,
      data: { actor: 'Olga Inviter', organization: olga.organization.name, role: 'member' },
    });

    const token = (await invitationLink(ctx, ivan.email)).split('/').at(-1)!;
    await acceptInvitation(ctx.deps, actorFor(ivan, ivan.organization.id), token);
    const [joined] = await told(olga.id, 'team.joined');
    expect(joined).toMatchObject({
      organization_id: olga.organization.id,
      data: { actor: 'Ivan Invitee', role: 'member' },
    });
    expect(await told(ivan.id, 'team.joined')).toEqual([]);
    expect(await told(admin.id, 'team.joined')).toEqual([]);
  });

  it('a muted team category tells nobody', async () => {
    const olga = await person('Olga Quiet');
    const ivan = await person('Ivan Muted');
    await ctx.db.updateTable('users').set({ inbox_team: false }).where('id', '=', ivan.id).execute();
    const member = await ctx.db
      .selectFrom('roles')
      .select('id')
      .where('organization_id', '=', olga.organization.id)
      .where('name', '=', 'member')
      .executeTakeFirstOrThrow();
    await inviteMember(ctx.deps, actorFor(olga, olga.organization.id), { email: ivan.email, role_id: member.id });
    expect(await told(ivan.id, 'team.invited')).toEqual([]);
  });
});
