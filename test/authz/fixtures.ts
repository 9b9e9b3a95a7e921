import { randomBytes } from 'node:crypto';
import { generate } from 'otplib';
import { inTransaction } from '../../src/db/index.ts';
import type { Actor } from '../../src/domain/access/actor.ts';
import { authenticatePassword } from '../../src/domain/accounts/login.ts';
import { createSession } from '../../src/domain/accounts/sessions.ts';
import { beginTotpSetup, confirmTotpSetup } from '../../src/domain/accounts/two-factor.ts';
import { issueUserToken, type TokenPurpose } from '../../src/domain/accounts/user-tokens.ts';
import { recordActivity } from '../../src/domain/activity/record.ts';
import { createApiKey } from '../../src/domain/api-keys/keys.ts';
import { refundPayment } from '../../src/domain/payments/refunds.ts';
import { captureTopUp, startTopUp } from '../../src/domain/payments/top-ups.ts';
import { post } from '../../src/domain/ledger/post.ts';
import { issueStatement, previousMonth } from '../../src/domain/invoices/statements.ts';
import { createOrganization } from '../../src/domain/organizations/create.ts';
import { PERMISSIONS, PREDEFINED_ROLES, type Permission } from '../../src/domain/access/permissions.ts';
import type { PayPalEmulator } from '../../src/providers/paypal/emulator/index.ts';
import { hashToken, randomToken } from '../../src/lib/crypto.ts';
import type { TestContext } from '../helpers/context.ts';
import { createPerson, PASSWORD, uniqueEmail } from '../helpers/people.ts';
import type { SeededCatalogue, TestCloud } from '../helpers/servers.ts';

/**
 * The world the authorization matrix runs in. Acme Corporation is "our" organization: an
 * owner and one member per predefined role, plus one with a custom role that grants nothing.
 * Globex is the foreign organization; every one of its names contains "globex", so any
 * response that shows one of them to an outsider is caught by a plain text search.
 * Initechs (a new one each time) only send invitations: one from Globex would rightly put
 * "globex" on the invitee's page. Everything a call uses up or changes is made for that call
 * by the makers below, so each call finds what it names, whatever ran before it.
 */

export type Person = { id: string; email: string; name: string };
/** The predefined roles, in PRODUCT.md order. */
export const ROLES = Object.keys(PREDEFINED_ROLES);
export const NO_ACCESS = 'No access';

const rand = () => randomBytes(5).toString('hex');
const origin = { ip: '192.0.2.1', userAgent: null };

export interface Fixtures {
  ctx: TestContext;
  /** The PayPal the app's top-ups and refunds talk to. */
  emu: PayPalEmulator;
  acme: {
    id: string;
    name: string;
    /** Role id by name: the predefined ones, `No access` (held by the zero-permission member), `Also nothing` (what role changes give). */
    roles: Record<string, string>;
    /** The member holding each predefined role, and `No access`. */
    people: Record<string, Person>;
  };
  /** Last month's statement. */
  acmeInvoiceId: string;
  globex: {
    id: string;
    owner: Person;
    memberId: string;
    roleId: string;
    invitationId: string;
    invitationToken: string;
    apiKeyId: string;
    sessionId: string;
    invoiceId: string;
  };
  /** A user for the admin pages to look at. */
  tess: Person;
  emailId: string;
  /** Acme owner's API keys: exactly one permission, and every permission but one. */
  keys: { only: Record<Permission, string>; allBut: Record<Permission, string> };
  make: Makers;
  /** The server provider the app talks to (a test cloud) and the catalogue it sells (set by matrix.test.ts). */
  servers?: { cloud: TestCloud; catalogue: SeededCatalogue };
}

