import { verifyPassword } from '../../src/domain/accounts/passwords.ts';
import { sendPasswordReset } from '../../src/domain/accounts/recovery.ts';
import { authenticatePassword } from '../../src/domain/accounts/login.ts';
import { beginTotpSetup } from '../../src/domain/accounts/two-factor.ts';
import type { Permission } from '../../src/domain/access/permissions.ts';
import { getFraudSettings } from '../../src/domain/settings/fraud.ts';
import { hashToken } from '../../src/lib/crypto.ts';
import { toDecimal } from '../../src/lib/money.ts';
import { runQueued } from '../helpers/jobs.ts';
import { PASSWORD } from '../helpers/people.ts';
import type { Caller, Credentials } from './callers.ts';
import { activeOrganizationOf, totpNow, type Fixtures, type Person } from './fixtures.ts';
import { CATALOGUE_ROUTES } from './routes-catalogue.ts';
import { KEYS_NOTES_FIREWALLS_ROUTES } from './routes-keys-notes-firewalls.ts';
import { SERVER_ROUTES } from './routes-servers.ts';
import { CONSOLE_ROUTES } from './routes-console.ts';
import { DUNNING_ROUTES } from './routes-dunning.ts';
import { INBOX_ROUTES, NOTIFICATION_ROUTES } from './routes-notifications.ts';
import { TRANSFER_ROUTES } from './routes-transfer.ts';
import { SUPPORT_ROUTES } from './routes-support.ts';
import { SUPPORT_STAFF_ROUTES } from './routes-support-staff.ts';
import { SITE_ROUTES } from './routes-site.ts';
import { SEARCH_ROUTES } from './routes-search.ts';
import { ME_ROUTES } from './routes-me.ts';
import { PLATFORM_SETTINGS_ROUTES } from './routes-platform-settings.ts';
import { THEME_ROUTES } from './routes-theme.ts';
import { ANNOUNCEMENT_ROUTES } from './routes-announcements.ts';
import { HOSTING_ROUTES } from './routes-hosting.ts';
import { HOSTING_ADMIN_ROUTES } from './routes-hosting-admin.ts';
import { HOSTING_BILLING_ROUTES } from './routes-hosting-billing.ts';
import { HOSTING_DATA_ROUTES } from './routes-hosting-data.ts';
import { HOSTING_SITE_ROUTES } from './routes-hosting-site.ts';
import { HOSTING_STORE_ROUTES } from './routes-hosting-store.ts';
import { EMAIL_TEMPLATE_ROUTES } from './routes-email-templates.ts';
import { SECURITY_ROUTES } from './routes-security.ts';
import { CONTACT_ROUTES } from './routes-contact.ts';
import { BLOG_ROUTES } from './routes-blog.ts';
import { CONTENT_ROUTES } from './routes-content.ts';
import { WEBHOOK_PAGE_ROUTES } from './routes-webhooks-pages.ts';
import { WEBHOOK_API_ROUTES } from './routes-webhooks-api.ts';

/**
 * Every route the app serves, HTML and JSON, with what it requires and what it does. The
 * matrix test fails when a served route is missing here or an entry is no longer served: a
 * new route must say who may call it, and what a permitted call does, before it can ship.
 * Refusal statuses are not written per route: `expectation()` in matrix.ts derives them from
 * the requirements. What a permitted call must do is written per route (`done`): its status
 * and the change it made or what it shows, checked for every caller the matrix lets through.
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
  | 'signature'
  /** Prometheus' scrape: METRICS_TOKEN as a bearer token alone (the matrix sets one); no session or API credential counts (401). */
  | 'metrics-token';

/** Which variant of a call: the caller's own things, another organization named by id, or a record of another organization/user. */
export type Whose = 'own' | 'foreign-org' | 'foreign-record';

export type Body = Record<string, string | string[] | null>;

/** One call as it is prepared, made and judged. */
export interface Call {
  fx: Fixtures;
  caller: Caller;
  whose: Whose;
  creds: Credentials;
  /** Who the credentials are (null: anonymous). */
  me: Person | null;
  /** The organization the caller acts in when none is named: Acme for its members and keys, a platform admin's own. */
  org: string;
  params: Record<string, string>;
  body?: Body;
  /** The query string, without `?`. */
  query: string;
  /** What the route's `setup` made for this call. */
  made: Record<string, string>;
  /** Made by a fresh twin of the caller (a `self` route): setup may change the twin's standing. */
  fresh: boolean;
}

export interface Outcome {
  status: number;
  location: string | null;
  text: string;
}

/** What a permitted call does: its status, where it redirects, what the answer shows, and the change it made. */
export interface Done {
  status: number;
  location?: string | RegExp;
  /** Text the answer contains (HTML-escaped where the answer is a page). */
  shows?: string | string[];
  /** What is wrong with the state after the call, or null. */
  effect?: (c: Call, out: Outcome) => Promise<string | null> | string | null;
}

type Make = (c: Call) => string | Promise<string>;

export interface Requirement {
  auth: Auth;
  /** Needed in the organization the request acts in; 'owner' is the predefined owner role. */
  permission?: Permission | 'owner';
  /** Needed instead: any one of these in the organization the request acts in (tickets: `tickets_view` reads all, `tickets_create` one's own). */
  anyPermission?: readonly Permission[];
  /** Where the organization is named: the URL's `:id` (JSON API) or the body's `organization_id`. Unnamed: the active one, the key's, or X-Organization-Id. */
  org?: 'path' | 'body';
  /** The record named by the URL's last parameter: one of the acting organization's ('org') or the caller's own ('user'). Made fresh for each call. */
  record?: { of: 'org' | 'user'; own: Make; foreign: Make };
  /** Writes refused (403) while an admin impersonates: the account's own credentials and access, and who belongs to an organization with which role. */
  refusedWhileImpersonating?: true;
  /** Changes the caller's own standing (signs out, leaves, joins…): every call is made by a fresh twin of the caller. */
  self?: true;
  /** What a caller without credentials gets, where it is not the usual sign-in redirect / 401. */
  anonymous?: number;
  /** Makes what this call needs before it is made (its results land in `call.made`). */
  setup?: (c: Call) => Promise<Record<string, string> | void>;
  /** Other path parameters (emailed-link tokens, the user an admin page is about). */
  params?: (c: Call) => Record<string, string> | Promise<Record<string, string>>;
  /** The body of a call that does what the route is for. */
  body?: (c: Call) => Body | Promise<Body>;
  query?: (c: Call) => string;
  /** What a permitted call does. */
  done: Done | ((c: Call) => Done | Promise<Done>);
}

/**
 * Stand-ins for outside services (a fraud screener, a payment provider…) that demo mode serves
 * in-process for the app to call over HTTP. They are not the app: no sessions, no tenants, no
 * customer data, and never mounted with emulators off (the matrix test checks that), so they
 * are left out of the table rather than listed one endpoint at a time.
 */
export const EMULATORS = '/_emulators/';

const u = () => Math.random().toString(36).slice(2, 10);
const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
const title = (t: string) => `<title>${escapeHtml(t)} · SkyPanel</title>`;
const json = (out: Outcome) => JSON.parse(out.text) as Record<string, unknown>;
const problem = (ok: boolean, what: string) => (ok ? null : what);
const db = (c: Call) => c.fx.ctx.db;
const me = (c: Call) => c.me!;

// Billing runs: a past clock hour no other call has used, a queued run to read, and whether a run of an hour exists.
let runHours = 1_000;
const pastHour = () => new Date((Math.floor(Date.now() / 3_600_000) - ++runHours) * 3_600_000).toISOString();
async function queuedRun(c: Call) {
  const row = await db(c)
    .insertInto('billing_runs')
    .values({ hour_start: new Date(pastHour()), status: 'queued', trigger: 'admin', currency: 'USD' })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}
const runOf = async (c: Call, hour: string) =>
  problem(
    (await db(c)
      .selectFrom('billing_runs')
      .select('id')
      .where('hour_start', '=', new Date(hour))
      .executeTakeFirst()) !== undefined,
    `no run of ${hour} was queued`,
  );

