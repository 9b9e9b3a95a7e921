import { randomBytes } from 'node:crypto';
import { inTransaction } from '../../src/db/index.ts';
import type { Actor } from '../../src/domain/access/actor.ts';
import { createSession } from '../../src/domain/accounts/sessions.ts';
import { issueUserToken, type TokenPurpose } from '../../src/domain/accounts/user-tokens.ts';
import { createApiKey } from '../../src/domain/api-keys/keys.ts';
import { issueStatement, previousMonth } from '../../src/domain/invoices/statements.ts';
import { createOrganization } from '../../src/domain/organizations/create.ts';
import { PERMISSIONS, PREDEFINED_ROLES, type Permission } from '../../src/domain/organizations/permissions.ts';
import { hashToken, randomToken } from '../../src/lib/crypto.ts';
import type { TestContext } from '../helpers/context.ts';
import { createPerson } from '../helpers/people.ts';

/**
 * The world the authorization matrix runs in. Acme Corporation is "our" organization: an
 * owner and one member per predefined role, plus one with a custom role that grants nothing.
 * Globex is the foreign organization; every one of its names contains "globex", so any
 * response that shows one of them to an outsider is caught by a plain text search.
 * Initechs (a new one each time) only send invitations: one from Globex would rightly put
 * "globex" on the invitee's page. Records that a successful call uses up are made per call.
 */

export type Person = { id: string; email: string; name: string };
/** The predefined roles, in PRODUCT.md order. */
export const ROLES = Object.keys(PREDEFINED_ROLES);
export const NO_ACCESS = 'No access';

const rand = () => randomBytes(5).toString('hex');
const origin = { ip: '192.0.2.1', userAgent: null };

export interface Fixtures {
  ctx: TestContext;
  acme: {
    id: string;
    name: string;
    /** Role id by name: the predefined ones, `No access` (held by the zero-permission member), `Also nothing` (what role changes give). */
    roles: Record<string, string>;
    /** An empty custom role no one holds, edited in place by the role-edit routes. */
    editableRoleId: string;
    /** A pending invitation that resending (which keeps it pending) may use again and again. */
    pendingInvitationId: string;
    /** The member holding each predefined role, and `No access`. */
    people: Record<string, Person>;
  };
  /** Last month's statement. */
  acmeInvoiceId: string;
  globex: { id: string; owner: Person; memberId: string; roleId: string; invitationId: string; invitationToken: string; apiKeyId: string; sessionId: string; invoiceId: string };
  /** A user for the admin pages to look at and edit. */
  tess: Person;
  emailId: string;
  /** Acme owner's API keys: exactly one permission, and every permission but one. */
  keys: { only: Record<Permission, string>; allBut: Record<Permission, string> };
  make: Makers;
}

export interface Makers {
  /** A verified user with no organization, made directly (no password hashing). */
  stranger(label?: string): Promise<Person>;
  /** A fresh Acme member holding `No access` (anyone with members_manage may change or remove them). */
  acmeMember(): Promise<string>;
  acmeInvitation(): Promise<string>;
  acmeRole(): Promise<string>;
  /** A pending Initech invitation addressed to `email`; returns the link's token. */
  invitationFor(email: string): Promise<string>;
  /** Another live session of `userId`; returns its id. */
  sessionOf(userId: string): Promise<string>;
  /** Another live API key of `userId` in Acme; returns its id. */
  keyOf(userId: string): Promise<string>;
  /** A valid emailed-link token of a fresh stranger. */
  userToken(purpose: TokenPurpose): Promise<string>;
  /** A top-up fraud check held for staff review. */
  heldFraudCheck(): Promise<string>;
}

async function organization(ctx: TestContext, name: string, owner: Person) {
  const org = await inTransaction(ctx.db, (trx) => createOrganization(trx, { name, ownerId: owner.id, personal: false, currency: ctx.config.BILLING_CURRENCY }));
  await ctx.db.updateTable('users').set({ active_organization_id: org.id }).where('id', '=', owner.id).execute();
  const roles = await ctx.db.selectFrom('roles').select(['id', 'name']).where('organization_id', '=', org.id).execute();
  return { id: org.id, roles: Object.fromEntries(roles.map((r) => [r.name, r.id])) as Record<string, string> };
}

async function person(ctx: TestContext, name: string, opts: { isAdmin?: boolean } = {}): Promise<Person> {
  const p = await createPerson(ctx, name, { verified: true, ...opts });
  return { id: p.id, email: p.email, name: p.name };
}

/** Puts `userId` in `orgId` with `roleId` and makes it their active organization. */
export async function join(ctx: TestContext, orgId: string, userId: string, roleId: string) {
  await ctx.db.insertInto('organization_members').values({ organization_id: orgId, user_id: userId, role_id: roleId }).execute();
  await ctx.db.updateTable('users').set({ active_organization_id: orgId }).where('id', '=', userId).execute();
}

async function customRole(ctx: TestContext, orgId: string, name: string, permissions: Permission[] = []) {
  return (await ctx.db.insertInto('roles').values({ organization_id: orgId, name, permissions, predefined: false }).returning('id').executeTakeFirstOrThrow()).id;
}

async function invitation(ctx: TestContext, orgId: string, email: string, roleId: string) {
  const token = randomToken();
  const now = ctx.clock.now();
  const { id } = await ctx.db
    .insertInto('invitations')
    .values({ organization_id: orgId, email, role_id: roleId, token_hash: hashToken(token), created_at: now, expires_at: new Date(now.getTime() + 7 * 86_400_000) })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id, token };
}

