import { inTransaction } from '../../src/db/index.ts';
import { post } from '../../src/domain/ledger/post.ts';
import type { Permission } from '../../src/domain/organizations/permissions.ts';
import { PASSWORD } from '../helpers/people.ts';
import type { Fixtures, Person } from './fixtures.ts';

/**
 * Every route the app serves, HTML and JSON, with what it requires. The matrix test fails
 * when a served route is missing here or an entry is no longer served: a new route must say
 * who may call it before it can ship. Statuses are not written per route: `expectation()`
 * in matrix.ts derives them from these requirements.
 */

export type Auth =
  /** Anyone, signed in or not. */
  | 'public'
  /** A signed-in browser (pages: anonymous GET → /login?next=…, writes → 401). */
  | 'session'
  /** Platform staff in their own session (everyone else, impersonating admins included: 404). */
  | 'admin'
  /** Only a browser that is impersonating (else 404). */
  | 'impersonating'
  /** A bearer access token or API key (else 401). */
  | 'token'
  /** A bearer access token only: an API key is refused with 403. */
  | 'user-token'
  /** A platform admin's own access token (JSON API staff routes): other tokens and API keys 403. */
  | 'admin-token'
  /** A provider's webhook: authenticated by its signature alone, so every unsigned call (whoever makes it) is refused with 400. */
  | 'signature';

/** Which variant of a call: the caller's own things, another organization named by id, or a record of another organization/user. */
export type Whose = 'own' | 'foreign-org' | 'foreign-record';

type Make = (fx: Fixtures, me: Person | null) => string | Promise<string>;
export type Body = Record<string, string | string[] | null>;

export interface Requirement {
  auth: Auth;
  /** Needed in the organization the request acts in; 'owner' is the predefined owner role. */
  permission?: Permission | 'owner';
  /** Where the organization is named: the URL's `:id` (JSON API) or the body's `organization_id`. Unnamed: the active one, the key's, or X-Organization-Id. */
  org?: 'path' | 'body';
  /** The record named by the URL's last parameter: one of the acting organization's ('org') or the caller's own ('user'). */
  record?: { of: 'org' | 'user'; own: Make; foreign: Make };
  /** Writes refused (403) while an admin impersonates: the account's own credentials and access. */
  refusedWhileImpersonating?: true;
  /** Changes the caller's own standing (signs out, leaves, joins…): every call is made by a fresh twin of the caller. */
  self?: true;
  /** What a caller without credentials gets, where it is not the usual sign-in redirect / 401. */
  anonymous?: number;
  /** Other path parameters (emailed-link tokens, the user an admin page is about). */
  params?: (fx: Fixtures) => Record<string, string> | Promise<Record<string, string>>;
  /** A minimal valid body where one is easy (a 422 still shows the caller got past authorization). */
  body?: (fx: Fixtures, me: Person | null, whose: Whose) => Body | Promise<Body>;
}

/**
 * Stand-ins for outside services (a fraud screener, a payment provider…) that demo mode serves
 * in-process for the app to call over HTTP. They are not the app: no sessions, no tenants, no
 * customer data, and never mounted with emulators off (the matrix test checks that), so they
 * are left out of the table rather than listed one endpoint at a time.
 */
export const EMULATORS = '/_emulators/';

const u = () => Math.random().toString(36).slice(2, 10);

const orgMember: Requirement['record'] = { of: 'org', own: (fx) => fx.make.acmeMember(), foreign: (fx) => fx.globex.memberId };
const orgInvitation = (own: Make): Requirement['record'] => ({ of: 'org', own, foreign: (fx) => fx.globex.invitationId });
const orgRole = (own: Make): Requirement['record'] => ({ of: 'org', own, foreign: (fx) => fx.globex.roleId });
const orgInvoice: Requirement['record'] = { of: 'org', own: (fx) => fx.acmeInvoiceId, foreign: (fx) => fx.globex.invoiceId };
const myKey: Requirement['record'] = { of: 'user', own: (fx, me) => (me ? fx.make.keyOf(me.id) : crypto.randomUUID()), foreign: (fx) => fx.globex.apiKeyId };
const mySession: Requirement['record'] = { of: 'user', own: (fx, me) => (me ? fx.make.sessionOf(me.id) : crypto.randomUUID()), foreign: (fx) => fx.globex.sessionId };
/** An invitation addressed to the caller (from Initech), or to someone else. */
const myInvitation: Requirement['record'] = { of: 'user', own: (fx, me) => fx.make.invitationFor(me?.email ?? `nobody-${u()}@example.test`), foreign: (fx) => fx.globex.invitationToken };

