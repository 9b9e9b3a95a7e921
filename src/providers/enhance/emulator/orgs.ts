import type { Hono } from 'hono';
import { fail, invalid, notFound, page, route, type Call, routesAt } from './http.ts';
import { nowIso, otp, uuid, type EmuMember, type EmuOrg, type EnhanceEmulatorState } from './state.ts';

/** Spec §4.1: orgs, customers, logins (realm-wide unique e-mail), members, owner, member SSO. */

const ROLES = ['Owner', 'SuperAdmin', 'Business', 'SiteAccess', 'Support', 'Sysadmin'];
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function orgRoutes(app: Hono, state: EnhanceEmulatorState): void {
  const r = routesAt(app, state, '/api');

  r('get', '/orgs/:org', (call) => ({ body: orgJson(state, call.org(call.param('org'))) }));

  r('delete', '/orgs/:org', (call) => {
    const org = call.org(call.param('org'));
    if (org.id === state.options.masterOrgId) throw fail(403, 'forbidden', undefined, 'The master org cannot go');
    if (call.query('force') === 'true') {
      call.requireMaster();
      state.orgs.delete(org.id);
    } else org.status = 'deleted';
    return { status: 204 };
  });

  r('get', '/orgs/:org/customers', (call) => {
    call.requireMaster();
    const parent = call.org(call.param('org'));
    const status = call.query('status');
    const children = [...state.orgs.values()].filter(
      (o) => o.parentId === parent.id && (!status || status === o.status),
    );
    return {
      body: page(
        state,
        call,
        children.map((o) => orgJson(state, o)),
      ),
    };
  });

  r('post', '/orgs/:org/customers', (call) => {
    call.requireMaster();
    const parent = call.org(call.param('org'));
    const name = typeof call.body.name === 'string' ? call.body.name.trim() : '';
    if (!name) throw invalid('name');
    const org: EmuOrg = {
      id: uuid(),
      parentId: parent.id,
      name,
      status: 'active',
      suspendedBy: null,
      createdAt: nowIso(),
      locale: 'en',
    };
    state.orgs.set(org.id, org);
    return { status: 201, body: { id: org.id } };
  });

  r('get', '/orgs/:org/logins', (call) => {
    const org = call.org(call.param('org'));
    const memberLogins = new Set(membersOf(state, org.id).map((m) => m.loginId));
    const logins = [...state.logins.values()].filter((l) => l.orgId === org.id || memberLogins.has(l.id));
    return { body: page(state, call, logins.map(loginJson)) };
  });

  r('get', '/logins', (call) => {
    call.requireMaster();
    return { body: page(state, call, [...state.logins.values()].map(loginJson)) };
  });

  r('post', '/logins', (call) => {
    const orgId = call.query('orgId');
    if (orgId) call.org(orgId);
    const { email, name, password } = call.body;
    if (typeof email !== 'string' || !EMAIL.test(email)) throw invalid('email');
    if (typeof name !== 'string' || !name.trim()) throw invalid('name');
    if (typeof password !== 'string' || password.length < 8) throw invalid('password', 'The password is too weak');
    const taken = [...state.logins.values()].some((l) => l.email.toLowerCase() === email.toLowerCase());
    if (taken) throw fail(409, 'conflict', 'login', 'A login with this email already exists');
    const login = {
      id: uuid(),
      email,
      name: name.trim(),
      hasPassword: true,
      orgId: orgId ?? null,
      registeredAt: nowIso(),
    };
    state.logins.set(login.id, login);
    return { status: 201, body: { id: login.id } };
  });

  r('get', '/orgs/:org/members', (call) => {
    const org = call.org(call.param('org'));
    const role = call.query('role');
    const members = membersOf(state, org.id).filter((m) => !role || m.roles.includes(role));
    return {
      body: page(
        state,
        call,
        members.map((m) => memberJson(state, m)),
      ),
    };
  });

  r('get', '/orgs/:org/members/:member', (call) => ({ body: memberJson(state, member(state, call)) }));

  r('post', '/orgs/:org/members', (call) => {
    const org = call.org(call.param('org'));
    const { loginId, roles } = call.body;
    if (typeof loginId !== 'string') throw invalid('loginId');
    if (!Array.isArray(roles) || !roles.length || roles.some((x) => typeof x !== 'string' || !ROLES.includes(x)))
      throw invalid('roles');
    if (!state.logins.has(loginId)) throw notFound('login');
    if (membersOf(state, org.id).some((m) => m.loginId === loginId))
      throw fail(409, 'conflict', 'member', 'This login is already a member');
    const m: EmuMember = {
      id: uuid(),
      orgId: org.id,
      loginId,
      roles: [...new Set(roles as string[])].filter((x) => x !== 'Owner'),
      siteAccesses: [],
      joinedAt: nowIso().slice(0, 10),
    };
    state.members.set(m.id, m);
    if ((roles as string[]).includes('Owner')) setOwner(state, org.id, m.id);
    return { status: 201, body: { id: m.id } };
  });

  r('put', '/orgs/:org/owner', (call) => {
    const org = call.org(call.param('org'));
    const memberId = call.body.memberId;
    if (typeof memberId !== 'string') throw invalid('memberId');
    const m = state.members.get(memberId);
    if (!m || m.orgId !== org.id) throw notFound('member');
    setOwner(state, org.id, m.id);
    return { status: 200 };
  });

  // 201 with a bare JSON string: a fresh single-use login URL.
  r('get', '/orgs/:org/members/:member/sso', (call) => {
    const m = member(state, call);
    const code = otp();
    state.otps.set(code, m.id);
    return { status: 201, body: `${call.origin}/api/login/sessions/sso?otp=${code}` };
  });

  // The browser's side: consumes the one-time password.
  route(
    app,
    state,
    'get',
    '/api/login/sessions/sso',
    (call) => {
      const code = call.query('otp') ?? '';
      const memberId = state.otps.get(code);
      if (!memberId) throw fail(401, 'invalid_otp', undefined, 'This login link has expired or was already used');
      state.otps.delete(code);
      const m = state.members.get(memberId);
      const org = m && state.orgs.get(m.orgId);
      if (!m || !org) throw fail(401, 'invalid_otp');
      return {
        headers: { 'set-cookie': `id0=${otp()}; Path=/; HttpOnly; SameSite=Lax` },
        body: {
          memberships: [
            {
              memberId: m.id,
              orgId: org.id,
              orgName: org.name,
              isMasterOrg: org.id === state.options.masterOrgId,
              roles: m.roles,
              siteAccessCount: m.siteAccesses.length,
            },
          ],
        },
      };
    },
    'public',
  );
}