async function rawKey(ctx: TestContext, userId: string, orgId: string, permissions: Permission[]) {
  const key = `spk_${randomToken(32)}`;
  return (
    await ctx.db
      .insertInto('api_keys')
      .values({ user_id: userId, organization_id: orgId, name: 'spare key', prefix: key.slice(0, 12), key_hash: hashToken(key), permissions })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
}

const ownerActor = (userId: string, organizationId: string): Actor => ({
  userId, isPlatformAdmin: false, organizationId, roleName: 'owner', permissions: new Set(PERMISSIONS), impersonatorUserId: null, apiKeyId: null, origin,
});

export async function buildFixtures(ctx: TestContext): Promise<Fixtures> {
  const [olive, gus, gina, irene, tess] = await Promise.all(['Olive Owner', 'Gus Globex', 'Gina Globex', 'Irene Initech', 'Tess Target'].map((n) => person(ctx, n)));
  const acme = { ...(await organization(ctx, 'Acme Corporation', olive!)), name: 'Acme Corporation' };
  const globex = await organization(ctx, 'Globex Corporation', gus!);

  acme.roles[NO_ACCESS] = await customRole(ctx, acme.id, NO_ACCESS);
  acme.roles['Also nothing'] = await customRole(ctx, acme.id, 'Also nothing');
  const editableRoleId = await customRole(ctx, acme.id, 'Editable');

  const names: Record<string, string> = {
    admin: 'Alma Admin', member: 'Mia Member', vps_manager: 'Victor Vps', hosting_manager: 'Hana Hosting',
    support_agent: 'Sam Support', viewer: 'Vera Viewer', [NO_ACCESS]: 'Zed Nobody',
  };
  const people: Record<string, Person> = { owner: olive! };
  for (const [role, name] of Object.entries(names)) {
    people[role] = await person(ctx, name);
    await join(ctx, acme.id, people[role]!.id, acme.roles[role]!);
  }
  await join(ctx, globex.id, gina!.id, globex.roles.viewer!);

  const make: Makers = {
    async stranger(label = 'stranger') {
      const email = `${label.toLowerCase().replace(/\W+/g, '-')}-${rand()}@example.test`;
      const row = await ctx.db.insertInto('users').values({ email, name: label, password_hash: 'x', email_verified_at: ctx.clock.now() }).returning('id').executeTakeFirstOrThrow();
      return { id: row.id, email, name: label };
    },
    async acmeMember() {
      const p = await make.stranger('Temp member');
      await join(ctx, acme.id, p.id, acme.roles[NO_ACCESS]!);
      return p.id;
    },
    async acmeInvitation() {
      return (await invitation(ctx, acme.id, `invitee-${rand()}@example.test`, acme.roles['Also nothing']!)).id;
    },
    acmeRole: () => customRole(ctx, acme.id, `Temp ${rand()}`),
    async invitationFor(email) {
      // A new inviting organization each time: one pending invitation per address and organization.
      const from = await inTransaction(ctx.db, (trx) => createOrganization(trx, { name: 'Initech', ownerId: irene!.id, personal: false, currency: ctx.config.BILLING_CURRENCY }));
      const role = await ctx.db.selectFrom('roles').select('id').where('organization_id', '=', from.id).where('name', '=', 'viewer').executeTakeFirstOrThrow();
      return (await invitation(ctx, from.id, email, role.id)).token;
    },
    async sessionOf(userId) {
      return (await createSession(ctx.db, ctx.config, userId, 'full', origin, ctx.clock.now())).sessionId;
    },
    keyOf: (userId) => rawKey(ctx, userId, acme.id, []),
    async userToken(purpose) {
      const p = await make.stranger('Link holder');
      return issueUserToken(ctx.db, p.id, purpose, p.email, ctx.clock.now());
    },
    async heldFraudCheck() {
      return (await ctx.db.insertInto('fraud_checks').values({ subject: 'top_up', status: 'review', email: `held-${rand()}@example.test`, score: 80 }).returning('id').executeTakeFirstOrThrow()).id;
    },
  };

  // The owner's keys, made through the domain as Settings → API keys would.
  const owner = ownerActor(olive!.id, acme.id);
  const key = async (permissions: Permission[]) => (await createApiKey(ctx.deps, owner, { name: `key ${rand()}`, organization_id: acme.id, permissions })).key;
  const only = {} as Record<Permission, string>;
  const allBut = {} as Record<Permission, string>;
  for (const p of PERMISSIONS) {
    only[p] = await key([p]);
    allBut[p] = await key(PERMISSIONS.filter((q) => q !== p));
  }

  const globexInvitation = await invitation(ctx, globex.id, `someone-${rand()}@globex.example`, globex.roles.viewer!);
  const pending = await invitation(ctx, acme.id, `pending-${rand()}@example.test`, acme.roles['Also nothing']!);
  // An unverified registration queues a welcome email: the outbox row for /admin/outbox/:id.
  await createPerson(ctx, 'Una Unverified');
  const email = await ctx.db.selectFrom('emails').select('id').limit(1).executeTakeFirstOrThrow();

  const statement = (orgId: string) => issueStatement(ctx.deps, orgId, previousMonth(ctx.clock.now()));

  return {
    ctx,
    acme: { ...acme, editableRoleId, pendingInvitationId: pending.id, people },
    acmeInvoiceId: (await statement(acme.id)).id,
    globex: {
      id: globex.id, owner: gus!, memberId: gina!.id, roleId: await customRole(ctx, globex.id, 'Globex auditors', ['vps_view']),
      invitationId: globexInvitation.id, invitationToken: globexInvitation.token,
      apiKeyId: await rawKey(ctx, gus!.id, globex.id, ['vps_view']),
      sessionId: await make.sessionOf(gus!.id),
      invoiceId: (await statement(globex.id)).id,
    },
    tess: tess!,
    emailId: email.id,
    keys: { only, allBut },
    make,
  };
}