/** Made once per organization: a ledger transaction on its wallet, and a top-up already credited (capturing it again changes nothing; there is no PayPal here). */
const once = <T>(make: (fx: Fixtures, orgId: string) => Promise<T>) => {
  const made = new Map<string, Promise<T>>();
  return (fx: Fixtures, orgId: string) => made.get(orgId) ?? made.set(orgId, make(fx, orgId)).get(orgId)!;
};
const walletTransactionOf = once(async (fx, orgId) => {
  const wallet = await fx.ctx.db.selectFrom('wallets').select(['id', 'currency']).where('organization_id', '=', orgId).executeTakeFirstOrThrow();
  return inTransaction(fx.ctx.db, async (trx) => (await post(trx, {
    idempotencyKey: `matrix:${orgId}`, kind: 'adjustment', organizationId: orgId, currency: wallet.currency, description: 'Matrix funding',
    lines: [{ walletId: wallet.id, amount: 1_000_000n }, { account: 'adjustments', amount: -1_000_000n }],
  })).transactionId);
});
const completedTopUpOf = once(async (fx, orgId) => (await fx.ctx.db.insertInto('payments')
  .values({ organization_id: orgId, amount: 10_000_000n, currency: 'USD', status: 'completed', provider_order_id: `MATRIX-${u()}`, capture_id: `MATRIX-${u()}` })
  .returning('id').executeTakeFirstOrThrow()).id);
const orgWalletTransaction: Requirement['record'] = { of: 'org', own: (fx) => walletTransactionOf(fx, fx.acme.id), foreign: (fx) => walletTransactionOf(fx, fx.globex.id) };
const orgTopUp: Requirement['record'] = { of: 'org', own: (fx) => completedTopUpOf(fx, fx.acme.id), foreign: (fx) => completedTopUpOf(fx, fx.globex.id) };

const link = (purpose: 'reset_password' | 'verify_email') => async (fx: Fixtures) => ({ token: await fx.make.userToken(purpose) });
const tess = (fx: Fixtures) => ({ id: fx.tess.id });
const someone = async (fx: Fixtures) => ({ id: (await fx.make.stranger('Admin target')).id });

/** The name the caller's active organization has now (saving settings must not rename anything). */
async function activeOrganizationName(fx: Fixtures, me: Person | null) {
  if (!me) return 'Anything';
  const row = await fx.ctx.db.selectFrom('users as u').innerJoin('organizations as o', 'o.id', 'u.active_organization_id').select('o.name').where('u.id', '=', me.id).executeTakeFirst();
  return row?.name ?? 'Anything';
}

const credentials: Pick<Requirement, 'auth' | 'refusedWhileImpersonating'> = { auth: 'session', refusedWhileImpersonating: true };

