import { createAccessToken } from '../../src/domain/accounts/access-tokens.ts';
import { createSession } from '../../src/domain/accounts/sessions.ts';
import { startImpersonation } from '../../src/domain/admin/impersonation.ts';
import { PERMISSIONS, PREDEFINED_ROLES, type Permission } from '../../src/domain/access/permissions.ts';
import { randomToken } from '../../src/lib/crypto.ts';
import { adminSessionCookieName } from '../../src/web/middleware/impersonation.ts';
import { PASSWORD } from '../helpers/people.ts';
import { beginTotpSetup, confirmTotpSetup } from '../../src/domain/accounts/two-factor.ts';
import { join, NO_ACCESS, ROLES, totpNow, type Fixtures, type Person } from './fixtures.ts';

/**
 * Who calls the routes. Each caller has what a real client of its kind has: members and the
 * platform admin a browser session (pages) and an access token (API); an API key only its
 * bearer secret (sent to pages too, where it must count for nothing); an impersonating admin
 * only the two cookies of an impersonation (sent to the API too, where cookies count for
 * nothing). An owner before her second factor (she has two-factor on) and a suspended owner
 * hold credentials that must open nothing. `credentials(true)` makes a fresh twin — same kind, same role in Acme — for a
 * route that changes the caller's own standing (signs out, leaves, accepts an invitation…).
 */

export type Kind = 'anonymous' | 'half-signed-in' | 'suspended' | 'member' | 'key' | 'platform-admin' | 'impersonating';

export interface Credentials {
  me: Person | null;
  /** The Cookie header (an anonymous CSRF cookie when there is no session). */
  cookie: string;
  csrf: string;
  bearer?: string;
  /** The browser session the cookie carries, if any (full, half-signed-in or an impersonation). */
  sessionId?: string;
  /** The caller's authenticator secret, when they have two-factor on. */
  totpSecret?: string;
}

export interface Caller {
  name: string;
  kind: Kind;
  /** Has a browser session (pages) / a bearer secret (API). */
  session: boolean;
  bearer: boolean;
  /** Permissions in the organization it acts in when none is named: Acme, except for the platform admin (their own). */
  permissions: ReadonlySet<Permission>;
  /** Holds the predefined owner role there. */
  owner: boolean;
  memberOfAcme: boolean;
  ip: string;
  credentials(fresh: boolean): Promise<Credentials>;
}

const all = new Set<Permission>(PERMISSIONS);
let ipCount = 0;
const nextIp = () => `198.18.${Math.floor(++ipCount / 250)}.${(ipCount % 250) + 1}`;

function anonymousCookie(): Pick<Credentials, 'cookie' | 'csrf'> {
  const csrf = randomToken(24);
  return { cookie: `sp_csrf=${csrf}`, csrf };
}

/** Credentials whose session cookie is dead: the anonymous CSRF cookie and token go with it. */
function withAnonymousToken(creds: Credentials): Credentials {
  const anon = anonymousCookie();
  return { ...creds, cookie: `${creds.cookie}; ${anon.cookie}`, csrf: anon.csrf };
}

