import { sql } from 'kysely';
import { inTransaction } from '../../db/index.ts';
import type { HostingSagaStep } from '../../db/types.ts';
import { EnhanceError, type EnhanceClient } from '../../providers/enhance/index.ts';
import type { Deps } from '../deps.ts';
import { hostingClient } from './connector.ts';
import { ensureCustomer, ensureLogin, ensureMember } from './customer.ts';
import { integrationRow } from './integration.ts';
import { activate, compensate, journal, publishServiceStatus, type Journal } from './saga-end.ts';
import type { ServiceRow } from './services.ts';
import { createSite, createSubscription, PermanentFailure } from './saga-site.ts';

/**
 * The purchase saga (issue 17 item 3), one service at a time. Forward steps, each journaled
 * once in `hosting_saga_steps` with what it made: charge (purchase.ts, in the transaction that
 * records the service) → customer → login → member → subscription → website → activated.
 *
 *   - A permanent refusal (403 domain, 404, 409 that is not ours, 400) compensates at once:
 *     undo_website, undo_subscription, refund (once: `hosting:refund:<service>:saga`), status
 *     failed with a customer-safe `failure`, saga_state compensated.
 *   - A transient one (5xx, timeout, network, our own trouble) leaves the saga running, with
 *     `saga_claimed_until` pushed out by a backoff (1, 2, 4, 8, 16 min) for the hosting.sagas job;
 *     after MAX_ATTEMPTS it compensates (activation instead goes live without the server IPs).
 *   - Two workers never run one saga: a run holds a transaction-scoped advisory lock for the
 *     service for as long as it works, and PostgreSQL releases it the moment the process dies.
 *     So the lock is the claim: a saga whose lock is free has no live worker, and the next run
 *     (the purchase's watch job SAGA_WATCH_SECONDS later, or the hosting.sagas job every minute)
 *     takes it over at once. `saga_claimed_until` is only "not before": the backoff after a
 *     transient failure (or an unexpected error). Each step is written so that a crash between
 *     the panel's create and our journal is found again on the next run (409 → the existing
 *     subscription; the domain held by our own subscription → that website).
 */

export const MAX_ATTEMPTS = 5;
/** After a purchase (and again while a live worker still holds the saga), a job looks whether it needs taking over. */
export const SAGA_WATCH_SECONDS = 10;
export const backoffMs = (attempt: number) => Math.min(2 ** Math.max(0, attempt - 1), 16) * 60_000;
const SAGA_LOCK = 724181;

export type SagaOutcome = 'done' | 'compensated' | 'waiting' | 'busy' | 'skipped' | 'halted';

export interface SagaContext {
  deps: Deps;
  client: EnhanceClient;
  service: ServiceRow;
  plan: {
    id: string;
    enhance_plan_id: number;
    allow_server_group_selection: boolean;
    default_php_version: string | null;
  };
  masterOrgId: string;
  defaultServerGroupId: string | null;
  steps: Journal;
  now: Date;
}

const FORWARD: Exclude<HostingSagaStep, 'charge' | 'undo_website' | 'undo_subscription' | 'refund'>[] = [
  'customer',
  'login',
  'member',
  'subscription',
  'website',
  'activated',
];

/** Transient: worth trying again later. A panel that refuses (4xx) is not. */
export function isTransient(err: unknown): boolean {
  if (err instanceof PermanentFailure) return false;
  if (err instanceof EnhanceError)
    return ['unavailable', 'timeout', 'network', 'unexpected', 'unauthorized'].includes(err.kind) || err.status === 429;
  return true;
}

export const staffText = (err: unknown) =>
  (err instanceof PermanentFailure
    ? err.staffMessage
    : err instanceof EnhanceError
      ? err.adminMessage
      : err instanceof Error
        ? err.message
        : String(err)
  ).slice(0, 1000);

export const customerText = (err: unknown) =>
  err instanceof PermanentFailure || err instanceof EnhanceError ? err.message : 'The website could not be set up.';