export interface Makers {
  /** A verified user with no organization, made directly (no password hashing); `unverified` leaves the address unconfirmed. */
  stranger(label?: string, opts?: { unverified?: boolean }): Promise<Person>;
  /** A registered, verified person (password `PASSWORD`, a personal organization), at a new address. */
  person(label: string, opts?: { isAdmin?: boolean }): Promise<Person & { organizationId: string }>;
  /** A fresh Acme member holding `No access` (anyone with members_manage may change or remove them). */
  acmeMember(): Promise<string>;
  /** A fresh member of `orgId` holding its role `role`. */
  memberOf(orgId: string, role: string): Promise<string>;
  /** A new team (not personal) organization where `userId` is a member and which is their active one; returns its id. */
  teamOf(userId: string): Promise<string>;
  /** A pending Acme invitation (no email sent yet). */
  acmeInvitation(): Promise<string>;
  /** An unused custom role of Acme. */
  acmeRole(): Promise<string>;
  /** A pending Initech invitation addressed to `email`; returns the link's token. */
  invitationFor(email: string): Promise<string>;
  /** Another live session of `userId`; returns its id. */
  sessionOf(userId: string): Promise<string>;
  /** Another live API key of `userId` in an organization they belong to (their active one); returns its id. */
  keyOf(userId: string): Promise<string>;
  /** A valid emailed-link token of a fresh stranger (unverified for `verify_email`), and whose it is. */
  userToken(purpose: TokenPurpose): Promise<{ token: string; userId: string }>;
  /** A top-up fraud check held for staff review. */
  heldFraudCheck(): Promise<string>;
  /** An entry in the organization's activity log naming `marker`. */
  activity(orgId: string, marker: string): Promise<void>;
  /** The organization's wallet funded once by an adjustment described "Matrix funding"; returns that ledger transaction. */
  funded(orgId: string): Promise<string>;
  /** Last month's statement of the organization (issued once). */
  statement(orgId: string): Promise<{ id: string; number: string }>;
  /** A top-up of 10.00 started by the organization's owner, with its PayPal order; `approved`: the buyer approved it. */
  topUp(orgId: string, opts?: { approved?: boolean }): Promise<{ paymentId: string; orderId: string }>;
  /** A top-up held for review with nothing left to clear (screening off): it may continue to PayPal. */
  heldTopUp(orgId: string): Promise<string>;
  /** A top-up of 10.00 captured and credited, through the production settlement path. */
  completedPayment(orgId: string): Promise<string>;
  /** A refund of 1.00 to PayPal of a fresh completed payment, pending with us, that PayPal has completed since. */
  refundPayPalCompleted(orgId: string): Promise<{ paymentId: string; refundId: string }>;
  /** A registered person locked out by too many wrong passwords. */
  lockedOut(): Promise<Person>;
  /** A registered person with two-factor authentication on. */
  withTwoFactor(): Promise<Person>;
  /** Turns two-factor on for `userId`; returns their recovery codes. */
  twoFactorOn(userId: string): Promise<string[]>;
  /** The owner of an organization (its first owner). */
  ownerOf(orgId: string): Promise<string>;
}

/** The organization `userId` acts in when none is named: their active one. */
export async function activeOrganizationOf(
  ctx: TestContext,
  userId: string,
): Promise<{ id: string; name: string } | null> {
  return (
    (await ctx.db
      .selectFrom('users as u')
      .innerJoin('organizations as o', 'o.id', 'u.active_organization_id')
      .select(['o.id', 'o.name'])
      .where('u.id', '=', userId)
      .executeTakeFirst()) ?? null
  );
}

/** The TOTP code of `secret` for the app clock's current 30-second step (or `steps` later). */
export const totpNow = (ctx: TestContext, secret: string, steps = 0) =>
  generate({ secret, epoch: (Math.floor(ctx.clock.now().getTime() / 30_000) + steps) * 30 });

async function organization(ctx: TestContext, name: string, owner: Person) {
  const org = await inTransaction(ctx.db, (trx) =>
    createOrganization(trx, { name, ownerId: owner.id, personal: false, currency: ctx.config.BILLING_CURRENCY }),
  );
  await ctx.db.updateTable('users').set({ active_organization_id: org.id }).where('id', '=', owner.id).execute();
  const roles = await ctx.db.selectFrom('roles').select(['id', 'name']).where('organization_id', '=', org.id).execute();
  return { id: org.id, roles: Object.fromEntries(roles.map((r) => [r.name, r.id])) as Record<string, string> };
}

async function person(ctx: TestContext, name: string, opts: { isAdmin?: boolean } = {}) {
  const p = await createPerson(ctx, name, { verified: true, email: uniqueEmail(name), ...opts });
  return { id: p.id, email: p.email, name: p.name, organizationId: p.organization.id };
}

/** Puts `userId` in `orgId` with `roleId` and makes it their active organization. */
export async function join(ctx: TestContext, orgId: string, userId: string, roleId: string) {
  await ctx.db
    .insertInto('organization_members')
    .values({ organization_id: orgId, user_id: userId, role_id: roleId })
    .execute();
  await ctx.db.updateTable('users').set({ active_organization_id: orgId }).where('id', '=', userId).execute();
}