// Records, made fresh for every call that names one.
const orgMember: Requirement['record'] = {
  of: 'org',
  own: (c) => c.fx.make.acmeMember(),
  foreign: (c) => c.fx.globex.memberId,
};
const orgInvitation: Requirement['record'] = {
  of: 'org',
  own: (c) => c.fx.make.acmeInvitation(),
  foreign: (c) => c.fx.globex.invitationId,
};
const orgRole: Requirement['record'] = {
  of: 'org',
  own: (c) => c.fx.make.acmeRole(),
  foreign: (c) => c.fx.globex.roleId,
};
const orgInvoice: Requirement['record'] = {
  of: 'org',
  own: (c) => c.fx.acmeInvoiceId,
  foreign: (c) => c.fx.globex.invoiceId,
};
const myKey: Requirement['record'] = {
  of: 'user',
  own: (c) => (c.me ? c.fx.make.keyOf(c.me.id) : crypto.randomUUID()),
  foreign: (c) => c.fx.globex.apiKeyId,
};
const mySession: Requirement['record'] = {
  of: 'user',
  own: (c) => (c.me ? c.fx.make.sessionOf(c.me.id) : crypto.randomUUID()),
  foreign: (c) => c.fx.globex.sessionId,
};
/** An invitation addressed to the caller (from Initech), or to someone else. */
const myInvitation: Requirement['record'] = {
  of: 'user',
  own: (c) => c.fx.make.invitationFor(c.me?.email ?? `nobody-${u()}@example.test`),
  foreign: (c) => c.fx.globex.invitationToken,
};
const orgWalletTransaction: Requirement['record'] = {
  of: 'org',
  own: (c) => c.fx.make.funded(c.fx.acme.id),
  foreign: (c) => c.fx.make.funded(c.fx.globex.id),
};
const orgHeldTopUp: Requirement['record'] = {
  of: 'org',
  own: (c) => c.fx.make.heldTopUp(c.fx.acme.id),
  foreign: (c) => c.fx.make.heldTopUp(c.fx.globex.id),
};
const orgApprovedTopUp: Requirement['record'] = {
  of: 'org',
  own: async (c) => (await c.fx.make.topUp(c.fx.acme.id, { approved: true })).paymentId,
  foreign: async (c) => (await c.fx.make.topUp(c.fx.globex.id, { approved: true })).paymentId,
};

// What calls change, read back.
const roleNameOf = async (c: Call, userId: string, orgId = c.fx.acme.id) =>
  (
    await db(c)
      .selectFrom('organization_members as m')
      .innerJoin('roles as r', 'r.id', 'm.role_id')
      .select('r.name')
      .where('m.organization_id', '=', orgId)
      .where('m.user_id', '=', userId)
      .executeTakeFirst()
  )?.name ?? null;