/**
 * Runs (or resumes) one saga under its lock. `force`: a staff retry, not waiting for the
 * backoff. `haltAfter` (tests): stop after that step as if the process died (its lock released).
 */
export async function runSaga(
  deps: Deps,
  serviceId: string,
  opts: { force?: boolean; haltAfter?: HostingSagaStep } = {},
): Promise<SagaOutcome> {
  // A run holds a connection for its lock and uses others for its steps: a few at a time per
  // process, so purchases arriving together never take the whole pool (the rest wait for the job).
  if (running >= MAX_RUNNING) return 'busy';
  running++;
  try {
    return await locked(deps, serviceId, opts);
  } finally {
    running--;
  }
}

const MAX_RUNNING = 3;
let running = 0;

async function locked(
  deps: Deps,
  serviceId: string,
  opts: { force?: boolean; haltAfter?: HostingSagaStep },
): Promise<SagaOutcome> {
  return inTransaction(deps.db, async (lock) => {
    const { rows } = await sql<{ got: boolean }>`
      select pg_try_advisory_xact_lock(${SAGA_LOCK}, hashtext(${serviceId})) as got`.execute(lock);
    if (!rows[0]?.got) return 'busy';
    const now = deps.clock.now();
    // Holding the lock, no one else works on it: a worker that claimed it before us has died.
    let q = deps.db
      .updateTable('hosting_services')
      .set({ saga_claimed_until: null, saga_attempts: sql`saga_attempts + 1` })
      .where('id', '=', serviceId)
      .where('saga_state', 'in', ['running', 'compensating']);
    if (!opts.force)
      q = q.where((eb) => eb.or([eb('saga_claimed_until', 'is', null), eb('saga_claimed_until', '<=', now)]));
    const service = await q.returningAll().executeTakeFirst();
    if (!service) return 'skipped';
    try {
      return await work(deps, service, now, opts.haltAfter);
    } catch (err) {
      // Not a step's failure (those are handled in work): our own trouble. Tried again after a backoff.
      await backOff(deps, service, err, now).catch(() => undefined);
      throw err;
    }
  });
}

async function work(deps: Deps, service: ServiceRow, now: Date, haltAfter?: HostingSagaStep): Promise<SagaOutcome> {
  const steps = await readJournal(deps, service.id);
  let ctx: SagaContext;
  try {
    const integration = await integrationRow(deps.db);
    if (!integration) throw new Error('The hosting integration is not configured.');
    const plan = await deps.db
      .selectFrom('hosting_plans')
      .select(['id', 'enhance_plan_id', 'allow_server_group_selection', 'default_php_version'])
      .where('id', '=', service.plan_id)
      .executeTakeFirstOrThrow();
    ctx = {
      deps,
      client: hostingClient(deps, integration),
      service,
      plan,
      masterOrgId: service.master_org_id,
      defaultServerGroupId: integration.default_server_group_id,
      steps,
      now,
    };
  } catch (err) {
    if (service.saga_state === 'compensating' || service.saga_attempts >= MAX_ATTEMPTS)
      // Without a panel to undo anything at, the money still goes back.
      return compensate(deps, null, service, steps, now, { exhausted: true });
    return backOff(deps, service, err, now);
  }
  if (service.saga_state === 'compensating') return compensate(deps, ctx.client, service, steps, now);
  for (const step of FORWARD) {
    if (steps.has(step)) continue;
    try {
      await STEPS[step](ctx);
    } catch (err) {
      const exhausted = service.saga_attempts >= MAX_ATTEMPTS;
      if (step === 'activated' && exhausted && isTransient(err)) {
        // The website exists and is paid for: it goes live, its IPs come with the next sync.
        await activate(ctx, { ips: [], php: null, note: staffText(err) });
        return 'done';
      }
      if (isTransient(err) && !exhausted) return backOff(deps, service, err, now);
      await deps.db
        .updateTable('hosting_services')
        .set({
          saga_state: 'compensating',
          saga_attempts: 0,
          saga_error: staffText(err),
          failure: isTransient(err)
            ? 'The hosting platform could not set up the website in time.'
            : customerText(err).slice(0, 500),
        })
        .where('id', '=', service.id)
        .execute();
      return compensate(deps, ctx.client, { ...ctx.service, saga_attempts: 0 }, steps, now);
    }
    if (haltAfter === step) return 'halted';
  }
  return 'done';
}