function member(state: EnhanceEmulatorState, call: Call): EmuMember {
  const org = call.org(call.param('org'));
  const m = state.members.get(call.param('member'));
  if (!m || m.orgId !== org.id) throw notFound('member');
  return m;
}

export function membersOf(state: EnhanceEmulatorState, orgId: string): EmuMember[] {
  return [...state.members.values()].filter((m) => m.orgId === orgId);
}

/** One Owner per org. */
function setOwner(state: EnhanceEmulatorState, orgId: string, memberId: string): void {
  for (const m of membersOf(state, orgId)) {
    m.roles = m.roles.filter((x) => x !== 'Owner');
    if (m.id === memberId) m.roles = ['Owner', ...m.roles];
  }
}

function orgJson(state: EnhanceEmulatorState, o: EmuOrg) {
  const owner = membersOf(state, o.id).find((m) => m.roles.includes('Owner'));
  const login = owner && state.logins.get(owner.loginId);
  return {
    id: o.id,
    parentId: o.parentId,
    name: o.name,
    status: o.status,
    suspendedBy: o.suspendedBy,
    owner: login?.name ?? null,
    ownerEmail: login?.email ?? null,
    ownerId: owner?.id ?? null,
    ownerLoginId: owner?.loginId ?? null,
    subscriptionsCount: [...state.subscriptions.values()].filter((s) => s.subscriberId === o.id).length,
    websitesCount: [...state.websites.values()].filter((w) => w.orgId === o.id).length,
    createdAt: o.createdAt,
    ownerAvatarPath: null,
    locale: o.locale,
    slackNotificationWebhookUrl: null,
  };
}

function loginJson(l: { id: string; email: string; name: string; registeredAt: string }) {
  return {
    id: l.id,
    email: l.email,
    name: l.name,
    colorCode: '#3b82f6',
    registeredAt: l.registeredAt,
    avatarPath: null,
    passwordLastChangedAt: null,
    authMethod: 'basic',
    locale: 'en',
  };
}

function memberJson(state: EnhanceEmulatorState, m: EmuMember) {
  const l = state.logins.get(m.loginId);
  return {
    id: m.id,
    loginId: m.loginId,
    isActive: true,
    email: l?.email ?? '',
    name: l?.name ?? '',
    roles: m.roles,
    siteAccesses: m.siteAccesses,
    notifications: [],
    joinedAt: m.joinedAt,
    avatarPath: null,
    colorCode: '#3b82f6',
    authMethod: 'basic',
  };
}
