import { inTransaction } from '../../src/db/index.ts';
import { createOrganization } from '../../src/domain/organizations/create.ts';
import type { TestContext } from '../helpers/context.ts';
import { createPerson, PASSWORD, signedIn, uniqueEmail } from '../helpers/people.ts';
import type { TestBrowser } from '../helpers/browser.ts';
import { receivedEmail } from '../helpers/mail.ts';

/** Helpers for the organization tests: people, memberships made directly, and emailed links. */

let ipCounter = 0;
/** A fresh client address per browser, so sign-ins never share the per-IP sign-in budget. */
export const nextIp = () => `198.51.100.${(++ipCounter % 250) + 1}`;

export type Person = Awaited<ReturnType<typeof createPerson>>;

/** A verified person (unless `verified: false`) with their personal organization, at an address no other test uses. */
export function person(
  ctx: TestContext,
  name: string,
  opts: { verified?: boolean; isAdmin?: boolean } = {},
): Promise<Person> {
  return createPerson(ctx, name, { verified: true, email: uniqueEmail(name), ...opts });
}

/** Several verified people at once, in the order named. */
export function people<const N extends readonly string[]>(
  ctx: TestContext,
  ...names: N
): Promise<{ -readonly [K in keyof N]: Person }> {
  return Promise.all(names.map((n) => person(ctx, n))) as Promise<{ -readonly [K in keyof N]: Person }>;
}

/** Signs `p` in through the real form from a fresh address. */
export function browserFor(ctx: TestContext, p: { email: string }): Promise<TestBrowser> {
  return signedIn(ctx, p.email, PASSWORD, nextIp());
}

/** A new team organization owned by `owner` and made her active one (setup, not under test); returns its id. */
export async function team(ctx: TestContext, owner: Person, name = 'Acme Hosting'): Promise<string> {
  const org = await inTransaction(ctx.db, (trx) =>
    createOrganization(trx, { name, ownerId: owner.id, personal: false, currency: 'USD' }),
  );
  await ctx.db.updateTable('users').set({ active_organization_id: org.id }).where('id', '=', owner.id).execute();
  return org.id;
}

export async function roleId(ctx: TestContext, orgId: string, name: string): Promise<string> {
  return (
    await ctx.db
      .selectFrom('roles')
      .select('id')
      .where('organization_id', '=', orgId)
      .where('name', '=', name)
      .executeTakeFirstOrThrow()
  ).id;
}

/** Puts `userId` in `orgId` with role `roleName` and makes it their active organization (setup, not under test). */
export async function join(ctx: TestContext, orgId: string, userId: string, roleName: string): Promise<void> {
  await ctx.db
    .insertInto('organization_members')
    .values({ organization_id: orgId, user_id: userId, role_id: await roleId(ctx, orgId, roleName) })
    .execute();
  await ctx.db.updateTable('users').set({ active_organization_id: orgId }).where('id', '=', userId).execute();
}

/** A custom role made directly in the database (setup). */
export async function customRole(
  ctx: TestContext,
  orgId: string,
  name: string,
  permissions: string[],
): Promise<string> {
  return (
    await ctx.db
      .insertInto('roles')
      .values({ organization_id: orgId, name, permissions, predefined: false })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
}

export async function roleOf(ctx: TestContext, orgId: string, userId: string): Promise<string | null> {
  const row = await ctx.db
    .selectFrom('organization_members as m')
    .innerJoin('roles as r', 'r.id', 'm.role_id')
    .select('r.name')
    .where('m.organization_id', '=', orgId)
    .where('m.user_id', '=', userId)
    .executeTakeFirst();
  return row?.name ?? null;
}

/** The path of the newest invitation link emailed to `email`. */
export async function invitationLink(ctx: TestContext, email: string): Promise<string> {
  const mail = (await receivedEmail(ctx, email, 'invitation'))!;
  return /\/invitations\/[\w-]+/.exec(mail.text)![0];
}

/** Activity rows with `action` in `orgId`. */
export async function activity(ctx: TestContext, orgId: string, action: string) {
  return ctx.db
    .selectFrom('activity_log')
    .selectAll()
    .where('organization_id', '=', orgId)
    .where('action', '=', action)
    .orderBy('occurred_at')
    .execute();
}

/** Sends a form with repeated keys (checkbox lists), like a browser would, with the page's CSRF token. */
export async function sendForm(
  ctx: TestContext,
  browser: TestBrowser,
  method: string,
  path: string,
  pairs: [string, string][],
  headers: Record<string, string> = {},
) {
  const cookie = [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  return ctx.app.request(path, {
    method,
    headers: {
      'sec-fetch-site': 'same-origin',
      'x-forwarded-for': '203.0.113.99',
      cookie,
      'content-type': 'application/x-www-form-urlencoded',
      ...headers,
    },
    body: new URLSearchParams([['_csrf', browser.csrf], ...pairs]),
  });
}
