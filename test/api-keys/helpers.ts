import { TestBrowser } from '../helpers/browser.ts';
import type { TestContext } from '../helpers/context.ts';
import { apiClient, tokenFor } from '../api/client.ts';

/** Puts `userId` into `organizationId` with one of its predefined roles (and makes it their active one). */
export async function joinAs(ctx: TestContext, organizationId: string, userId: string, roleName: string) {
  const role = await ctx.db
    .selectFrom('roles')
    .select('id')
    .where('organization_id', '=', organizationId)
    .where('name', '=', roleName)
    .executeTakeFirstOrThrow();
  await ctx.db
    .insertInto('organization_members')
    .values({ organization_id: organizationId, user_id: userId, role_id: role.id })
    .execute();
  await ctx.db.updateTable('users').set({ active_organization_id: organizationId }).where('id', '=', userId).execute();
}

/** Moves a member to another predefined role, as a role change by an owner would. */
export async function changeRole(ctx: TestContext, organizationId: string, userId: string, roleName: string) {
  const role = await ctx.db
    .selectFrom('roles')
    .select('id')
    .where('organization_id', '=', organizationId)
    .where('name', '=', roleName)
    .executeTakeFirstOrThrow();
  await ctx.db
    .updateTable('organization_members')
    .set({ role_id: role.id })
    .where('organization_id', '=', organizationId)
    .where('user_id', '=', userId)
    .execute();
}

/** Submits a form whose fields may repeat (checkboxes), as a browser does; the TestBrowser's own `post` cannot. */
export async function postForm(
  ctx: TestContext,
  browser: TestBrowser,
  path: string,
  pairs: [string, string][],
  ip = '203.0.113.10',
) {
  const cookie = [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  return ctx.app.request(path, {
    method: 'POST',
    headers: {
      'sec-fetch-site': 'same-origin',
      'x-forwarded-for': ip,
      cookie,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams([['_csrf', browser.csrf], ...pairs]),
  });
}

/** An API key made through the JSON API with the person's access token; returns the secret and its id. */
export async function keyFor(
  ctx: TestContext,
  email: string,
  ip: string,
  body: { name?: string; organization_id: string; permissions: string[]; expires_at?: string },
) {
  const token = await tokenFor(ctx, email, ip);
  const res = await apiClient(ctx, ip)('POST', '/api-keys', { token, body: { name: 'test key', ...body } });
  if (res.status !== 201) throw new Error(`key creation failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { key: res.body.key as string, id: res.body.id as string, token };
}

/** The activity rows with `action`, oldest first. */
export async function activityOf(ctx: TestContext, action: string, actorUserId?: string | null) {
  let q = ctx.db.selectFrom('activity_log').selectAll().where('action', '=', action);
  if (actorUserId !== undefined)
    q = actorUserId === null ? q.where('actor_user_id', 'is', null) : q.where('actor_user_id', '=', actorUserId);
  return q.orderBy('occurred_at').execute();
}