export const ROUTES: Record<string, Requirement> = {
  // The platform.
  'GET /health': { auth: 'public' },
  'GET /ready': { auth: 'public' },
  'GET /events': { auth: 'session', anonymous: 401 },
  'DELETE /impersonation': { auth: 'impersonating', self: true, anonymous: 404 },

  // Public pages: signing in and up, emailed links.
  'GET /': { auth: 'public' },
  'GET /login': { auth: 'public' },
  'POST /login': { auth: 'public' },
  'GET /login/two-factor': { auth: 'public' },
  'POST /login/two-factor': { auth: 'public' },
  'POST /logout': { auth: 'public', self: true },
  'GET /register': { auth: 'public' },
  'POST /register': { auth: 'public', self: true, body: () => ({ name: 'New Person', email: `new-${u()}@example.test`, password: 'a long enough password' }) },
  'GET /register/review': { auth: 'public' },
  'GET /forgot-password': { auth: 'public' },
  'POST /forgot-password': { auth: 'public', body: () => ({ email: `nobody-${u()}@example.test` }) },
  'GET /reset-password/:token': { auth: 'public', params: link('reset_password') },
  'POST /reset-password/:token': { auth: 'public', params: link('reset_password') },
  'GET /verify-email/:token': { auth: 'public', params: link('verify_email') },

  // The portal: the signed-in user's own account.
  'GET /dashboard': { auth: 'session' },
  'POST /email-verification': { auth: 'session' },
  'GET /settings': { auth: 'session' },
  'GET /settings/profile': { auth: 'session' },
  'POST /settings/profile': { auth: 'session', body: (_fx, me) => ({ name: me?.name ?? 'Someone', phone: '', timezone: 'UTC' }) },
  'POST /settings/email': { ...credentials },
  'GET /settings/password': { auth: 'session' },
  'POST /settings/password': { ...credentials },
  'GET /settings/api-keys': { auth: 'session' },
  'POST /settings/api-keys': { ...credentials, body: (fx) => ({ name: 'matrix key', organization_id: fx.acme.id, permissions: ['notes_view'] }) },
  'DELETE /settings/api-keys/:id': { ...credentials, record: myKey },
  'GET /settings/security': { auth: 'session' },
  'POST /settings/two-factor': { ...credentials },
  'POST /settings/two-factor/confirmation': { ...credentials, body: () => ({ code: '000000' }) },
  'DELETE /settings/two-factor': { ...credentials },
  'DELETE /settings/sessions/:id': { ...credentials, record: mySession },
  'DELETE /settings/sessions': { ...credentials, self: true },

  // The portal: the active organization.
  'GET /activity': { auth: 'session', permission: 'settings_manage' },
  'GET /activity.csv': { auth: 'session', permission: 'settings_manage' },
  'GET /organizations': { auth: 'session' },
  'POST /organizations': { auth: 'session', self: true, body: () => ({ name: `Made in the matrix ${u()}` }) },
  'POST /active-organization': { auth: 'session', org: 'body', body: (fx, _me, whose) => ({ organization_id: whose === 'foreign-org' ? fx.globex.id : fx.acme.id }) },
  'GET /organization/settings': { auth: 'session', permission: 'settings_manage' },
  'POST /organization/settings': { auth: 'session', permission: 'settings_manage', body: async (fx, me) => ({ name: await activeOrganizationName(fx, me), website: '', address: '', tax_id: '' }) },
  'GET /organization/members': { auth: 'session' },
  'PATCH /organization/members/:userId': { auth: 'session', permission: 'members_manage', record: orgMember, body: (fx) => ({ role_id: fx.acme.roles['Also nothing']! }) },
  'DELETE /organization/members/:userId': { auth: 'session', permission: 'members_manage', record: orgMember },
  'DELETE /organization/membership': { auth: 'session', self: true },
  'POST /organization/ownership': { auth: 'session', permission: 'owner', self: true, body: async (fx) => ({ user_id: await fx.make.acmeMember() }) },
  'POST /organization/invitations': { auth: 'session', permission: 'members_manage', body: (fx) => ({ email: `invitee-${u()}@example.test`, role_id: fx.acme.roles['Also nothing']! }) },
  'POST /organization/invitations/:id/deliveries': { auth: 'session', permission: 'members_manage', record: orgInvitation((fx) => fx.acme.pendingInvitationId) },
  'DELETE /organization/invitations/:id': { auth: 'session', permission: 'members_manage', record: orgInvitation((fx) => fx.make.acmeInvitation()) },
  'GET /organization/roles': { auth: 'session' },
  'POST /organization/roles': { auth: 'session', permission: 'members_manage', body: () => ({ name: `Matrix role ${u()}` }) },
  'GET /organization/roles/:id': { auth: 'session', permission: 'members_manage', record: orgRole((fx) => fx.acme.editableRoleId) },
  'PATCH /organization/roles/:id': { auth: 'session', permission: 'members_manage', record: orgRole((fx) => fx.acme.editableRoleId), body: () => ({ name: 'Editable' }) },
  'DELETE /organization/roles/:id': { auth: 'session', permission: 'members_manage', record: orgRole((fx) => fx.make.acmeRole()) },

  // The portal: the active organization's invoices.
  'GET /invoices': { auth: 'session', permission: 'billing_view' },
  'GET /invoices/:id': { auth: 'session', permission: 'billing_view', record: orgInvoice },
  'GET /invoices/:id/pdf': { auth: 'session', permission: 'billing_view', record: orgInvoice },

  // The portal: invitations addressed to the signed-in user.
  'GET /invitations/:token': { auth: 'session', record: myInvitation },
  'POST /invitations/:token/acceptance': { auth: 'session', record: myInvitation, self: true },
  'POST /invitations/:token/declination': { auth: 'session', record: myInvitation, self: true },

  // Platform staff.
  'GET /admin': { auth: 'admin' },
  'GET /admin/outbox': { auth: 'admin' },
  'GET /admin/outbox/:id': { auth: 'admin', params: (fx) => ({ id: fx.emailId }) },
  'GET /admin/jobs': { auth: 'admin' },
  'GET /admin/users': { auth: 'admin' },
  'GET /admin/users/:id': { auth: 'admin', params: tess },
  'PATCH /admin/users/:id': { auth: 'admin', params: tess, body: (fx) => ({ name: fx.tess.name, email: fx.tess.email, phone: '' }) },
  'POST /admin/users/:id/suspension': { auth: 'admin', params: someone },
  'DELETE /admin/users/:id/suspension': { auth: 'admin', params: someone },
  'DELETE /admin/users/:id/lockout': { auth: 'admin', params: someone },
  'DELETE /admin/users/:id/two-factor': { auth: 'admin', params: someone },
  'POST /admin/users/:id/platform-admin': { auth: 'admin', params: someone },
  'DELETE /admin/users/:id/platform-admin': { auth: 'admin', params: someone },
  'POST /admin/users/:id/impersonation': { auth: 'admin', params: someone, body: () => ({ password: PASSWORD }) },
  'GET /admin/organizations': { auth: 'admin' },
  'GET /admin/organizations/:id': { auth: 'admin', params: (fx) => ({ id: fx.globex.id }) },
  'GET /admin/activity': { auth: 'admin' },
  'GET /admin/fraud': { auth: 'admin' },
  'POST /admin/fraud/checks/:id/decision': { auth: 'admin', params: async (fx) => ({ id: await fx.make.heldFraudCheck() }), body: () => ({ decision: 'block' }) },
  'GET /admin/fraud/settings': { auth: 'admin' },
  // An empty form (422): saving real settings would switch screening on for every other registration here.
  'PUT /admin/fraud/settings': { auth: 'admin' },

  // The JSON API: documentation, registration and tokens.
  'GET /api/v1/openapi.json': { auth: 'public' },
  'POST /api/v1/auth/register': { auth: 'public', body: () => ({ name: 'New Person', email: `api-${u()}@example.test`, password: 'a long enough password' }) },
  'POST /api/v1/auth/tokens': { auth: 'public', body: () => ({}) },
  'DELETE /api/v1/auth/tokens/current': { auth: 'user-token', self: true },
  'GET /api/v1/me': { auth: 'token' },

  // The JSON API: the caller's own keys (never managed with a key).
  'GET /api/v1/api-keys': { auth: 'user-token' },
  'POST /api/v1/api-keys': { auth: 'user-token', body: (fx) => ({ name: 'matrix key', organization_id: fx.acme.id, permissions: ['notes_view'] }) },
  'DELETE /api/v1/api-keys/:id': { auth: 'user-token', record: myKey },
  'GET /api/v1/activity': { auth: 'token', permission: 'settings_manage' },

  // The JSON API: organizations named by id.
  'GET /api/v1/organizations': { auth: 'token' },
  'POST /api/v1/organizations': { auth: 'user-token', body: () => ({ name: `Made in the matrix ${u()}` }) },
  'GET /api/v1/organizations/:id': { auth: 'token', org: 'path' },
  'PATCH /api/v1/organizations/:id': { auth: 'token', org: 'path', permission: 'settings_manage', body: () => ({ website: 'https://acme.example' }) },
  'GET /api/v1/organizations/:id/members': { auth: 'token', org: 'path' },
  'PATCH /api/v1/organizations/:id/members/:userId': { auth: 'token', org: 'path', permission: 'members_manage', record: orgMember, body: (fx) => ({ role_id: fx.acme.roles['Also nothing']! }) },
  'DELETE /api/v1/organizations/:id/members/:userId': { auth: 'token', org: 'path', permission: 'members_manage', record: orgMember },
  'GET /api/v1/organizations/:id/invitations': { auth: 'token', org: 'path', permission: 'members_manage' },
  'POST /api/v1/organizations/:id/invitations': { auth: 'token', org: 'path', permission: 'members_manage', body: (fx) => ({ email: `invitee-${u()}@example.test`, role_id: fx.acme.roles['Also nothing']! }) },
  'DELETE /api/v1/organizations/:id/invitations/:invitationId': { auth: 'token', org: 'path', permission: 'members_manage', record: orgInvitation((fx) => fx.make.acmeInvitation()) },
  'GET /api/v1/organizations/:id/roles': { auth: 'token', org: 'path' },
  'POST /api/v1/organizations/:id/roles': { auth: 'token', org: 'path', permission: 'members_manage', body: () => ({ name: `Matrix role ${u()}`, permissions: [] }) },
  'PATCH /api/v1/organizations/:id/roles/:roleId': { auth: 'token', org: 'path', permission: 'members_manage', record: orgRole((fx) => fx.acme.editableRoleId), body: () => ({ permissions: [] }) },
  'DELETE /api/v1/organizations/:id/roles/:roleId': { auth: 'token', org: 'path', permission: 'members_manage', record: orgRole((fx) => fx.make.acmeRole()) },

  // The JSON API: the acting organization's invoices.
  'GET /api/v1/invoices': { auth: 'token', permission: 'billing_view' },
  'GET /api/v1/invoices/:id': { auth: 'token', permission: 'billing_view', record: orgInvoice },
  'GET /api/v1/invoices/:id/pdf': { auth: 'token', permission: 'billing_view', record: orgInvoice },

  // The JSON API: invitations addressed to the caller.
  'POST /api/v1/invitations/:token/accept': { auth: 'user-token', record: myInvitation, self: true },
  'POST /api/v1/invitations/:token/decline': { auth: 'user-token', record: myInvitation, self: true },

  // Billing: the active organization's wallet and top-ups (src/web/pages/portal/billing/, api/v1/wallet.ts).
  'POST /webhooks/paypal': { auth: 'signature' },
  'GET /billing': { auth: 'session', permission: 'billing_view' },
  'POST /billing/top-ups': { auth: 'session', permission: 'billing_manage', body: () => ({ amount: '' }) },
  'POST /billing/top-ups/:id/checkout': { auth: 'session', permission: 'billing_manage', record: orgTopUp },
  'GET /billing/payment/success': { auth: 'session', permission: 'billing_manage' },
  'GET /billing/payment/cancel': { auth: 'session', permission: 'billing_manage' },
  'GET /billing/transactions': { auth: 'session', permission: 'billing_view' },
  'GET /billing/transactions/:id': { auth: 'session', permission: 'billing_view', record: orgWalletTransaction },
  'GET /api/v1/wallet': { auth: 'token', permission: 'billing_view' },
  'GET /api/v1/wallet/transactions': { auth: 'token', permission: 'billing_view' },
  'POST /api/v1/wallet/top-ups': { auth: 'token', permission: 'billing_manage', body: () => ({ amount: '' }) },
  'POST /api/v1/wallet/top-ups/:id/capture': { auth: 'token', permission: 'billing_manage', record: orgTopUp },

  // Staff refunds of a payment (src/web/pages/admin/payment.ts, api/v1/admin-refunds.ts): platform admins only.
  'GET /admin/billing/payments/:id': { auth: 'admin', params: async (fx) => ({ id: await completedTopUpOf(fx, fx.globex.id) }) },
  'POST /admin/billing/payments/:id/refunds': { auth: 'admin', params: async (fx) => ({ id: await completedTopUpOf(fx, fx.globex.id) }), body: () => ({ amount: '', destination: 'wallet', reason: '' }) },
  'POST /admin/billing/payments/:id/refunds/:refundId/sync': { auth: 'admin', params: async (fx) => {
    const id = await completedTopUpOf(fx, fx.globex.id);
    const refund = await fx.ctx.db.insertInto('refunds').values({ payment_id: id, amount: 1_000_000n, destination: 'paypal', status: 'failed', request_id: crypto.randomUUID(), reason: 'Matrix (nothing moved)' }).returning('id').executeTakeFirstOrThrow();
    return { id, refundId: refund.id };
  } },
  'POST /api/v1/admin/refunds': { auth: 'admin', body: async (fx) => ({ payment_id: await completedTopUpOf(fx, fx.globex.id), amount: '', destination: 'wallet', reason: '' }) },

  // Staff billing (src/web/pages/admin/billing.ts, api/v1/admin-billing.ts): wallets, ledgers, adjustments, payments, reconciliation.
  'GET /admin/billing': { auth: 'admin' },
  'GET /admin/billing/organizations/:id': { auth: 'admin', params: (fx) => ({ id: fx.globex.id }) },
  // An empty form (422): nothing is posted.
  'POST /admin/billing/organizations/:id/adjustments': { auth: 'admin', params: (fx) => ({ id: fx.globex.id }), body: () => ({ amount: '', reason: '' }) },
  'GET /admin/billing/payments': { auth: 'admin' },
  'GET /admin/billing/reconciliation': { auth: 'admin' },
  'POST /api/v1/admin/organizations/:id/wallet/adjustments': { auth: 'admin-token', params: (fx) => ({ id: fx.globex.id }), body: () => ({}) },
};
