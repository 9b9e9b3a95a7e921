import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { browserFor, invitationLink, person, roleId, type Person } from './cast.ts';

let ctx: TestContext;
let olivia: Person;
let tess: Person;
beforeAll(async () => {
  ctx = await createTestContext();
  [olivia, tess] = await Promise.all([person(ctx, 'Olivia Owner'), person(ctx, 'Tess Teammate')]);
});
afterAll(async () => ctx.close());

it('Olivia creates a team and invites Tess as admin; Tess accepts and manages settings until Olivia makes her a viewer', async () => {
  const owner = await browserFor(ctx, olivia);
  await owner.get('/organizations');
  expect((await owner.post('/organizations', { name: 'Tess & Olivia Cloud' })).status).toBe(303);
  const org = await ctx.db
    .selectFrom('organizations')
    .select('id')
    .where('name', '=', 'Tess & Olivia Cloud')
    .executeTakeFirstOrThrow();
  const members = await (await owner.get('/organization/members')).text();
  expect(members).toContain('Send invitation');
  expect(
    (await owner.post('/organization/invitations', { email: tess.email, role_id: await roleId(ctx, org.id, 'admin') }))
      .status,
  ).toBe(303);

  const teammate = await browserFor(ctx, tess);
  const link = await invitationLink(ctx, tess.email);
  expect(await (await teammate.get(link)).text()).toContain('Tess &amp; Olivia Cloud');
  expect((await teammate.post(`${link}/acceptance`)).status).toBe(303);
  const before = await (await teammate.get('/dashboard')).text();
  expect(before).toContain('You are working in <strong>Tess &amp; Olivia Cloud</strong> as admin');
  expect(before).toContain('href="/organization/settings"');

  await owner.get('/organization/members');
  const change = await owner.post(
    `/organization/members/${tess.id}`,
    { role_id: await roleId(ctx, org.id, 'viewer') },
    { method: 'PATCH', headers: { 'hx-request': 'true', 'hx-target': 'members' } },
  );
  expect(change.status).toBe(200);

  const after = await (await teammate.get('/dashboard')).text();
  expect(after).toContain('as viewer');
  expect(after).not.toContain('href="/organization/settings"');
  expect((await teammate.get('/organization/settings')).status).toBe(403);
  expect(await (await teammate.get('/organization/members')).text()).not.toContain('Send invitation');
});
