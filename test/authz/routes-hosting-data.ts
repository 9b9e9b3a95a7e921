import { createEnhanceClient, type EnhanceClient } from '../../src/providers/enhance/index.ts';
import { createEnhanceEmulator, type EnhanceEmulator } from '../../src/providers/enhance/emulator/index.ts';
import type { Call, Done, Requirement } from './routes.ts';

/**
 * The matrix's entries for a hosting service's data tabs (issue 17: email, databases,
 * WordPress, backups), pages and JSON API. Owned by helper C.
 *
 * The panel is an Enhance emulator answered in process (the app's `deps.emulators.enhance`,
 * set here when the matrix's app has none, and the integration row set to the demo), so every
 * permitted call really reaches a panel. Each call names a service by `:id` and, where the
 * route has one, a thing on it by its last parameter (the matrix's record): Acme's are made
 * fresh for every call (a permitted call changes them), Globex's are made once and shared
 * (a refused call must leave them as they were).
 */

const u = () => Math.random().toString(36).slice(2, 8);
const problem = (ok: boolean, what: string) => (ok ? null : what);
const PASSWORD = 'Matrix-Mailbox-Secret-01';
const API = '/api/v1/hosting/services/:id';

interface Svc {
  id: string;
  org: string;
  site: string;
  domain: string;
  address: string;
  db: string;
  user: string;
  app: string;
  backup: string;
}

function emulator(c: Call): EnhanceEmulator {
  const deps = c.fx.ctx.deps;
  deps.emulators.enhance ??= createEnhanceEmulator({ jobMs: 3_600_000 });
  return deps.emulators.enhance;
}

function panel(c: Call): EnhanceClient {
  const emu = emulator(c);
  return createEnhanceClient({
    baseUrl: 'http://enhance-demo.invalid',
    token: emu.token,
    masterOrgId: emu.masterOrgId,
    fetch: (async (input: RequestInfo | URL, init?: RequestInit) =>
      emu.app.fetch(new Request(input, init))) as typeof fetch,
  });
}