export async function buildCallers(fx: Fixtures) {
  const { ctx } = fx;
  const now = () => ctx.clock.now();
  const origin = { ip: '192.0.2.2', userAgent: null };

  async function session(userId: string, stage: 'full' | 'mfa' = 'full') {
    const s = await createSession(ctx.db, ctx.config, userId, stage, origin, now());
    const { csrf_token } = await ctx.db
      .selectFrom('sessions')
      .select('csrf_token')
      .where('id', '=', s.sessionId)
      .executeTakeFirstOrThrow();
    return { token: s.token, sessionId: s.sessionId, csrf: csrf_token };
  }
  const accessToken = async (userId: string) =>
    (await createAccessToken(ctx.db, ctx.config, userId, origin, now())).token;

  async function person(name: string, opts: { isAdmin?: boolean } = {}): Promise<Person> {
    const p = await fx.make.person(name, opts);
    return { id: p.id, email: p.email, name: p.name };
  }

  async function signedIn(me: Person): Promise<Credentials> {
    const [s, bearer] = await Promise.all([session(me.id), accessToken(me.id)]);
    return { me, cookie: `${ctx.config.cookieName}=${s.token}`, csrf: s.csrf, bearer, sessionId: s.sessionId };
  }

  /** A platform admin's browser switched into an impersonation of `target`, their own cookie kept aside. */
  async function impersonating(admin: Person, target: Person): Promise<Credentials> {
    const own = await session(admin.id);
    const actor = {
      userId: admin.id,
      isPlatformAdmin: true,
      organizationId: null,
      roleName: null,
      permissions: new Set<Permission>(),
      impersonatorUserId: null,
      apiKeyId: null,
      origin,
    };
    const started = await startImpersonation(ctx.deps, actor, {
      userId: target.id,
      password: PASSWORD,
      adminSessionId: own.sessionId,
    });
    const { csrf_token } = await ctx.db
      .selectFrom('sessions')
      .select('csrf_token')
      .where('id', '=', started.sessionId)
      .executeTakeFirstOrThrow();
    return {
      me: target,
      cookie: `${ctx.config.cookieName}=${started.token}; ${adminSessionCookieName(ctx.config)}=${own.token}`,
      csrf: csrf_token,
      sessionId: started.sessionId,
    };
  }

  const member = async (role: string, name: string): Promise<Caller> => {
    const base = await signedIn(fx.acme.people[role]!);
    const permissions = new Set(role === NO_ACCESS ? [] : PREDEFINED_ROLES[role]!);
    return {
      name,
      kind: 'member',
      session: true,
      bearer: true,
      permissions,
      owner: role === 'owner',
      memberOfAcme: true,
      ip: nextIp(),
      async credentials(fresh) {
        if (!fresh) return base;
        const twin = await person(`Twin ${role.replace(/\W/g, '')}`);
        await join(ctx, fx.acme.id, twin.id, fx.acme.roles[role]!);
        return signedIn(twin);
      },
    };
  };

  const anonymous: Caller = {
    name: 'anonymous',
    kind: 'anonymous',
    session: false,
    bearer: false,
    permissions: new Set(),
    owner: false,
    memberOfAcme: false,
    ip: nextIp(),
    credentials: async () => ({ me: null, ...anonymousCookie() }),
  };

  // Otto, an owner of Acme with two-factor on, typed his password but still owes the code: that session must open nothing.
  const halfSignedIn = async (): Promise<Credentials> => {
    const otto = await person('Otto Owner');
    await join(ctx, fx.acme.id, otto.id, fx.acme.roles.owner!);
    const { secret } = await beginTotpSetup(ctx.deps, otto.id, PASSWORD);
    await confirmTotpSetup(ctx.deps, otto.id, await totpNow(ctx, secret));
    const s = await session(otto.id, 'mfa');
    return {
      me: otto,
      cookie: `${ctx.config.cookieName}=${s.token}`,
      csrf: s.csrf,
      sessionId: s.sessionId,
      totpSecret: secret,
    };
  };
  const half = await halfSignedIn();
  const pending: Caller = {
    name: 'an owner before his second factor',
    kind: 'half-signed-in',
    session: false,
    bearer: false,
    permissions: new Set(),
    owner: false,
    memberOfAcme: false,
    ip: nextIp(),
    credentials: async (fresh) => (fresh ? halfSignedIn() : half),
  };

  // Sid was an owner of Acme with a session and a token when staff suspended him: both are dead.
  const sid = await person('Sid Suspended');
  await join(ctx, fx.acme.id, sid.id, fx.acme.roles.owner!);
  const sidsCredentials = await signedIn(sid);
  await ctx.db.updateTable('users').set({ status: 'suspended' }).where('id', '=', sid.id).execute();
  const suspended: Caller = {
    name: 'a suspended owner',
    kind: 'suspended',
    session: false,
    bearer: false,
    permissions: new Set(),
    owner: false,
    memberOfAcme: false,
    ip: nextIp(),
    // His cookie no longer counts, so the form token is the anonymous one.
    credentials: async () => withAnonymousToken(sidsCredentials),
  };

  const members = [
    ...(await Promise.all(
      ROLES.map((r) => member(r, r === 'owner' ? 'the owner' : r === 'admin' ? 'an organization admin' : `a ${r}`)),
    )),
    await member(NO_ACCESS, 'a member with a zero-permission custom role'),
  ];

  const pat = await signedIn(await person('Pat Platform', { isAdmin: true }));
  const platformAdmin: Caller = {
    name: 'a platform admin',
    kind: 'platform-admin',
    session: true,
    bearer: true,
    permissions: all,
    owner: true,
    memberOfAcme: false,
    ip: nextIp(),
    credentials: async (fresh) => (fresh ? signedIn(await person('Twin Platform', { isAdmin: true })) : pat),
  };

  // Ian impersonates Ivy, an owner of Acme: every refusal he meets comes from impersonating, not from her role.
  const impersonatedTwin = async () => {
    const ivy = await person('Ivy Impersonated');
    await join(ctx, fx.acme.id, ivy.id, fx.acme.roles.owner!);
    return ivy;
  };
  const ian = await impersonating(await person('Ian Inspector', { isAdmin: true }), await impersonatedTwin());
  const impersonatingAdmin: Caller = {
    name: 'an impersonating admin',
    kind: 'impersonating',
    session: true,
    bearer: false,
    permissions: all,
    owner: true,
    memberOfAcme: true,
    ip: nextIp(),
    credentials: async (fresh) =>
      fresh ? impersonating(await person('Twin Inspector', { isAdmin: true }), await impersonatedTwin()) : ian,
  };

  const keyIp = nextIp();
  /** An API key of Acme's owner holding `permission` (or, `has: false`, every permission but it). */
  const key = (permission: Permission, has: boolean): Caller => ({
    name: has ? `an API key with ${permission}` : `an API key without ${permission}`,
    kind: 'key',
    session: false,
    bearer: true,
    owner: false,
    memberOfAcme: true,
    ip: keyIp,
    permissions: has ? new Set([permission]) : new Set(PERMISSIONS.filter((p) => p !== permission)),
    credentials: async () => ({
      me: fx.acme.people.owner!,
      ...anonymousCookie(),
      bearer: (has ? fx.keys.only : fx.keys.allBut)[permission],
    }),
  });

  /** Everyone who calls a route needing `permission`: an API key with it and (when there is one to lack) without it. */
  return function callersFor(api: boolean, permission: Permission | 'owner' | undefined): Caller[] {
    const keys =
      permission && permission !== 'owner'
        ? [key(permission, true), ...(api ? [key(permission, false)] : [])]
        : [key('notes_view', true)];
    return [anonymous, pending, suspended, ...members, ...keys, platformAdmin, impersonatingAdmin];
  };
}