const invitationStatus = async (c: Call, id: string) =>
  (await db(c).selectFrom('invitations').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status;
const invitationByToken = (c: Call, token: string) =>
  db(c)
    .selectFrom('invitations')
    .select(['organization_id', 'status'])
    .where('token_hash', '=', hashToken(token))
    .executeTakeFirstOrThrow();
const roleRow = (c: Call, id: string) =>
  db(c).selectFrom('roles').select(['name', 'permissions']).where('id', '=', id).executeTakeFirst();
const userRow = (c: Call, id: string) =>
  db(c).selectFrom('users').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const sessionExists = async (c: Call, id: string) =>
  (await db(c).selectFrom('sessions').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
const paymentRow = (c: Call, id: string) =>
  db(c)
    .selectFrom('payments')
    .select(['organization_id', 'status', 'provider_order_id', 'created_by'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
const refundRow = (c: Call, id: string) =>
  db(c).selectFrom('refunds').select(['status', 'amount', 'payment_id']).where('id', '=', id).executeTakeFirstOrThrow();
const balanceOf = async (c: Call, orgId: string) =>
  (await db(c).selectFrom('wallets').select('balance').where('organization_id', '=', orgId).executeTakeFirstOrThrow())
    .balance;
const emailsTo = (c: Call, to: string, template: string) =>
  db(c).selectFrom('emails').select('id').where('to_address', '=', to).where('template', '=', template).execute();
const keyRevoked = async (c: Call, id: string) =>
  (await db(c).selectFrom('api_keys').select('revoked_at').where('id', '=', id).executeTakeFirstOrThrow())
    .revoked_at !== null;
const roleIn = async (c: Call, name: string) =>
  (
    await db(c)
      .selectFrom('roles')
      .select('id')
      .where('organization_id', '=', c.org)
      .where('name', '=', name)
      .executeTakeFirstOrThrow()
  ).id;
const orgName = async (c: Call) =>
  (await db(c).selectFrom('organizations').select('name').where('id', '=', c.org).executeTakeFirstOrThrow()).name;
/** The caller's personal organization (where they hold every permission). */
const personalOrg = async (c: Call) =>
  (
    await db(c)
      .selectFrom('organizations')
      .select('id')
      .where('created_by', '=', me(c).id)
      .where('personal', '=', true)
      .executeTakeFirstOrThrow()
  ).id;
/** Whether the caller has a live signed-in browser session (pages answer everyone else as someone signed out). */
const signedInBrowser = (c: Call) =>
  c.caller.kind === 'member' || c.caller.kind === 'platform-admin' || c.caller.kind === 'impersonating';

/** A PayPal approval page of the emulator, where a top-up sends the buyer. */
const TO_PAYPAL = /\/checkoutnow\?token=[\w-]+$/;
const orderIn = (out: Outcome) => /token=([\w-]+)$/.exec(out.location ?? '')?.[1] ?? '';
/** The payment whose PayPal order the answer sends the buyer to: the caller's acting organization's, new, with an order. */
async function startedTopUp(c: Call, out: Outcome, paymentId?: string) {
  const row = await db(c)
    .selectFrom('payments')
    .select(['id', 'organization_id', 'status', 'created_by'])
    .where('provider_order_id', '=', orderIn(out))
    .executeTakeFirst();
  if (!row) return `no payment has the order the answer sends the buyer to (${out.location})`;
  if (paymentId && row.id !== paymentId) return 'another payment went to PayPal';
  if (!paymentId && row.created_by !== me(c).id) return 'the payment is not the caller’s';
  return problem(
    row.organization_id === c.org && row.status === 'created',
    `the payment is ${row.status} in ${row.organization_id === c.org ? 'the acting organization' : 'another organization'}`,
  );
}

/** An admin-page target: a stranger made for this call. */
const someone = async (c: Call) => ({ id: (await c.fx.make.stranger('Admin target')).id });

const credentials: Pick<Requirement, 'auth' | 'refusedWhileImpersonating'> = {
  auth: 'session',
  refusedWhileImpersonating: true,
};

/** A page showing `what` (its <title>, and any text). */
const page = (t: string, ...shows: string[]): Done => ({ status: 200, shows: [title(t), ...shows] });

export const ROUTES: Record<string, Requirement> = {
  // The platform.
  'GET /health': { auth: 'public', done: { status: 200, shows: '"status":"ok"' } },
  'GET /ready': { auth: 'public', done: { status: 200, shows: '"status":"ready"' } },
  'GET /metrics': { auth: 'metrics-token', done: { status: 200, shows: 'skypanel_http_request_duration_seconds' } },
  'GET /events': { auth: 'session', anonymous: 401, done: { status: 200, shows: 'event: ready' } },
  'DELETE /impersonation': {
    auth: 'impersonating',
    self: true,
    anonymous: 404,
    done: (c) => ({
      status: 303,
      location: `/admin/users/${me(c).id}`,
      effect: async () =>
        problem(!(await sessionExists(c, c.creds.sessionId!)), 'the impersonation session is still there'),
    }),
  },

  // Public pages: signing in and up, emailed links.
  'GET /': { auth: 'public', done: page('Cloud servers, billed by the hour') },
  'GET /login': {
    auth: 'public',
    done: (c) => (signedInBrowser(c) ? { status: 303, location: '/dashboard' } : page('Sign in', 'name="password"')),
  },
  'POST /login': {
    auth: 'public',
    self: true,
    setup: async (c) => {
      const p = await c.fx.make.person('Signing In');
      return { userId: p.id, email: p.email };
    },
    body: (c) => ({ email: c.made.email!, password: PASSWORD }),
    done: (c) => ({
      status: 303,
      location: '/dashboard',
      effect: async () =>
        problem(
          (
            await db(c)
              .selectFrom('sessions')
              .select('id')
              .where('user_id', '=', c.made.userId!)
              .where('stage', '=', 'full')
              .execute()
          ).length === 1,
          'no session was opened for the person signing in',
        ),
    }),
  },
  'GET /login/two-factor': {
    auth: 'public',
    done: (c) =>
      c.caller.kind === 'half-signed-in'
        ? page('Two-factor authentication', 'name="code"')
        : { status: 303, location: '/login' },
  },
  'POST /login/two-factor': {
    auth: 'public',
    self: true,
    // The next step's code: the current one was spent turning two-factor on.
    body: async (c) => ({ code: c.creds.totpSecret ? await totpNow(c.fx.ctx, c.creds.totpSecret, 1) : '000000' }),
    done: (c) =>
      c.caller.kind === 'half-signed-in'
        ? {
            status: 303,
            location: '/dashboard',
            effect: async () => {
              const sessions = await db(c)
                .selectFrom('sessions')
                .select(['id', 'stage'])
                .where('user_id', '=', me(c).id)
                .execute();
              return problem(
                sessions.length === 1 && sessions[0]!.stage === 'full' && sessions[0]!.id !== c.creds.sessionId,
                `the sessions are ${JSON.stringify(sessions.map((s) => s.stage))}`,
              );
            },
          }
        : { status: 303, location: '/login' },
  },
  'POST /logout': {
    auth: 'public',
    self: true,
    // A live session (full or half-signed-in) ends; a dead one or none leaves nothing to end.
    done: (c) => ({
      status: 303,
      location: '/login',
      effect: async () =>
        signedInBrowser(c) || c.caller.kind === 'half-signed-in'
          ? problem(!(await sessionExists(c, c.creds.sessionId!)), 'the session is still live')
          : null,
    }),
  },
  'GET /register': {
    auth: 'public',
    done: (c) =>
      signedInBrowser(c) ? { status: 303, location: '/dashboard' } : page('Create your account', 'name="email"'),
  },
  'POST /register': {
    auth: 'public',
    self: true,
    setup: async () => ({ email: `new-${u()}@example.test` }),
    body: (c) => ({ name: 'New Person', email: c.made.email!, password: 'a long enough password' }),
    done: (c) => ({
      status: 303,
      location: '/dashboard',
      effect: async () =>
        problem(
          (await db(c).selectFrom('users').select('status').where('email', '=', c.made.email!).executeTakeFirst())
            ?.status === 'active',
          'no account was opened',
        ),
    }),
  },
  'GET /register/review': { auth: 'public', done: page('Your account is being reviewed') },
  'GET /forgot-password': { auth: 'public', done: page('Reset your password', 'name="email"') },
  'POST /forgot-password': {
    auth: 'public',
    setup: async (c) => ({ email: (await c.fx.make.person('Forgetful')).email }),
    body: (c) => ({ email: c.made.email! }),
    done: (c) => ({
      ...page('Check your email'),
      effect: async () => {
        // The link is sent by the queued job (tests start no workers).
        await runQueued(c.fx.ctx, 'accounts.send-password-reset', (data) => sendPasswordReset(c.fx.ctx.deps, data));
        return problem((await emailsTo(c, c.made.email!, 'password_reset')).length === 1, 'no reset link was emailed');
      },
    }),
  },
  'GET /reset-password/:token': {
    auth: 'public',
    params: async (c) => c.fx.make.userToken('reset_password'),
    done: page('Choose a new password', 'name="password"'),
  },
  'POST /reset-password/:token': {
    auth: 'public',
    params: async (c) => c.fx.make.userToken('reset_password'),
    setup: async () => ({ password: `new password ${u()}` }),
    body: (c) => ({ password: c.made.password! }),
    done: (c) => ({
      status: 303,
      location: '/login',
      effect: async () =>
        problem(
          await verifyPassword(c.made.password!, (await userRow(c, c.params.userId!)).password_hash),
          'the password did not change',
        ),
    }),
  },
  'GET /verify-email/:token': {
    auth: 'public',
    params: async (c) => c.fx.make.userToken('verify_email'),
    done: (c) => ({
      status: 303,
      location: signedInBrowser(c) ? '/dashboard' : '/login',
      effect: async () =>
        problem((await userRow(c, c.params.userId!)).email_verified_at !== null, 'the address is still unconfirmed'),
    }),
  },

  // The portal: the signed-in user's own account.
  'GET /dashboard': {
    auth: 'session',
    done: async (c) => page('Dashboard', `You are working in <strong>${escapeHtml(await orgName(c))}</strong>`),
  },
  'POST /email-verification': {
    auth: 'session',
    self: true,
    setup: async (c) => {
      if (c.fresh)
        await db(c).updateTable('users').set({ email_verified_at: null }).where('id', '=', me(c).id).execute();
    },
    done: (c) => ({
      status: 303,
      location: '/dashboard',
      effect: async () =>
        problem((await emailsTo(c, me(c).email, 'verify_email')).length === 1, 'no confirmation link was emailed'),
    }),
  },
  'GET /settings': { auth: 'session', done: { status: 303, location: '/settings/profile' } },
  'GET /settings/profile': { auth: 'session', done: (c) => page('Profile', escapeHtml(me(c).email)) },
  'POST /settings/profile': {
    auth: 'session',
    setup: async () => ({ phone: `+1 555 ${Math.floor(1000 + Math.random() * 9000)}` }),
    body: (c) => ({ name: c.me?.name ?? 'Someone', phone: c.made.phone!, timezone: 'UTC' }),
    done: (c) => ({
      status: 303,
      location: '/settings/profile',
      effect: async () =>
        problem((await userRow(c, me(c).id)).phone === c.made.phone, 'the phone number was not saved'),
    }),
  },
  'POST /settings/email': {
    ...credentials,
    self: true,
    setup: async () => ({ email: `moved-${u()}@example.test` }),
    body: (c) => ({ email: c.made.email!, current_password: PASSWORD }),
    done: (c) => ({
      status: 303,
      location: '/settings/profile',
      effect: async () => problem((await userRow(c, me(c).id)).email === c.made.email, 'the address did not change'),
    }),
  },
  'GET /settings/password': { auth: 'session', done: page('Password', 'name="new_password"') },
  'POST /settings/password': {
    ...credentials,
    self: true,
    setup: async () => ({ password: `new password ${u()}` }),
    body: (c) => ({ current_password: PASSWORD, new_password: c.made.password! }),
    done: (c) => ({
      status: 303,
      location: '/settings/password',
      effect: async () =>
        problem(
          await verifyPassword(c.made.password!, (await userRow(c, me(c).id)).password_hash),
          'the password did not change',
        ),
    }),
  },
  'GET /settings/api-keys': {
    auth: 'session',
    setup: async (c) => {
      if (!c.me) return;
      const id = await c.fx.make.keyOf(c.me.id);
      return {
        name: (await db(c).selectFrom('api_keys').select('name').where('id', '=', id).executeTakeFirstOrThrow()).name,
      };
    },
    done: (c) => page('API keys', escapeHtml(c.made.name!)),
  },
  'POST /settings/api-keys': {
    ...credentials,
    setup: async (c) => ({ name: `matrix key ${u()}`, organizationId: c.me ? await personalOrg(c) : c.fx.acme.id }),
    body: (c) => ({ name: c.made.name!, organization_id: c.made.organizationId!, permissions: ['notes_view'] }),
    done: (c) => ({
      status: 201,
      shows: 'data-testid="api-key-secret">spk_',
      effect: async () => {
        const key = await db(c)
          .selectFrom('api_keys')
          .select(['user_id', 'organization_id', 'permissions'])
          .where('name', '=', c.made.name!)
          .executeTakeFirst();
        return problem(
          key?.user_id === me(c).id &&
            key.organization_id === c.made.organizationId &&
            key.permissions.join() === 'notes_view',
          'the key was not made as asked',
        );
      },
    }),
  },
  'DELETE /settings/api-keys/:id': {
    ...credentials,
    record: myKey,
    done: (c) => ({
      status: 200,
      shows: 'id="api-keys"',
      effect: async () => problem(await keyRevoked(c, c.params.id!), 'the key is still live'),
    }),
  },
  'GET /settings/security': {
    auth: 'session',
    done: (c) => page('Security', `id="session-${c.creds.sessionId}"`, 'This device'),
  },
  'POST /settings/two-factor': {
    ...credentials,
    body: () => ({ password: PASSWORD }),
    done: (c) => ({
      ...page('Set up two-factor authentication', 'data-testid="totp-secret"'),
      effect: async () => problem((await userRow(c, me(c).id)).totp_secret !== null, 'no setup was started'),
    }),
  },
  'POST /settings/two-factor/confirmation': {
    ...credentials,
    self: true,
    setup: async (c) => {
      if (c.fresh && signedInBrowser(c))
        return { secret: (await beginTotpSetup(c.fx.ctx.deps, me(c).id, PASSWORD)).secret };
    },
    body: async (c) => ({ code: c.made.secret ? await totpNow(c.fx.ctx, c.made.secret) : '000000' }),
    done: (c) => ({
      ...page('Your recovery codes'),
      effect: async () => problem((await userRow(c, me(c).id)).totp_enabled_at !== null, 'two-factor is not on'),
    }),
  },
  'DELETE /settings/two-factor': {
    ...credentials,
    self: true,
    setup: async (c) =>
      c.fresh && signedInBrowser(c) ? { code: (await c.fx.make.twoFactorOn(me(c).id))[0]! } : undefined,
    body: (c) => ({ password: PASSWORD, code: c.made.code ?? '000000' }),
    done: (c) => ({
      status: 303,
      location: '/settings/security',
      effect: async () => problem((await userRow(c, me(c).id)).totp_enabled_at === null, 'two-factor is still on'),
    }),
  },
  'DELETE /settings/sessions/:id': {
    ...credentials,
    record: mySession,
    done: (c) => ({
      status: 200,
      shows: ['id="sessions"', `id="session-${c.creds.sessionId}"`],
      effect: async () => problem(!(await sessionExists(c, c.params.id!)), 'the session is still live'),
    }),
  },
  'DELETE /settings/sessions': {
    ...credentials,
    self: true,
    setup: async (c) => (c.fresh ? { other: await c.fx.make.sessionOf(me(c).id) } : undefined),
    done: (c) => ({
      status: 200,
      effect: async () =>
        problem(
          !(await sessionExists(c, c.made.other!)) && (await sessionExists(c, c.creds.sessionId!)),
          'the other session is still live, or this one ended',
        ),
    }),
  },

  // The portal: the active organization.
  'GET /activity': {
    auth: 'session',
    permission: 'settings_manage',
    setup: async (c) => {
      const marker = `matrix marker ${u()}`;
      await c.fx.make.activity(c.org, marker);
      return { marker };
    },
    done: (c) => page('Activity', escapeHtml(c.made.marker!)),
  },
  'GET /activity.csv': {
    auth: 'session',
    permission: 'settings_manage',
    setup: async (c) => {
      const marker = `matrix marker ${u()}`;
      await c.fx.make.activity(c.org, marker);
      return { marker };
    },
    done: (c) => ({ status: 200, shows: ['"occurred_at","action"', c.made.marker!] }),
  },
  'GET /organizations': { auth: 'session', done: async (c) => page('Organizations', escapeHtml(await orgName(c))) },
  'POST /organizations': {
    auth: 'session',
    self: true,
    setup: async () => ({ name: `Made in the matrix ${u()}` }),
    body: (c) => ({ name: c.made.name! }),
    done: (c) => ({
      status: 303,
      location: '/organization/members',
      effect: async () => {
        const org = await db(c)
          .selectFrom('organizations')
          .select('id')
          .where('name', '=', c.made.name!)
          .executeTakeFirst();
        return problem(
          org !== undefined && (await roleNameOf(c, me(c).id, org.id)) === 'owner',
          'the organization was not made with the caller as owner',
        );
      },
    }),
  },
  'POST /active-organization': {
    auth: 'session',
    org: 'body',
    self: true,
    setup: async (c) => {
      if (c.fresh)
        await db(c)
          .updateTable('users')
          .set({ active_organization_id: await personalOrg(c) })
          .where('id', '=', me(c).id)
          .execute();
    },
    body: (c) => ({ organization_id: c.whose === 'foreign-org' ? c.fx.globex.id : c.fx.acme.id }),
    done: (c) => ({
      status: 303,
      location: '/dashboard',
      effect: async () =>
        problem(
          (await activeOrganizationOf(c.fx.ctx, me(c).id))?.id === c.fx.acme.id,
          'Acme is not the active organization',
        ),
    }),
  },
  'GET /active-organization/:id': {
    auth: 'session',
    org: 'path',
    query: () => `next=${encodeURIComponent('/billing')}`,
    done: async (c) =>
      (await activeOrganizationOf(c.fx.ctx, me(c).id))?.id === c.fx.acme.id
        ? { status: 303, location: '/billing' }
        : { status: 200, shows: ['Continue as', 'name="next" value="/billing"'] },
  },
  'GET /organization/settings': {
    auth: 'session',
    permission: 'settings_manage',
    done: async (c) => page('Organization settings', `value="${escapeHtml(await orgName(c))}"`),
  },
  'POST /organization/settings': {
    auth: 'session',
    permission: 'settings_manage',
    setup: async () => ({ website: `https://w-${u()}.example` }),
    body: async (c) => ({ name: await orgName(c), website: c.made.website!, address: '', tax_id: '' }),
    done: (c) => ({
      status: 303,
      location: '/organization/settings',
      effect: async () =>
        problem(
          (await db(c).selectFrom('organizations').select('website').where('id', '=', c.org).executeTakeFirstOrThrow())
            .website === c.made.website,
          'the website was not saved',
        ),
    }),
  },
  'GET /organization/members': { auth: 'session', done: (c) => page('Members', escapeHtml(me(c).email)) },
  'PATCH /organization/members/:userId': {
    auth: 'session',
    refusedWhileImpersonating: true,
    permission: 'members_manage',
    record: orgMember,
    body: (c) => ({ role_id: c.fx.acme.roles['Also nothing']! }),
    done: (c) => ({
      status: 303,
      location: '/organization/members',
      effect: async () =>
        problem((await roleNameOf(c, c.params.userId!)) === 'Also nothing', 'the role did not change'),
    }),
  },
  'DELETE /organization/members/:userId': {
    auth: 'session',
    refusedWhileImpersonating: true,
    permission: 'members_manage',
    record: orgMember,
    done: (c) => ({
      status: 303,
      location: '/organization/members',
      effect: async () => problem((await roleNameOf(c, c.params.userId!)) === null, 'they are still a member'),
    }),
  },
  'DELETE /organization/membership': {
    auth: 'session',
    refusedWhileImpersonating: true,
    self: true,
    // Someone acting in their personal organization (a platform admin) leaves a team of theirs instead: a personal one is never left.
    setup: async (c) => {
      if (c.fresh && !c.caller.memberOfAcme) c.org = await c.fx.make.teamOf(me(c).id);
    },
    done: (c) => ({
      status: 303,
      location: '/organizations',
      effect: async () => problem((await roleNameOf(c, me(c).id, c.org)) === null, 'they are still a member'),
    }),
  },
  'POST /organization/ownership': {
    auth: 'session',
    refusedWhileImpersonating: true,
    permission: 'owner',
    self: true,
    setup: async (c) => ({ to: await c.fx.make.memberOf(c.org, 'viewer') }),
    body: (c) => ({ user_id: c.made.to! }),
    done: (c) => ({
      status: 303,
      location: '/organization/members',
      effect: async () =>
        problem(
          (await roleNameOf(c, c.made.to!, c.org)) === 'owner' && (await roleNameOf(c, me(c).id, c.org)) === 'admin',
          'ownership did not move',
        ),
    }),
  },
  'POST /organization/invitations': {
    auth: 'session',
    refusedWhileImpersonating: true,
    permission: 'members_manage',
    setup: async (c) => ({ email: `invitee-${u()}@example.test`, role: await roleIn(c, 'viewer') }),
    body: (c) => ({ email: c.made.email!, role_id: c.made.role! }),
    done: (c) => ({
      status: 303,
      location: '/organization/members',
      effect: async () => {
        const inv = await db(c)
          .selectFrom('invitations')
          .select(['organization_id', 'status'])
          .where('email', '=', c.made.email!)
          .executeTakeFirst();
        return problem(
          inv?.organization_id === c.org &&
            inv.status === 'pending' &&
            (await emailsTo(c, c.made.email!, 'invitation')).length === 1,
          'no invitation was sent',
        );
      },
    }),
  },
  'POST /organization/invitations/:id/deliveries': {
    auth: 'session',
    refusedWhileImpersonating: true,
    permission: 'members_manage',
    record: orgInvitation,
    done: (c) => ({
      status: 303,
      location: '/organization/members',
      effect: async () => {
        const inv = await db(c)
          .selectFrom('invitations')
          .select(['email', 'status'])
          .where('id', '=', c.params.id!)
          .executeTakeFirstOrThrow();
        return problem(
          inv.status === 'pending' && (await emailsTo(c, inv.email, 'invitation')).length === 1,
          'no new link was emailed',
        );
      },
    }),
  },
  'DELETE /organization/invitations/:id': {
    auth: 'session',
    refusedWhileImpersonating: true,
    permission: 'members_manage',
    record: orgInvitation,
    done: (c) => ({
      status: 303,
      location: '/organization/members',
      effect: async () =>
        problem((await invitationStatus(c, c.params.id!)) === 'cancelled', 'the invitation is still pending'),
    }),
  },
  'GET /organization/roles': { auth: 'session', done: page('Roles', 'vps_manager') },
  'POST /organization/roles': {
    auth: 'session',
    refusedWhileImpersonating: true,
    permission: 'members_manage',
    setup: async () => ({ name: `Matrix role ${u()}` }),
    body: (c) => ({ name: c.made.name! }),
    done: (c) => ({
      status: 303,
      location: '/organization/roles',
      effect: async () =>
        problem(
          (
            await db(c)
              .selectFrom('roles')
              .select('organization_id')
              .where('name', '=', c.made.name!)
              .executeTakeFirst()
          )?.organization_id === c.org,
          'the role was not made in the acting organization',
        ),
    }),
  },
  'GET /organization/roles/:id': {
    auth: 'session',
    permission: 'members_manage',
    record: orgRole,
    done: async (c) => page(`Role ${(await roleRow(c, c.params.id!))!.name}`, 'Save role'),
  },
  'PATCH /organization/roles/:id': {
    auth: 'session',
    refusedWhileImpersonating: true,
    permission: 'members_manage',
    record: orgRole,
    setup: async () => ({ name: `Renamed ${u()}` }),
    body: (c) => ({ name: c.made.name! }),
    done: (c) => ({
      status: 303,
      location: `/organization/roles/${c.params.id}`,
      effect: async () => problem((await roleRow(c, c.params.id!))?.name === c.made.name, 'the role was not renamed'),
    }),
  },
  'DELETE /organization/roles/:id': {
    auth: 'session',
    refusedWhileImpersonating: true,
    permission: 'members_manage',
    record: orgRole,
    done: (c) => ({
      status: 303,
      location: '/organization/roles',
      effect: async () => problem((await roleRow(c, c.params.id!)) === undefined, 'the role is still there'),
    }),
  },

  // The portal: the active organization's invoices.
  'GET /invoices': {
    auth: 'session',
    permission: 'billing_view',
    setup: (c) => c.fx.make.statement(c.org),
    done: (c) => page('Invoices', c.made.number!),
  },
  'GET /invoices/:id': {
    auth: 'session',
    permission: 'billing_view',
    record: orgInvoice,
    done: async (c) => {
      const { number } = await db(c)
        .selectFrom('invoices')
        .select('number')
        .where('id', '=', c.params.id!)
        .executeTakeFirstOrThrow();
      return page(number, number);
    },
  },
  'GET /invoices/:id/pdf': {
    auth: 'session',
    permission: 'billing_view',
    record: orgInvoice,
    done: { status: 200, shows: '%PDF-' },
  },

  // The portal: invitations addressed to the signed-in user.
  'GET /invitations/:token': {
    auth: 'session',
    record: myInvitation,
    done: page('Invitation', 'Invitation to Initech', 'Accept and join'),
  },
  'POST /invitations/:token/acceptance': {
    auth: 'session',
    refusedWhileImpersonating: true,
    record: myInvitation,
    self: true,
    done: (c) => ({
      status: 303,
      location: '/dashboard',
      effect: async () => {
        const inv = await invitationByToken(c, c.params.token!);
        return problem(
          inv.status === 'accepted' && (await roleNameOf(c, me(c).id, inv.organization_id)) === 'viewer',
          'they did not join',
        );
      },
    }),
  },
  'POST /invitations/:token/declination': {
    auth: 'session',
    refusedWhileImpersonating: true,
    record: myInvitation,
    self: true,
    done: (c) => ({
      status: 303,
      location: '/dashboard',
      effect: async () =>
        problem((await invitationByToken(c, c.params.token!)).status === 'declined', 'the invitation was not declined'),
    }),
  },

  // Platform staff.
  'GET /admin/outbox': {
    auth: 'admin',
    setup: async (c) =>
      db(c)
        .selectFrom('emails')
        .select(['to_address', 'subject'])
        .where('id', '=', c.fx.emailId)
        .executeTakeFirstOrThrow(),
    query: (c) => `to=${encodeURIComponent(c.made.to_address!)}`,
    done: (c) => page('Mail outbox', escapeHtml(c.made.subject!)),
  },
  'GET /admin/outbox/:id': {
    auth: 'admin',
    params: (c) => ({ id: c.fx.emailId }),
    done: async (c) =>
      page(
        (await db(c).selectFrom('emails').select('subject').where('id', '=', c.fx.emailId).executeTakeFirstOrThrow())
          .subject,
      ),
  },
  'GET /admin/jobs': { auth: 'admin', done: page('Job runs') },
  'GET /admin/users': {
    auth: 'admin',
    query: (c) => `q=${encodeURIComponent(c.fx.tess.email)}`,
    done: (c) => page('Users', `id="user-${c.fx.tess.id}"`),
  },
  'GET /admin/users/:id': {
    auth: 'admin',
    params: (c) => ({ id: c.fx.tess.id }),
    done: (c) => page(c.fx.tess.name, escapeHtml(c.fx.tess.email)),
  },
  'PATCH /admin/users/:id': {
    auth: 'admin',
    params: someone,
    setup: async () => ({ name: `Renamed ${u()}` }),
    body: async (c) => ({ name: c.made.name!, email: (await userRow(c, c.params.id!)).email, phone: '' }),
    done: (c) => ({
      status: 303,
      location: `/admin/users/${c.params.id}`,
      effect: async () => problem((await userRow(c, c.params.id!)).name === c.made.name, 'the name did not change'),
    }),
  },
  'POST /admin/users/:id/suspension': {
    auth: 'admin',
    params: someone,
    done: (c) => ({
      status: 303,
      location: `/admin/users/${c.params.id}`,
      effect: async () => problem((await userRow(c, c.params.id!)).status === 'suspended', 'they are not suspended'),
    }),
  },
  'DELETE /admin/users/:id/suspension': {
    auth: 'admin',
    params: async (c) => {
      const { id } = await c.fx.make.stranger('Suspended target');
      await db(c).updateTable('users').set({ status: 'suspended' }).where('id', '=', id).execute();
      return { id };
    },
    done: (c) => ({
      status: 303,
      location: `/admin/users/${c.params.id}`,
      effect: async () => problem((await userRow(c, c.params.id!)).status === 'active', 'they are still suspended'),
    }),
  },
  'DELETE /admin/users/:id/lockout': {
    auth: 'admin',
    params: async (c) => {
      const p = await c.fx.make.lockedOut();
      return { id: p.id, email: p.email };
    },
    done: (c) => ({
      status: 303,
      location: `/admin/users/${c.params.id}`,
      effect: () =>
        authenticatePassword(
          c.fx.ctx.deps,
          { ip: '192.0.2.3', userAgent: null },
          { email: c.params.email!, password: PASSWORD },
        ).then(
          () => null,
          (err: Error) => `they still cannot sign in: ${err.message}`,
        ),
    }),
  },
  'DELETE /admin/users/:id/two-factor': {
    auth: 'admin',
    params: async (c) => ({ id: (await c.fx.make.withTwoFactor()).id }),
    done: (c) => ({
      status: 303,
      location: `/admin/users/${c.params.id}`,
      effect: async () => problem((await userRow(c, c.params.id!)).totp_enabled_at === null, 'two-factor is still on'),
    }),
  },
  'POST /admin/users/:id/platform-admin': {
    auth: 'admin',
    params: someone,
    done: (c) => ({
      status: 303,
      location: `/admin/users/${c.params.id}`,
      effect: async () => problem((await userRow(c, c.params.id!)).is_admin, 'they are not staff'),
    }),
  },
  'DELETE /admin/users/:id/platform-admin': {
    auth: 'admin',
    params: async (c) => {
      const { id } = await c.fx.make.stranger('Staff target');
      await db(c).updateTable('users').set({ is_admin: true }).where('id', '=', id).execute();
      return { id };
    },
    done: (c) => ({
      status: 303,
      location: `/admin/users/${c.params.id}`,
      effect: async () => problem(!(await userRow(c, c.params.id!)).is_admin, 'they are still staff'),
    }),
  },
  'POST /admin/users/:id/impersonation': {
    auth: 'admin',
    params: someone,
    body: () => ({ password: PASSWORD }),
    done: (c) => ({
      status: 303,
      location: '/dashboard',
      effect: async () =>
        problem(
          (
            await db(c)
              .selectFrom('sessions')
              .select('id')
              .where('user_id', '=', c.params.id!)
              .where('impersonator_user_id', '=', me(c).id)
              .execute()
          ).length === 1,
          'no impersonation started',
        ),
    }),
  },
  'GET /admin/organizations': {
    auth: 'admin',
    query: () => 'q=globex',
    done: (c) => page('Organizations', `id="organization-${c.fx.globex.id}"`),
  },
  'GET /admin/organizations/:id': {
    auth: 'admin',
    params: (c) => ({ id: c.fx.globex.id }),
    done: page('Globex Corporation', escapeHtml('Gina Globex')),
  },
  'GET /admin/activity': { auth: 'admin', done: page('Activity log') },
  'GET /admin/fraud': {
    auth: 'admin',
    setup: async (c) => ({ check: await c.fx.make.heldFraudCheck() }),
    done: (c) => page('Fraud screening', `id="fraud-check-${c.made.check}"`),
  },
  'POST /admin/fraud/checks/:id/decision': {
    auth: 'admin',
    params: async (c) => ({ id: await c.fx.make.heldFraudCheck() }),
    body: () => ({ decision: 'block' }),
    done: (c) => ({
      status: 303,
      location: '/admin/fraud',
      effect: async () =>
        problem(
          (
            await db(c)
              .selectFrom('fraud_checks')
              .select('status')
              .where('id', '=', c.params.id!)
              .executeTakeFirstOrThrow()
          ).status === 'blocked',
          'the check was not blocked',
        ),
    }),
  },
  'GET /admin/fraud/settings': { auth: 'admin', done: page('Fraud settings', 'name="scoreThreshold"') },
  // Screening stays off (the box is unticked): other calls here register and top up unscreened.
  'PUT /admin/fraud/settings': {
    auth: 'admin',
    setup: async () => ({ threshold: String(60 + Math.floor(Math.random() * 40)) }),
    body: (c) => ({ scoreThreshold: c.made.threshold!, whenUnavailable: 'fail_open' }),
    done: (c) => ({
      status: 303,
      location: '/admin/fraud/settings',
      effect: async () => {
        const saved = await getFraudSettings(c.fx.ctx.deps);
        return problem(
          !saved.enabled && saved.scoreThreshold === Number(c.made.threshold),
          `the settings are ${JSON.stringify(saved)}`,
        );
      },
    }),
  },

  // The JSON API: documentation, registration and tokens.
  'GET /api/v1/openapi.json': { auth: 'public', done: { status: 200, shows: '"openapi":"3.' } },
  'POST /api/v1/auth/register': {
    auth: 'public',
    setup: async () => ({ email: `api-${u()}@example.test` }),
    body: (c) => ({ name: 'New Person', email: c.made.email!, password: 'a long enough password' }),
    done: (c) => ({
      status: 201,
      effect: async (_c, out) =>
        problem(
          (json(out).user as { email: string }).email === c.made.email &&
            (await db(c).selectFrom('users').select('id').where('email', '=', c.made.email!).execute()).length === 1,
          'no account was opened',
        ),
    }),
  },
  'POST /api/v1/auth/tokens': {
    auth: 'public',
    setup: async (c) => ({ email: (await c.fx.make.person('Token Taker')).email }),
    body: (c) => ({ email: c.made.email!, password: PASSWORD }),
    done: (c) => ({
      status: 201,
      effect: async (_c, out) => {
        const me = await c.fx.ctx.app.request('/api/v1/me', {
          headers: { authorization: `Bearer ${json(out).token}`, 'x-forwarded-for': '192.0.2.4' },
        });
        return problem(
          me.status === 200 && (await me.text()).includes(c.made.email!),
          `the new token does not work (${me.status})`,
        );
      },
    }),
  },
  'DELETE /api/v1/auth/tokens/current': {
    auth: 'user-token',
    self: true,
    done: (c) => ({
      status: 204,
      effect: async () =>
        problem(
          (
            await c.fx.ctx.app.request('/api/v1/me', {
              headers: { authorization: `Bearer ${c.creds.bearer}`, 'x-forwarded-for': '192.0.2.4' },
            })
          ).status === 401,
          'the token still works',
        ),
    }),
  },
  'GET /api/v1/me': { auth: 'token', done: (c) => ({ status: 200, shows: `"email":"${me(c).email}"` }) },

  // The JSON API: the caller's own keys (never managed with a key).
  'GET /api/v1/api-keys': {
    auth: 'user-token',
    setup: async (c) => (c.me ? { key: await c.fx.make.keyOf(c.me.id) } : undefined),
    done: (c) => ({ status: 200, shows: `"id":"${c.made.key}"` }),
  },
  'POST /api/v1/api-keys': {
    auth: 'user-token',
    setup: async (c) => (c.me ? { organizationId: await personalOrg(c) } : undefined),
    body: (c) => ({
      name: 'matrix key',
      organization_id: c.made.organizationId ?? c.fx.acme.id,
      permissions: ['notes_view'],
    }),
    done: (c) => ({
      status: 201,
      effect: async (_c, out) => {
        const key = await db(c)
          .selectFrom('api_keys')
          .select(['user_id', 'organization_id'])
          .where('id', '=', String(json(out).id))
          .executeTakeFirst();
        return problem(
          key?.user_id === me(c).id && key.organization_id === c.made.organizationId,
          'the key was not made as asked',
        );
      },
    }),
  },
  'DELETE /api/v1/api-keys/:id': {
    auth: 'user-token',
    record: myKey,
    done: (c) => ({
      status: 204,
      effect: async () => problem(await keyRevoked(c, c.params.id!), 'the key is still live'),
    }),
  },
  'GET /api/v1/activity': {
    auth: 'token',
    permission: 'settings_manage',
    setup: async (c) => {
      const marker = `matrix marker ${u()}`;
      await c.fx.make.activity(c.org, marker);
      return { marker };
    },
    done: (c) => ({ status: 200, shows: c.made.marker! }),
  },

  // The JSON API: organizations named by id.
  'GET /api/v1/organizations': { auth: 'token', done: (c) => ({ status: 200, shows: `"id":"${c.org}"` }) },
  'POST /api/v1/organizations': {
    auth: 'user-token',
    setup: async () => ({ name: `Made in the matrix ${u()}` }),
    body: (c) => ({ name: c.made.name! }),
    done: (c) => ({
      status: 201,
      effect: async (_c, out) =>
        problem(
          json(out).name === c.made.name && (await roleNameOf(c, me(c).id, String(json(out).id))) === 'owner',
          'the organization was not made with the caller as owner',
        ),
    }),
  },
  'GET /api/v1/organizations/:id': {
    auth: 'token',
    org: 'path',
    done: (c) => ({ status: 200, shows: [`"id":"${c.fx.acme.id}"`, `"name":"${c.fx.acme.name}"`] }),
  },
  'PATCH /api/v1/organizations/:id': {
    auth: 'token',
    org: 'path',
    permission: 'settings_manage',
    setup: async () => ({ website: `https://w-${u()}.example` }),
    body: (c) => ({ website: c.made.website! }),
    done: (c) => ({
      status: 200,
      effect: async () =>
        problem(
          (
            await db(c)
              .selectFrom('organizations')
              .select('website')
              .where('id', '=', c.fx.acme.id)
              .executeTakeFirstOrThrow()
          ).website === c.made.website,
          'the website was not saved',
        ),
    }),
  },
  'GET /api/v1/organizations/:id/members': {
    auth: 'token',
    org: 'path',
    done: (c) => ({ status: 200, shows: `"email":"${c.fx.acme.people.owner!.email}"` }),
  },
  'PATCH /api/v1/organizations/:id/members/:userId': {
    auth: 'token',
    org: 'path',
    permission: 'members_manage',
    record: orgMember,
    body: (c) => ({ role_id: c.fx.acme.roles['Also nothing']! }),
    done: (c) => ({
      status: 200,
      effect: async () =>
        problem((await roleNameOf(c, c.params.userId!)) === 'Also nothing', 'the role did not change'),
    }),
  },
  'DELETE /api/v1/organizations/:id/members/:userId': {
    auth: 'token',
    org: 'path',
    permission: 'members_manage',
    record: orgMember,
    done: (c) => ({
      status: 204,
      effect: async () => problem((await roleNameOf(c, c.params.userId!)) === null, 'they are still a member'),
    }),
  },
  'GET /api/v1/organizations/:id/invitations': {
    auth: 'token',
    org: 'path',
    permission: 'members_manage',
    setup: async (c) => ({ invitation: await c.fx.make.acmeInvitation() }),
    done: (c) => ({ status: 200, shows: `"id":"${c.made.invitation}"` }),
  },
  'POST /api/v1/organizations/:id/invitations': {
    auth: 'token',
    org: 'path',
    permission: 'members_manage',
    setup: async () => ({ email: `invitee-${u()}@example.test` }),
    body: (c) => ({ email: c.made.email!, role_id: c.fx.acme.roles['Also nothing']! }),
    done: (c) => ({
      status: 201,
      effect: async (_c, out) =>
        problem(
          (await invitationStatus(c, String(json(out).id))) === 'pending' &&
            (await emailsTo(c, c.made.email!, 'invitation')).length === 1,
          'no invitation was sent',
        ),
    }),
  },
  'DELETE /api/v1/organizations/:id/invitations/:invitationId': {
    auth: 'token',
    org: 'path',
    permission: 'members_manage',
    record: orgInvitation,
    done: (c) => ({
      status: 204,
      effect: async () =>
        problem((await invitationStatus(c, c.params.invitationId!)) === 'cancelled', 'the invitation is still pending'),
    }),
  },
  'GET /api/v1/organizations/:id/roles': {
    auth: 'token',
    org: 'path',
    done: { status: 200, shows: '"name":"No access"' },
  },
  'POST /api/v1/organizations/:id/roles': {
    auth: 'token',
    org: 'path',
    permission: 'members_manage',
    setup: async () => ({ name: `Matrix role ${u()}` }),
    body: (c) => ({ name: c.made.name!, permissions: [] }),
    done: (c) => ({
      status: 201,
      effect: async (_c, out) =>
        problem((await roleRow(c, String(json(out).id)))?.name === c.made.name, 'the role was not made'),
    }),
  },
  'PATCH /api/v1/organizations/:id/roles/:roleId': {
    auth: 'token',
    org: 'path',
    permission: 'members_manage',
    record: orgRole,
    setup: async () => ({ name: `Renamed ${u()}` }),
    body: (c) => ({ name: c.made.name!, permissions: [] }),
    done: (c) => ({
      status: 200,
      effect: async () =>
        problem((await roleRow(c, c.params.roleId!))?.name === c.made.name, 'the role was not renamed'),
    }),
  },
  'DELETE /api/v1/organizations/:id/roles/:roleId': {
    auth: 'token',
    org: 'path',
    permission: 'members_manage',
    record: orgRole,
    done: (c) => ({
      status: 204,
      effect: async () => problem((await roleRow(c, c.params.roleId!)) === undefined, 'the role is still there'),
    }),
  },

  // The JSON API: the acting organization's invoices.
  'GET /api/v1/invoices': {
    auth: 'token',
    permission: 'billing_view',
    setup: (c) => c.fx.make.statement(c.org),
    done: (c) => ({ status: 200, shows: `"id":"${c.made.id}"` }),
  },
  'GET /api/v1/invoices/:id': {
    auth: 'token',
    permission: 'billing_view',
    record: orgInvoice,
    done: (c) => ({ status: 200, shows: `"id":"${c.params.id}"` }),
  },
  'GET /api/v1/invoices/:id/pdf': {
    auth: 'token',
    permission: 'billing_view',
    record: orgInvoice,
    done: { status: 200, shows: '%PDF-' },
  },

  // The JSON API: invitations addressed to the caller.
  'POST /api/v1/invitations/:token/accept': {
    auth: 'user-token',
    record: myInvitation,
    self: true,
    done: (c) => ({
      status: 200,
      effect: async () => {
        const inv = await invitationByToken(c, c.params.token!);
        return problem(
          inv.status === 'accepted' && (await roleNameOf(c, me(c).id, inv.organization_id)) === 'viewer',
          'they did not join',
        );
      },
    }),
  },
  'POST /api/v1/invitations/:token/decline': {
    auth: 'user-token',
    record: myInvitation,
    self: true,
    done: (c) => ({
      status: 204,
      effect: async () =>
        problem((await invitationByToken(c, c.params.token!)).status === 'declined', 'the invitation was not declined'),
    }),
  },

  // Billing: the active organization's wallet and top-ups (src/web/pages/portal/billing/, api/v1/wallet.ts).
  'POST /webhooks/paypal': { auth: 'signature', done: { status: 200 } },
  'GET /billing': {
    auth: 'session',
    permission: 'billing_view',
    setup: async (c) => void (await c.fx.make.funded(c.org)),
    done: page('Billing', 'Matrix funding'),
  },
  'POST /billing/top-ups': {
    auth: 'session',
    permission: 'billing_manage',
    body: () => ({ amount: '10.00' }),
    done: (c) => ({ status: 303, location: TO_PAYPAL, effect: (_c, out) => startedTopUp(c, out) }),
  },
  'POST /billing/top-ups/:id/checkout': {
    auth: 'session',
    permission: 'billing_manage',
    record: orgHeldTopUp,
    done: (c) => ({ status: 303, location: TO_PAYPAL, effect: (_c, out) => startedTopUp(c, out, c.params.id) }),
  },
  'GET /billing/payment/success': {
    auth: 'session',
    permission: 'billing_manage',
    setup: async (c) => c.fx.make.topUp(c.org, { approved: true }),
    query: (c) => `token=${c.made.orderId}`,
    done: (c) => ({
      ...page('Payment'),
      effect: async () =>
        problem((await paymentRow(c, c.made.paymentId!)).status === 'completed', 'the payment was not captured'),
    }),
  },
  'GET /billing/payment/cancel': {
    auth: 'session',
    permission: 'billing_manage',
    setup: async (c) => c.fx.make.topUp(c.org),
    query: (c) => `token=${c.made.orderId}`,
    done: (c) => ({
      ...page('Payment'),
      effect: async () =>
        problem((await paymentRow(c, c.made.paymentId!)).status === 'cancelled', 'the payment was not cancelled'),
    }),
  },
  'GET /billing/transactions': {
    auth: 'session',
    permission: 'billing_view',
    setup: async (c) => void (await c.fx.make.funded(c.org)),
    done: page('Transactions', 'Matrix funding'),
  },
  'GET /billing/transactions/:id': {
    auth: 'session',
    permission: 'billing_view',
    record: orgWalletTransaction,
    done: page('Transaction', 'Matrix funding'),
  },
  'GET /api/v1/wallet': {
    auth: 'token',
    permission: 'billing_view',
    done: (c) => ({
      status: 200,
      effect: async (_c, out) =>
        problem(
          json(out).balance === toDecimal(await balanceOf(c, c.org), 2),
          `the balance ${JSON.stringify(json(out).balance)} is not the wallet's`,
        ),
    }),
  },
  'GET /api/v1/billing/summary': {
    auth: 'token',
    permission: 'billing_view',
    done: (c) => ({
      status: 200,
      effect: async (_c, out) =>
        problem(
          json(out).balance === toDecimal(await balanceOf(c, c.org), 2),
          `the summary's balance ${JSON.stringify(json(out).balance)} is not the wallet's`,
        ),
    }),
  },
  'GET /api/v1/wallet/transactions': {
    auth: 'token',
    permission: 'billing_view',
    setup: async (c) => void (await c.fx.make.funded(c.org)),
    done: { status: 200, shows: 'Matrix funding' },
  },
  'POST /api/v1/wallet/top-ups': {
    auth: 'token',
    permission: 'billing_manage',
    body: () => ({ amount: '10.00' }),
    done: (c) => ({
      status: 201,
      effect: async (_c, out) => {
        const row = await paymentRow(c, String(json(out).id));
        return problem(
          row.organization_id === c.org &&
            row.status === 'created' &&
            row.provider_order_id !== null &&
            String(json(out).approve_url).includes(row.provider_order_id),
          'no PayPal order was made for the acting organization',
        );
      },
    }),
  },
  'POST /api/v1/wallet/top-ups/:id/capture': {
    auth: 'token',
    permission: 'billing_manage',
    record: orgApprovedTopUp,
    done: (c) => ({
      status: 200,
      effect: async () =>
        problem((await paymentRow(c, c.params.id!)).status === 'completed', 'the payment was not captured'),
    }),
  },

  // Staff refunds of a payment (src/web/pages/admin/payment.ts, api/v1/admin-refunds.ts): platform admins only.
  'GET /admin/billing/payments/:id': {
    auth: 'admin',
    params: async (c) => ({ id: await c.fx.make.completedPayment(c.fx.globex.id) }),
    done: page('Payment', 'Globex Corporation', 'name="destination"'),
  },
  'POST /admin/billing/payments/:id/refunds': {
    auth: 'admin',
    params: async (c) => ({ id: await c.fx.make.completedPayment(c.fx.globex.id) }),
    body: () => ({ amount: '1.00', destination: 'wallet', reason: 'Matrix refund' }),
    done: (c) => ({
      status: 303,
      location: `/admin/billing/payments/${c.params.id}`,
      effect: async () => {
        const refunds = await db(c)
          .selectFrom('refunds')
          .select(['status', 'amount'])
          .where('payment_id', '=', c.params.id!)
          .execute();
        return problem(
          refunds.length === 1 && refunds[0]!.status === 'completed' && refunds[0]!.amount === 1_000_000n,
          `the refunds are ${JSON.stringify(refunds.map((r) => r.status))}`,
        );
      },
    }),
  },
  'POST /admin/billing/payments/:id/refunds/:refundId/sync': {
    auth: 'admin',
    params: async (c) => {
      const { paymentId, refundId } = await c.fx.make.refundPayPalCompleted(c.fx.globex.id);
      return { id: paymentId, refundId };
    },
    done: (c) => ({
      status: 303,
      location: `/admin/billing/payments/${c.params.id}`,
      effect: async () =>
        problem((await refundRow(c, c.params.refundId!)).status === 'completed', 'the refund is still pending'),
    }),
  },
  'POST /api/v1/admin/refunds': {
    auth: 'admin',
    setup: async (c) => ({ paymentId: await c.fx.make.completedPayment(c.fx.globex.id) }),
    body: (c) => ({ payment_id: c.made.paymentId!, amount: '1.00', destination: 'wallet', reason: 'Matrix refund' }),
    done: (c) => ({
      status: 201,
      effect: async (_c, out) => {
        const refund = await refundRow(c, String(json(out).id));
        return problem(
          refund.payment_id === c.made.paymentId && refund.status === 'completed' && refund.amount === 1_000_000n,
          'the refund was not made',
        );
      },
    }),
  },

  // Staff billing (src/web/pages/admin/billing.ts, api/v1/admin-billing.ts): wallets, ledgers, adjustments, payments, reconciliation.
  'GET /admin/billing': { auth: 'admin', query: () => 'q=globex', done: page('Billing', 'Globex Corporation') },
  'GET /admin/billing/organizations/:id': {
    auth: 'admin',
    params: (c) => ({ id: c.fx.globex.id }),
    done: page('Billing: Globex Corporation', 'name="adjustment_id"'),
  },
  // Billing runs (issue 12): each permitted start names a past hour of its own, so none is busy.
  'GET /admin/billing/runs': { auth: 'admin', done: page('Billing runs', 'Start a run') },
  'POST /admin/billing/runs': {
    auth: 'admin',
    setup: async () => ({ hour: pastHour().slice(0, 16) }),
    body: (c) => ({ hour: c.made.hour! }),
    done: (c) => ({
      status: 303,
      location: /^\/admin\/billing\/runs\/[0-9a-f-]{36}$/,
      effect: () => runOf(c, `${c.made.hour}:00.000Z`),
    }),
  },
  'GET /admin/billing/runs/:id': {
    auth: 'admin',
    params: async (c) => ({ id: await queuedRun(c) }),
    done: page('Billing run', 'Organizations charged'),
  },
  'GET /api/v1/admin/billing/runs': { auth: 'admin-token', done: { status: 200, shows: '"has_more"' } },
  'POST /api/v1/admin/billing/runs': {
    auth: 'admin-token',
    setup: async () => ({ hour: pastHour() }),
    body: (c) => ({ hour: c.made.hour! }),
    done: (c) => ({ status: 202, shows: '"status":"queued"', effect: () => runOf(c, c.made.hour!) }),
  },
  'GET /api/v1/admin/billing/runs/:id': {
    auth: 'admin-token',
    params: async (c) => ({ id: await queuedRun(c) }),
    done: (c) => ({ status: 200, shows: `"id":"${c.params.id}"` }),
  },
  'POST /admin/billing/organizations/:id/adjustments': {
    auth: 'admin',
    params: (c) => ({ id: c.fx.globex.id }),
    setup: async (c) => ({ before: String(await balanceOf(c, c.fx.globex.id)) }),
    body: () => ({
      adjustment_id: crypto.randomUUID(),
      direction: 'credit',
      amount: '1.00',
      reason: 'Matrix adjustment',
    }),
    done: (c) => ({
      status: 303,
      location: `/admin/billing/organizations/${c.fx.globex.id}`,
      effect: async () =>
        problem(
          (await balanceOf(c, c.fx.globex.id)) === BigInt(c.made.before!) + 1_000_000n,
          'the wallet was not credited',
        ),
    }),
  },
  'GET /admin/billing/payments': {
    auth: 'admin',
    setup: async (c) => ({ payment: await c.fx.make.completedPayment(c.fx.globex.id) }),
    done: (c) => page('Payments', `/admin/billing/payments/${c.made.payment}`),
  },
  'GET /admin/billing/reconciliation': { auth: 'admin', done: page('Reconciliation') },
  'POST /api/v1/admin/organizations/:id/wallet/adjustments': {
    auth: 'admin-token',
    params: (c) => ({ id: c.fx.globex.id }),
    setup: async (c) => ({ before: String(await balanceOf(c, c.fx.globex.id)) }),
    body: () => ({ amount: '1.00', direction: 'credit', reason: 'Matrix adjustment' }),
    done: (c) => ({
      status: 201,
      effect: async (_c, out) => {
        const after = await balanceOf(c, c.fx.globex.id);
        return problem(
          after === BigInt(c.made.before!) + 1_000_000n && json(out).balance === toDecimal(after, 2),
          'the wallet was not credited',
        );
      },
    }),
  },
  // SSH keys, notes and firewalls (issue 11): routes-keys-notes-firewalls.ts.
  ...KEYS_NOTES_FIREWALLS_ROUTES,
  // The server catalogue (issue 11): routes-catalogue.ts.
  ...CATALOGUE_ROUTES,
  // Servers (issue 11): routes-servers.ts.
  ...SERVER_ROUTES,
  // Dunning (issue 12): routes-dunning.ts.
  ...DUNNING_ROUTES,
  // Notification preferences (issue 12) and the bell (issue 14): routes-notifications.ts.
  ...NOTIFICATION_ROUTES,
  ...INBOX_ROUTES,
  // Network transfer (issue 12): routes-transfer.ts.
  ...TRANSFER_ROUTES,
  // The browser console's tickets and the host-key reset (issue 14): routes-console.ts.
  ...CONSOLE_ROUTES,
  // Support tickets (issue 15): routes-support.ts.
  ...SUPPORT_ROUTES,
  ...SUPPORT_STAFF_ROUTES,
  // The API reference and the admin dashboard (issue 16): routes-site.ts.
  ...SITE_ROUTES,
  // The command palette's search (issue 16): routes-search.ts.
  ...SEARCH_ROUTES,
  // The account's own settings over the JSON API (issue 16): routes-me.ts.
  ...ME_ROUTES,
  // Platform settings, maintenance mode, the registration switch (issue 16): routes-platform-settings.ts.
  ...PLATFORM_SETTINGS_ROUTES,
  ...THEME_ROUTES,
  // Announcements: the staff screens and dismissing a banner (issue 16): routes-announcements.ts.
  ...ANNOUNCEMENT_ROUTES,
  // Email templates: the staff screens (issue 16 item 5): routes-email-templates.ts.
  ...EMAIL_TEMPLATE_ROUTES,
  // The blog: the staff screens and the public blog, its images and feeds (issue 16): routes-blog.ts.
  ...BLOG_ROUTES,
  // Site content: FAQ, docs and pages, their staff screens and public pages (issue 16): routes-content.ts.
  ...CONTENT_ROUTES,
  // Security screens: the rate-limit monitor, IP rules, user overrides, IP forensics (issue 16): routes-security.ts.
  ...SECURITY_ROUTES,
  // The contact page, its inbox and settings, the status page and its incidents (issue 16): routes-contact.ts.
  ...CONTACT_ROUTES,
  // Web hosting's staff screens: the Enhance connection and plans (issue 17 item 2): routes-hosting.ts.
  ...HOSTING_ROUTES,
  // The customer's web hosting and its staff screens (issue 17 items 3–8): routes-hosting-*.ts.
  ...HOSTING_STORE_ROUTES,
  ...HOSTING_SITE_ROUTES,
  ...HOSTING_DATA_ROUTES,
  ...HOSTING_BILLING_ROUTES,
  ...HOSTING_ADMIN_ROUTES,
  ...WEBHOOK_PAGE_ROUTES,
  ...WEBHOOK_API_ROUTES,
};