const plans = new WeakMap<object, Promise<string>>();
/** The demo integration (on, answered in process) and a plan for services to point at. */
async function world(c: Call): Promise<string> {
  const emu = emulator(c);
  const db = c.fx.ctx.db;
  const values = { enabled: true, demo: true, master_org_id: emu.masterOrgId };
  await db
    .insertInto('hosting_integration')
    .values({ id: 1, ...values })
    .onConflict((oc) => oc.column('id').doUpdateSet(values))
    .execute();
  if (!plans.has(c.fx))
    plans.set(
      c.fx,
      (async () => {
        const [starter] = await panel(c).listPlans();
        const row = await db
          .insertInto('hosting_plans')
          .values({
            master_org_id: emu.masterOrgId,
            enhance_plan_id: 500_000 + Math.floor(Math.random() * 1_000_000),
            upstream_name: `Matrix data plan ${u()}`,
            name: `Matrix data plan ${starter!.id}`,
            resources: '[]',
            allowances: '[]',
            selections: '[]',
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        return row.id;
      })(),
    );
  return plans.get(c.fx)!;
}

/**
 * Acme's services of earlier calls, cancelled when the next call makes its own: calls run one at
 * a time, and live services left behind would only slow every later walk over the organization's
 * services (staff's organization sync reads each from the panel).
 */
const earlier = new WeakMap<object, string[]>();
async function retireEarlier(c: Call) {
  const ids = earlier.get(c.fx) ?? [];
  earlier.set(c.fx, []);
  if (!ids.length) return;
  await c.fx.ctx.db
    .updateTable('hosting_services')
    .set({ status: 'cancelled', cancelled_at: c.fx.ctx.clock.now() })
    .where('id', 'in', ids)
    .execute();
}

/** A service of `orgId` with a live website holding a mailbox, a database and user, a WordPress and a finished backup. */
async function makeService(c: Call, orgId: string): Promise<Svc> {
  if (orgId === c.fx.acme.id) await retireEarlier(c);
  const planId = await world(c);
  const client = panel(c);
  const emu = emulator(c);
  const domain = `matrix-${u()}.test`;
  const org = await client.createCustomer(`Matrix ${domain}`);
  const [starter] = await client.listPlans();
  const sub = await client.createSubscription(org, { planId: starter!.id });
  const site = await client.createWebsite(org, { domain, subscriptionId: sub });
  const [primary] = await client.listWebsiteDomains(org, site);
  await client.createEmail(org, site, primary!.domainId, { username: 'box', mailboxPassword: PASSWORD });
  await client.createMysqlDb(org, site, 'm_db');
  await client.createMysqlUser(org, site, { username: 'm_user', password: PASSWORD });
  const app = await client.installWordPress(org, site, {
    adminUsername: 'matrix',
    adminPassword: PASSWORD,
    adminEmail: 'matrix@example.test',
  });
  const backup = await client.createBackup(org, site);
  emu.finishJobs();
  const now = c.fx.ctx.clock.now();
  const row = await c.fx.ctx.db
    .insertInto('hosting_services')
    .values({
      organization_id: orgId,
      plan_id: planId,
      master_org_id: emu.masterOrgId,
      domain,
      status: 'active',
      monthly_price: 1_000_000n,
      enhance_org_id: org,
      enhance_subscription_id: sub,
      enhance_website_id: site,
      period_start: now,
      period_end: new Date(now.getTime() + 30 * 86_400_000),
      purchase_key: `matrix-${u()}`,
      saga_state: 'done',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  if (orgId === c.fx.acme.id) earlier.get(c.fx)!.push(row.id);
  return {
    id: row.id,
    org,
    site,
    domain,
    address: `box@${domain}`,
    db: 'm_db',
    user: 'm_user',
    app,
    backup: String(backup.id),
  };
}

const globex = new WeakMap<object, Promise<Svc>>();
const made = new WeakMap<Call, Svc>();
/** The service a call names: a fresh Acme one, or Globex's shared one for the foreign record. */
async function svcOf(c: Call): Promise<Svc> {
  const known = made.get(c);
  if (known) return known;
  let s: Svc;
  if (c.whose === 'foreign-record') {
    if (!globex.has(c.fx)) globex.set(c.fx, makeService(c, c.fx.globex.id));
    s = await globex.get(c.fx)!;
  } else s = await makeService(c, c.fx.acme.id);
  made.set(c, s);
  return s;
}

/** The record: the service itself (routes ending in :id) or a thing on it (`pick`). */
const record = (pick: (s: Svc) => string = (s) => s.id): Requirement['record'] => ({
  of: 'org',
  own: async (c) => pick(await svcOf(c)),
  foreign: async (c) => pick(await svcOf(c)),
});
/** `:id` (and `:app` for plugin routes) when the record is a thing on the service. */
const serviceParams = async (c: Call) => {
  const s = await svcOf(c);
  return { id: s.id, app: s.app };
};

const svc = (c: Call) => made.get(c)!;
const client = (c: Call) => panel(c);
const emails = async (c: Call) => (await client(c).listEmails(svc(c).org, svc(c).site)).map((e) => e.address);
const dbs = async (c: Call) => (await client(c).listMysqlDbs(svc(c).org, svc(c).site)).map((d) => d.name);
const users = async (c: Call) => client(c).listMysqlUsers(svc(c).org, svc(c).site);
const operation = async (c: Call, kind: string) =>
  (await c.fx.ctx.db
    .selectFrom('hosting_operations')
    .select('id')
    .where('service_id', '=', svc(c).id)
    .where('kind', '=', kind as 'backup')
    .executeTakeFirst()) !== undefined;
const audited = async (c: Call, action: string) =>
  (await c.fx.ctx.db
    .selectFrom('activity_log')
    .select('id')
    .where('target_id', '=', svc(c).id)
    .where('action', '=', action as 'hosting.backup_started')
    .executeTakeFirst()) !== undefined;

const page = (tab: string, title: string, shows: string): Requirement => ({
  auth: 'session',
  permission: 'hosting_view',
  record: record(),
  done: (c) => ({ status: 200, shows: [`<title>${title} · ${svc(c).domain} · SkyPanel</title>`, shows] }),
});
const back = (c: Call, tab: string, effect: () => Promise<string | null>): Done => ({
  status: 303,
  location: `/hosting/${svc(c).id}/${tab}`,
  effect,
});
/** An HTML form on the service (record: the service). */
const form = (tab: string, body: Requirement['body'], effect: (c: Call) => Promise<string | null>): Requirement => ({
  auth: 'session',
  permission: 'hosting_manage',
  record: record(),
  body,
  done: (c) => back(c, tab, () => effect(c)),
});
/** An HTML form on a thing of the service (record: the thing). */
const thingForm = (
  tab: string,
  pick: (s: Svc) => string,
  body: Requirement['body'],
  effect: (c: Call) => Promise<string | null>,
): Requirement => ({
  auth: 'session',
  permission: 'hosting_manage',
  params: serviceParams,
  record: record(pick),
  body,
  done: (c) => back(c, tab, () => effect(c)),
});
/** A sign-in: 303 to the panel's link (HTML), or the link (API), audited. */
const signIn = (api: boolean, pick: ((s: Svc) => string) | null, action: string, link: RegExp): Requirement => ({
  auth: api ? 'token' : 'session',
  permission: 'hosting_manage',
  ...(pick ? { params: serviceParams, record: record(pick) } : { record: record() }),
  done: (c) => ({
    status: api ? 200 : 303,
    ...(api ? { shows: '"url":"http' } : { location: link }),
    effect: async () => problem(await audited(c, action), `no ${action} entry`),
  }),
});
const apiRead = (shows: (c: Call) => string): Requirement => ({
  auth: 'token',
  permission: 'hosting_view',
  record: record(),
  done: (c) => ({ status: 200, shows: shows(c) }),
});
const apiChange = (
  status: number,
  pick: ((s: Svc) => string) | null,
  body: Requirement['body'] | undefined,
  effect: (c: Call) => Promise<string | null>,
): Requirement => ({
  auth: 'token',
  permission: 'hosting_manage',
  ...(pick ? { params: serviceParams, record: record(pick) } : { record: record() }),
  body,
  done: (c) => ({ status, effect: () => effect(c) }),
});

export const HOSTING_DATA_ROUTES: Record<string, Requirement> = {
  // Pages ---------------------------------------------------------------------------------------
  'GET /hosting/:id/email': page('email', 'Email', 'data-testid="addresses"'),
  'GET /hosting/:id/databases': page('databases', 'Databases', 'data-database="m_db"'),
  'GET /hosting/:id/wordpress': page('wordpress', 'WordPress', 'data-plugin="akismet"'),
  'GET /hosting/:id/backups': page('backups', 'Backups', 'data-backup-status="done"'),

  'POST /hosting/:id/email': form(
    'email',
    (c) => ({ kind: 'forwarder', local_part: `fw${u()}`, domain: svc(c).domain, forward_to: 'a@example.test' }),
    async (c) => problem((await emails(c)).includes(`${c.body!.local_part}@${svc(c).domain}`), 'no forwarder was made'),
  ),
  'POST /hosting/:id/email/catch-all': form(
    'email',
    (c) => ({ catch_all: svc(c).address }),
    async (c) =>
      problem(
        (await client(c).getEmail(svc(c).org, svc(c).site, svc(c).address)).isCatchAll,
        'the catch-all was not set',
      ),
  ),
  'POST /hosting/:id/email/:address/password': thingForm(
    'email',
    (s) => s.address,
    () => ({ password: 'Matrix-New-Secret-02' }),
    async (c) => problem(await audited(c, 'hosting.email_password_changed'), 'the password change was not audited'),
  ),
  'POST /hosting/:id/email/:address/quota': thingForm(
    'email',
    (s) => s.address,
    () => ({ quota_mb: '321' }),
    async (c) =>
      problem(
        (await client(c).getEmail(svc(c).org, svc(c).site, svc(c).address)).quota?.total === 321 * 1024 * 1024,
        'the quota was not changed',
      ),
  ),
  'POST /hosting/:id/email/:address/forwarders': thingForm(
    'email',
    (s) => s.address,
    () => ({ forward_to: 'copy@example.test' }),
    async (c) =>
      problem(
        (await client(c).getEmail(svc(c).org, svc(c).site, svc(c).address)).forwarders.includes('copy@example.test'),
        'the forwarding was not saved',
      ),
  ),
  'POST /hosting/:id/email/:address/deletion': thingForm(
    'email',
    (s) => s.address,
    undefined,
    async (c) => problem(!(await emails(c)).includes(svc(c).address), 'the address was not deleted'),
  ),
  'POST /hosting/:id/email/:address/webmail': signIn(
    false,
    (s) => s.address,
    'hosting.webmail_opened',
    /\/webmail\/sso\?otp=/,
  ),

  'POST /hosting/:id/databases': form(
    'databases',
    () => ({ name: `db_${u()}` }),
    async (c) => problem((await dbs(c)).includes(c.body!.name as string), 'no database was made'),
  ),
  'POST /hosting/:id/databases/:name/deletion': thingForm(
    'databases',
    (s) => s.db,
    undefined,
    async (c) => problem(!(await dbs(c)).includes('m_db'), 'the database was not deleted'),
  ),
  'POST /hosting/:id/databases/:name/phpmyadmin': signIn(
    false,
    (s) => s.db,
    'hosting.phpmyadmin_opened',
    /\/phpmyadmin\/sso\?/,
  ),
  'POST /hosting/:id/database-users': form(
    'databases',
    () => ({ username: `u_${u()}`, password: PASSWORD }),
    async (c) =>
      problem(
        (await users(c)).some((x) => x.username === c.body!.username),
        'no user was made',
      ),
  ),
  'POST /hosting/:id/database-users/:username/password': thingForm(
    'databases',
    (s) => s.user,
    () => ({ password: 'Matrix-New-Secret-03' }),
    async (c) => problem(await audited(c, 'hosting.database_user_password_changed'), 'the change was not audited'),
  ),
  'POST /hosting/:id/database-users/:username/deletion': thingForm(
    'databases',
    (s) => s.user,
    undefined,
    async (c) => problem(!(await users(c)).some((x) => x.username === 'm_user'), 'the user was not deleted'),
  ),
  'POST /hosting/:id/database-grants': form(
    'databases',
    () => ({ username: 'm_user', database: 'm_db', privileges: ['SELECT', 'INSERT'] }),
    async (c) =>
      problem(
        (await users(c)).find((x) => x.username === 'm_user')?.grants.m_db?.join(',') === 'SELECT,INSERT',
        'the privileges were not set',
      ),
  ),
  'POST /hosting/:id/wordpress': form(
    'wordpress',
    () => ({ admin_username: 'ada', admin_password: PASSWORD, admin_email: 'ada@example.test', path: `blog${u()}` }),
    async (c) => problem(await operation(c, 'wordpress_install'), 'no install operation was recorded'),
  ),
  'POST /hosting/:id/wordpress/:app/plugins/:plugin': thingForm(
    'wordpress',
    () => 'hello-dolly',
    () => ({ action: 'activate' }),
    async (c) =>
      problem(
        (await client(c).listWpPlugins(svc(c).org, svc(c).site, svc(c).app)).find((p) => p.name === 'hello-dolly')
          ?.status === 'active',
        'the plugin was not activated',
      ),
  ),
  'POST /hosting/:id/wordpress/:app/admin': signIn(false, (s) => s.app, 'hosting.wordpress_admin_opened', /\/wp-sso\//),
  'POST /hosting/:id/backups': form(
    'backups',
    () => ({ description: 'matrix' }),
    async (c) => problem(await operation(c, 'backup'), 'no backup operation was recorded'),
  ),
  'POST /hosting/:id/backups/:backup/restore': thingForm(
    'backups',
    (s) => s.backup,
    undefined,
    async (c) => problem(await operation(c, 'restore'), 'no restore operation was recorded'),
  ),

  // JSON API -----------------------------------------------------------------------------------
  [`GET ${API}/email`]: apiRead((c) => `"address":"${svc(c).address}"`),
  [`POST ${API}/email`]: apiChange(
    201,
    null,
    (c) => ({ kind: 'forwarder', local_part: `fw${u()}`, domain: svc(c).domain, forward_to: ['a@example.test'] }),
    async (c) => problem((await emails(c)).includes(`${c.body!.local_part}@${svc(c).domain}`), 'no forwarder was made'),
  ),
  [`PATCH ${API}/email/:address`]: apiChange(
    200,
    (s) => s.address,
    () => ({ quota_mb: 222 }) as never,
    async (c) =>
      problem(
        (await client(c).getEmail(svc(c).org, svc(c).site, svc(c).address)).quota?.total === 222 * 1024 * 1024,
        'the quota was not changed',
      ),
  ),
  [`DELETE ${API}/email/:address`]: apiChange(
    204,
    (s) => s.address,
    undefined,
    async (c) => problem(!(await emails(c)).includes(svc(c).address), 'the address was not deleted'),
  ),
  [`POST ${API}/email/:address/sso`]: signIn(true, (s) => s.address, 'hosting.webmail_opened', /./),
  [`GET ${API}/databases`]: apiRead(() => '"name":"m_db"'),
  [`POST ${API}/databases`]: apiChange(
    201,
    null,
    () => ({ name: `db_${u()}` }),
    async (c) => problem((await dbs(c)).includes(c.body!.name as string), 'no database was made'),
  ),
  [`DELETE ${API}/databases/:name`]: apiChange(
    204,
    (s) => s.db,
    undefined,
    async (c) => problem(!(await dbs(c)).includes('m_db'), 'the database was not deleted'),
  ),
  [`POST ${API}/databases/:name/sso`]: signIn(true, (s) => s.db, 'hosting.phpmyadmin_opened', /./),
  [`GET ${API}/databases/users`]: apiRead(() => '"username":"m_user"'),
  [`POST ${API}/databases/users`]: apiChange(
    201,
    null,
    () => ({ username: `u_${u()}`, password: PASSWORD }),
    async (c) =>
      problem(
        (await users(c)).some((x) => x.username === c.body!.username),
        'no user was made',
      ),
  ),
  [`PATCH ${API}/databases/users/:username`]: apiChange(
    200,
    (s) => s.user,
    () => ({ password: 'Matrix-New-Secret-04' }),
    async (c) => problem(await audited(c, 'hosting.database_user_password_changed'), 'the change was not audited'),
  ),
  [`DELETE ${API}/databases/users/:username`]: apiChange(
    204,
    (s) => s.user,
    undefined,
    async (c) => problem(!(await users(c)).some((x) => x.username === 'm_user'), 'the user was not deleted'),
  ),
  [`PUT ${API}/databases/users/:username/grants`]: apiChange(
    200,
    (s) => s.user,
    () => ({ database: 'm_db', privileges: ['ALL'] }),
    async (c) =>
      problem(
        (await users(c)).find((x) => x.username === 'm_user')?.grants.m_db?.join(',') === 'ALL',
        'the privileges were not set',
      ),
  ),
  [`GET ${API}/wordpress`]: apiRead((c) => `"id":"${svc(c).app}"`),
  [`POST ${API}/wordpress`]: apiChange(
    202,
    null,
    () => ({ admin_username: 'ada', admin_password: PASSWORD, admin_email: 'ada@example.test', path: `blog${u()}` }),
    async (c) => problem(await operation(c, 'wordpress_install'), 'no install operation was recorded'),
  ),
  [`GET ${API}/wordpress/plugins`]: apiRead(() => '"name":"akismet"'),
  [`PATCH ${API}/wordpress/plugins/:plugin`]: apiChange(
    200,
    () => 'hello-dolly',
    () => ({ action: 'activate' }),
    async (c) =>
      problem(
        (await client(c).listWpPlugins(svc(c).org, svc(c).site, svc(c).app)).find((p) => p.name === 'hello-dolly')
          ?.status === 'active',
        'the plugin was not activated',
      ),
  ),
  [`POST ${API}/wordpress/sso`]: signIn(true, null, 'hosting.wordpress_admin_opened', /./),
  [`GET ${API}/backups`]: apiRead(() => '"status":"done"'),
  [`POST ${API}/backups`]: apiChange(
    202,
    null,
    () => ({ description: 'matrix' }),
    async (c) => problem(await operation(c, 'backup'), 'no backup operation was recorded'),
  ),
  [`POST ${API}/backups/:backupId/restore`]: apiChange(
    202,
    (s) => s.backup,
    undefined,
    async (c) => problem(await operation(c, 'restore'), 'no restore operation was recorded'),
  ),
};