/** Leaves the saga for the job: the next attempt after a backoff. */
export async function backOff(deps: Deps, service: ServiceRow, err: unknown, now: Date): Promise<'waiting'> {
  await deps.db
    .updateTable('hosting_services')
    .set({
      saga_claimed_until: new Date(now.getTime() + backoffMs(service.saga_attempts)),
      saga_error: staffText(err),
    })
    .where('id', '=', service.id)
    .execute();
  deps.log.warn(
    { serviceId: service.id, attempt: service.saga_attempts, err: staffText(err) },
    'hosting purchase step failed; will retry',
  );
  return 'waiting';
}

export async function readJournal(deps: Pick<Deps, 'db'>, serviceId: string): Promise<Journal> {
  const rows = await deps.db
    .selectFrom('hosting_saga_steps')
    .select(['step', 'detail'])
    .where('service_id', '=', serviceId)
    .execute();
  return new Map(rows.map((r) => [r.step, r.detail as Record<string, unknown>]));
}

const STEPS: Record<(typeof FORWARD)[number], (ctx: SagaContext) => Promise<void>> = {
  async customer(ctx) {
    const org = await ctx.deps.db
      .selectFrom('organizations')
      .select(['id', 'name'])
      .where('id', '=', ctx.service.organization_id)
      .executeTakeFirstOrThrow();
    const c = await ensureCustomer(ctx.deps.db, ctx.client, org, ctx.masterOrgId, ctx.now);
    await ctx.deps.db
      .updateTable('hosting_services')
      .set({ enhance_org_id: c.enhanceOrgId })
      .where('id', '=', ctx.service.id)
      .execute();
    ctx.service = { ...ctx.service, enhance_org_id: c.enhanceOrgId };
    await journal(ctx, 'customer', { enhance_org_id: c.enhanceOrgId, created: c.created, replaced: c.replaced });
  },

  async login(ctx) {
    const person = await purchaser(ctx);
    const l = await ensureLogin(ctx.client, ctx.service.enhance_org_id!, person);
    await journal(ctx, 'login', { login_id: l.loginId, created: l.created, email: person.email });
  },

  async member(ctx) {
    const login = ctx.steps.get('login')!;
    const m = await ensureMember(
      ctx.deps.db,
      ctx.client,
      {
        organizationId: ctx.service.organization_id,
        masterOrgId: ctx.masterOrgId,
        enhanceOrgId: ctx.service.enhance_org_id!,
      },
      { loginId: String(login.login_id), email: String(login.email) },
      ctx.now,
    );
    await journal(ctx, 'member', { member_id: m.memberId, owner: m.owner });
  },

  subscription: createSubscription,
  website: createSite,

  async activated(ctx) {
    const site = await ctx.client.getWebsite(ctx.service.enhance_org_id!, ctx.service.enhance_website_id!);
    if (site.status === 'deleted')
      throw new PermanentFailure(
        'The website was removed while it was being set up.',
        'Enhance reports the website deleted',
      );
    await activate(ctx, { ips: site.serverIps, php: site.phpVersion, note: null });
  },
};

/** Who the panel login is for: the user who bought, else the organization's creator. */
async function purchaser(ctx: SagaContext): Promise<{ email: string; name: string }> {
  const org = await ctx.deps.db
    .selectFrom('organizations')
    .select('created_by')
    .where('id', '=', ctx.service.organization_id)
    .executeTakeFirstOrThrow();
  const userId = ctx.service.created_by ?? org.created_by;
  const user = userId
    ? await ctx.deps.db.selectFrom('users').select(['email', 'name']).where('id', '=', userId).executeTakeFirst()
    : undefined;
  if (!user)
    throw new PermanentFailure('The account has no one to own the website.', 'No purchaser user for the login');
  return user;
}

export { publishServiceStatus };