async function customRole(ctx: TestContext, orgId: string, name: string, permissions: Permission[] = []) {
  return (
    await ctx.db
      .insertInto('roles')
      .values({ organization_id: orgId, name, permissions, predefined: false })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
}

async function invitation(ctx: TestContext, orgId: string, email: string, roleId: string) {
  const token = randomToken();
  const now = ctx.clock.now();
  const { id } = await ctx.db
    .insertInto('invitations')
    // created_at: the database's now, so the newest invitation comes first in a list, whatever the app's clock says.
    .values({
      organization_id: orgId,
      email,
      role_id: roleId,
      token_hash: hashToken(token),
      expires_at: new Date(now.getTime() + 7 * 86_400_000),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id, token };
}

async function rawKey(ctx: TestContext, userId: string, orgId: string, permissions: Permission[]) {
  const key = `spk_${randomToken(32)}`;
  return (
    await ctx.db
      .insertInto('api_keys')
      .values({
        user_id: userId,
        organization_id: orgId,
        name: `spare key ${rand()}`,
        prefix: key.slice(0, 12),
        key_hash: hashToken(key),
        permissions,
      })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
}

/** Fixture-making actors (setup, not under test): an organization's owner, and platform staff. */
const ownerActor = (userId: string, organizationId: string): Actor => ({
  userId,
  isPlatformAdmin: false,
  organizationId,
  roleName: 'owner',
  permissions: new Set(PERMISSIONS),
  impersonatorUserId: null,
  apiKeyId: null,
  origin,
});
const staffActor = (userId: string): Actor => ({
  userId,
  isPlatformAdmin: true,
  organizationId: null,
  roleName: null,
  permissions: new Set(),
  impersonatorUserId: null,
  apiKeyId: null,
  origin,
});

/** Made once per key, even when asked for at the same moment. */
function once<T>(make: (key: string) => Promise<T>) {
  const made = new Map<string, Promise<T>>();
  return (key: string) => made.get(key) ?? made.set(key, make(key)).get(key)!;
}

/** Runs `fn` after every earlier `fn` of the same queue (PayPal faults are taken by the next request, whoever makes it). */
function queue() {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => undefined);
    return run;
  };
}

export async function buildFixtures(ctx: TestContext, emu: PayPalEmulator): Promise<Fixtures> {
  const [olive, gus, gina, irene, tess, fay] = await Promise.all([
    person(ctx, 'Olive Owner'),
    person(ctx, 'Gus Globex'),
    person(ctx, 'Gina Globex'),
    person(ctx, 'Irene Initech'),
    person(ctx, 'Tess Target'),
    person(ctx, 'Fay Fixtures', { isAdmin: true }),
  ]);
  const acme = { ...(await organization(ctx, 'Acme Corporation', olive)), name: 'Acme Corporation' };
  const globex = await organization(ctx, 'Globex Corporation', gus);

  acme.roles[NO_ACCESS] = await customRole(ctx, acme.id, NO_ACCESS);
  acme.roles['Also nothing'] = await customRole(ctx, acme.id, 'Also nothing');

  const names: Record<string, string> = {
    admin: 'Alma Admin',
    member: 'Mia Member',
    vps_manager: 'Victor Vps',
    hosting_manager: 'Hana Hosting',
    support_agent: 'Sam Support',
    viewer: 'Vera Viewer',
    [NO_ACCESS]: 'Zed Nobody',
  };
  const people: Record<string, Person> = { owner: olive };
  for (const [role, name] of Object.entries(names)) {
    people[role] = await person(ctx, name);
    await join(ctx, acme.id, people[role]!.id, acme.roles[role]!);
  }
  await join(ctx, globex.id, gina.id, globex.roles.viewer!);

  const paypalFaults = queue();
  const make: Makers = {
    async stranger(label = 'stranger', opts = {}) {
      const email = `${label.toLowerCase().replace(/\W+/g, '-')}-${rand()}@example.test`;
      const row = await ctx.db
        .insertInto('users')
        .values({ email, name: label, password_hash: 'x', email_verified_at: opts.unverified ? null : ctx.clock.now() })
        .returning('id')
        .executeTakeFirstOrThrow();
      return { id: row.id, email, name: label };
    },
    person: (label, opts) => person(ctx, `${label} ${rand()}`, opts),
    async acmeMember() {
      const p = await make.stranger('Temp member');
      await join(ctx, acme.id, p.id, acme.roles[NO_ACCESS]!);
      return p.id;
    },
    async memberOf(orgId, role) {
      const p = await make.stranger('Temp member');
      const { id } = await ctx.db
        .selectFrom('roles')
        .select('id')
        .where('organization_id', '=', orgId)
        .where('name', '=', role)
        .executeTakeFirstOrThrow();
      await join(ctx, orgId, p.id, id);
      return p.id;
    },
    async teamOf(userId) {
      const team = await inTransaction(ctx.db, (trx) =>
        createOrganization(trx, {
          name: `Matrix team ${rand()}`,
          ownerId: irene.id,
          personal: false,
          currency: ctx.config.BILLING_CURRENCY,
        }),
      );
      const { id } = await ctx.db
        .selectFrom('roles')
        .select('id')
        .where('organization_id', '=', team.id)
        .where('name', '=', 'member')
        .executeTakeFirstOrThrow();
      await join(ctx, team.id, userId, id);
      return team.id;
    },
    async acmeInvitation() {
      return (await invitation(ctx, acme.id, `invitee-${rand()}@example.test`, acme.roles['Also nothing']!)).id;
    },
    acmeRole: () => customRole(ctx, acme.id, `Temp ${rand()}`),
    async invitationFor(email) {
      // A new inviting organization each time: one pending invitation per address and organization.
      const from = await inTransaction(ctx.db, (trx) =>
        createOrganization(trx, {
          name: 'Initech',
          ownerId: irene.id,
          personal: false,
          currency: ctx.config.BILLING_CURRENCY,
        }),
      );
      const role = await ctx.db
        .selectFrom('roles')
        .select('id')
        .where('organization_id', '=', from.id)
        .where('name', '=', 'viewer')
        .executeTakeFirstOrThrow();
      return (await invitation(ctx, from.id, email, role.id)).token;
    },
    async sessionOf(userId) {
      return (await createSession(ctx.db, ctx.config, userId, 'full', origin, ctx.clock.now())).sessionId;
    },
    async keyOf(userId) {
      const org = await activeOrganizationOf(ctx, userId);
      return rawKey(ctx, userId, org!.id, []);
    },
    async userToken(purpose) {
      const p = await make.stranger('Link holder', { unverified: purpose === 'verify_email' });
      return { token: await issueUserToken(ctx.db, p.id, purpose, p.email, ctx.clock.now()), userId: p.id };
    },
    async heldFraudCheck() {
      return (
        await ctx.db
          .insertInto('fraud_checks')
          .values({ subject: 'top_up', status: 'review', email: `held-${rand()}@example.test`, score: 80 })
          .returning('id')
          .executeTakeFirstOrThrow()
      ).id;
    },
    activity: (orgId, marker) =>
      recordActivity(ctx.db, {
        action: 'organization.updated',
        actorUserId: fay.id,
        organizationId: orgId,
        target: { type: 'organization', id: orgId },
        details: { name: marker },
      }),
    funded: once(async (orgId) => {
      const wallet = await ctx.db
        .selectFrom('wallets')
        .select(['id', 'currency'])
        .where('organization_id', '=', orgId)
        .executeTakeFirstOrThrow();
      return inTransaction(
        ctx.db,
        async (trx) =>
          (
            await post(trx, {
              idempotencyKey: `matrix:${orgId}`,
              kind: 'adjustment',
              organizationId: orgId,
              currency: wallet.currency,
              description: 'Matrix funding',
              lines: [
                { walletId: wallet.id, amount: 1_000_000n },
                { account: 'adjustments', amount: -1_000_000n },
              ],
            })
          ).transactionId,
      );
    }),
    statement: (orgId) => issueStatement(ctx.deps, orgId, previousMonth(ctx.clock.now())),
    ownerOf: once(
      async (orgId) =>
        (
          await ctx.db
            .selectFrom('organization_members as m')
            .innerJoin('roles as r', 'r.id', 'm.role_id')
            .select('m.user_id')
            .where('m.organization_id', '=', orgId)
            .where('r.name', '=', 'owner')
            .orderBy('m.created_at')
            .executeTakeFirstOrThrow()
        ).user_id,
    ),
    async topUp(orgId, opts = {}) {
      const started = await startTopUp(ctx.deps, ownerActor(await make.ownerOf(orgId), orgId), { amount: '10.00' });
      const { provider_order_id } = await ctx.db
        .selectFrom('payments')
        .select('provider_order_id')
        .where('id', '=', started.id)
        .executeTakeFirstOrThrow();
      if (opts.approved) emu.approve(provider_order_id!);
      return { paymentId: started.id, orderId: provider_order_id! };
    },
    async heldTopUp(orgId) {
      const owner = await make.ownerOf(orgId);
      return (
        await ctx.db
          .insertInto('payments')
          .values({ organization_id: orgId, created_by: owner, amount: 10_000_000n, currency: 'USD', status: 'held' })
          .returning('id')
          .executeTakeFirstOrThrow()
      ).id;
    },
    async completedPayment(orgId) {
      const { paymentId } = await make.topUp(orgId, { approved: true });
      const done = await captureTopUp(ctx.deps, ownerActor(await make.ownerOf(orgId), orgId), { id: paymentId });
      if (done.status !== 'completed') throw new Error(`fixture capture ended ${done.status}`);
      return paymentId;
    },
    async refundPayPalCompleted(orgId) {
      const paymentId = await make.completedPayment(orgId);
      const { refund } = await paypalFaults(async () => {
        emu.inject('refund_pending');
        return refundPayment(ctx.deps, staffActor(fay.id), {
          paymentId,
          amount: '1.00',
          destination: 'paypal',
          reason: 'Matrix (pending at PayPal)',
        });
      });
      if (refund.status !== 'pending' || !refund.provider_refund_id)
        throw new Error(`fixture refund is ${refund.status}`);
      emu.completeRefund(refund.provider_refund_id);
      return { paymentId, refundId: refund.id };
    },
    async lockedOut() {
      const p = await make.person('Locked Out');
      for (let i = 0; i < ctx.config.LOGIN_LOCKOUT_ATTEMPTS; i++)
        await authenticatePassword(ctx.deps, origin, { email: p.email, password: 'not the password' }).catch(
          () => undefined,
        );
      await authenticatePassword(ctx.deps, origin, { email: p.email, password: PASSWORD }).then(
        () => Promise.reject(new Error('the fixture is not locked out')),
        () => undefined,
      );
      return p;
    },
    async withTwoFactor() {
      const p = await make.person('Two Factor');
      await make.twoFactorOn(p.id);
      return p;
    },
    async twoFactorOn(userId) {
      const { secret } = await beginTotpSetup(ctx.deps, userId, PASSWORD);
      return confirmTotpSetup(ctx.deps, userId, await totpNow(ctx, secret));
    },
  };

  // The owner's keys, made through the domain as Settings → API keys would.
  const owner = ownerActor(olive.id, acme.id);
  const key = async (permissions: Permission[]) =>
    (await createApiKey(ctx.deps, owner, { name: `key ${rand()}`, organization_id: acme.id, permissions })).key;
  const only = {} as Record<Permission, string>;
  const allBut = {} as Record<Permission, string>;
  for (const p of PERMISSIONS) {
    only[p] = await key([p]);
    allBut[p] = await key(PERMISSIONS.filter((q) => q !== p));
  }

  const globexInvitation = await invitation(ctx, globex.id, `someone-${rand()}@globex.example`, globex.roles.viewer!);
  // An unverified registration queues a welcome email: the outbox row for /admin/outbox/:id.
  await createPerson(ctx, 'Una Unverified', { email: uniqueEmail('Una Unverified') });
  const email = await ctx.db
    .selectFrom('emails')
    .select('id')
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirstOrThrow();

  return {
    ctx,
    emu,
    acme: { ...acme, people },
    acmeInvoiceId: (await make.statement(acme.id)).id,
    globex: {
      id: globex.id,
      owner: gus,
      memberId: gina.id,
      roleId: await customRole(ctx, globex.id, 'Globex auditors', ['vps_view']),
      invitationId: globexInvitation.id,
      invitationToken: globexInvitation.token,
      apiKeyId: await rawKey(ctx, gus.id, globex.id, ['vps_view']),
      sessionId: await make.sessionOf(gus.id),
      invoiceId: (await make.statement(globex.id)).id,
    },
    tess,
    emailId: email.id,
    keys: { only, allBut },
    make,
  };
}
