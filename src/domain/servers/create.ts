import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { inTransaction } from '../../db/index.ts';
import { AppError, ValidationError } from '../../lib/errors.ts';
import { fieldErrors } from '../../lib/validation.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/organization.ts';
import { activityBy, recordActivity } from '../activity/record.ts';
import { offeredPlan, serverSettings, type OfferedPlan } from '../catalogue/offer.ts';
import type { Deps } from '../deps.ts';
import { chargeFirstHour, walletOf } from './charges.ts';
import { provision } from './provision.ts';
import { checkSoftware } from './software.ts';
import { databaseHour, generateRootPassword, labelConflict, labelProblem, labelTaken, LABEL_TAKEN } from './rules.ts';
import { serverRows, toServerView, type ServerView } from './view.ts';

/**
 * Creating a server (issue 11 item 9): a reservation with its first charge.
 *
 *   1. Everything is validated here, whatever the form checked: sales on, plan active and sold
 *      in the region, image and app allowed (with valid app fields), label valid and unique in
 *      the organization, root password strong (or generated), SSH keys the organization's.
 *   2. One transaction records the server (provisioning, with a unique create tag), its first
 *      billing period and the charge for the current clock hour (DB clock), guarded: refused
 *      when the balance does not cover it, so 30 concurrent creates with money for one make
 *      one server and one charge.
 *   3. Then the provider is asked (provision.ts), with the tag: refused → the server fails and
 *      the charge is returned; no answer → the tag decides.
 *
 * The root password is sent to the provider and returned once when generated; it is never
 * stored or logged. With an idempotency key, a repeat finds the first server by its tag.
 */

const flag = z.preprocess(
  (v) => (v === 'on' || v === 'true' || v === '1' ? true : v === 'false' || v === '0' || v === '' ? false : v),
  z.boolean({ error: 'Choose yes or no.' }),
);

const createInput = z.object({
  label: z.string({ error: 'Enter a name for the server.' }).trim(),
  region: z.string({ error: 'Choose a region.' }).trim().min(1, 'Choose a region.').max(64),
  planId: z.string({ error: 'Choose a plan.' }).trim().min(1, 'Choose a plan.').max(64),
  image: z.string({ error: 'Choose an image.' }).trim().min(1, 'Choose an image.').max(128),
  rootPassword: z.string().max(200, 'Use at most 128 characters.').optional(),
  sshKeyIds: z.array(z.string().max(64)).max(50, 'Choose at most 50 SSH keys.').optional(),
  backups: flag.optional(),
  privateIp: flag.optional(),
  appId: z.string().trim().max(64).optional(),
  appData: z.record(z.string(), z.string().max(2000)).optional(),
});
export type CreateServerInput = z.input<typeof createInput>;

/** Form field names as the contract spells them (the API and pages use these). */
const FIELD: Record<string, string> = {
  planId: 'plan_id',
  rootPassword: 'root_password',
  sshKeyIds: 'ssh_key_ids',
  privateIp: 'private_ip',
  appId: 'app_id',
  appData: 'app_data',
};

export const SALES_CLOSED = 'New servers are not available at the moment. Please try again later.';

/** What a server would cost: the hour and month at the price in force now, and the balance it would leave. */
export async function quoteServer(
  deps: Pick<Deps, 'db'>,
  actor: Actor,
  input: { planId: string; region: string; backups?: boolean },
): Promise<{ hourly: bigint; monthly: bigint; currency: string; balance: bigint; balanceAfterFirstHour: bigint }> {
  const orgId = authorize(actor, 'vps_create');
  const plan = await offeredPlan(deps.db, input.planId, await databaseHour(deps.db));
  if (!plan || !plan.active) throw new ValidationError({ plan_id: 'Choose a plan from the list.' });
  if (!plan.regions.includes(input.region))
    throw new ValidationError({ region: 'This plan is not sold in that region. Choose another region or plan.' });
  const hourly = input.backups ? plan.price.withBackupsHourly : plan.price.hourly;
  const monthly = input.backups ? plan.price.withBackupsMonthly : plan.price.monthly;
  const wallet = await deps.db
    .selectFrom('wallets')
    .select('balance')
    .where('organization_id', '=', orgId)
    .executeTakeFirstOrThrow();
  return {
    hourly,
    monthly,
    currency: plan.price.currency,
    balance: wallet.balance,
    balanceAfterFirstHour: wallet.balance - hourly,
  };
}

export async function createServer(
  deps: Deps,
  actor: Actor,
  raw: CreateServerInput,
  opts: { idempotencyKey?: string } = {},
): Promise<{ server: ServerView; generatedPassword: string | null }> {
  const orgId = authorize(actor, 'vps_create');
  const tag = opts.idempotencyKey
    ? `sp-${createHash('sha256').update(`${orgId}\n${actor.userId}\n${opts.idempotencyKey}`).digest('hex').slice(0, 40)}`
    : `sp-${randomUUID().replace(/-/g, '')}`;
  if (opts.idempotencyKey) {
    const earlier = await serverRows(deps.db).where('s.create_tag', '=', tag).executeTakeFirst();
    if (earlier) return { server: toServerView(earlier), generatedPassword: null };
  }

  const parsed = createInput.safeParse(raw);
  if (!parsed.success) {
    const fields = fieldErrors(parsed.error);
    throw new ValidationError(
      Object.fromEntries(Object.entries(fields).map(([k, v]) => [FIELD[k.split('.')[0]!] ?? k.split('.')[0]!, v])),
    );
  }
  const input = parsed.data;
  if (!(await serverSettings(deps.db)).salesEnabled) throw new AppError('sales_closed', 422, SALES_CLOSED);

  const errors: Record<string, string> = {};
  const hour = await databaseHour(deps.db);
  const plan = await checkedPlan(deps, input.planId, input.region, hour, errors);
  const software = await checkSoftware(
    deps.db,
    { ...input, providerId: plan?.providerId ?? null, organizationId: orgId },
    errors,
  );
  const { app } = software;
  const labelError = labelProblem(input.label);
  if (labelError) errors.label = labelError;
  else if (await labelTaken(deps.db, orgId, input.label)) errors.label = LABEL_TAKEN;
  if (Object.keys(errors).length || !plan) throw new ValidationError(errors);
  const typed = software.typedPassword;
  const rootPassword = typed === '' ? generateRootPassword() : typed;
  const backups = input.backups ?? false;

  let server;
  try {
    server = await inTransaction(deps.db, async (trx) => {
      const now = await databaseHour(trx);
      const price = await offeredPlan(trx, plan.id, now);
      if (!price?.active) throw new ValidationError({ plan_id: 'This plan is no longer available.' });
      const rate = backups ? price.price.withBackupsHourly : price.price.hourly;
      const wallet = await walletOf(trx, orgId, price.price.currency);
      const row = await trx
        .insertInto('servers')
        .values({
          organization_id: orgId,
          provider_id: plan.providerId,
          plan_id: plan.id,
          create_tag: tag,
          label: input.label,
          region: input.region,
          image: input.image,
          app_id: app?.id ?? null,
          status: 'provisioning',
          backups_enabled: backups,
          private_ip: input.privateIp ?? false,
          created_by: actor.userId,
        })
        .onConflict((oc) => oc.column('create_tag').doNothing())
        .returningAll()
        .executeTakeFirst();
      if (!row) return null; // the same idempotency key won a race: answer with its server
      await trx
        .insertInto('server_billing_periods')
        .values({ server_id: row.id, effective_from: now, plan_id: plan.id, backups })
        .execute();
      await chargeFirstHour(trx, {
        serverId: row.id,
        organizationId: orgId,
        walletId: wallet.id,
        hour: now,
        rate,
        currency: price.price.currency,
        label: row.label,
        createdBy: actor.userId,
      });
      await trx
        .insertInto('server_actions')
        .values({
          server_id: row.id,
          organization_id: orgId,
          type: 'create',
          status: 'pending',
          requested_by: actor.userId,
          details: JSON.stringify({ plan_id: plan.id, region: input.region, image: input.image, backups }),
        })
        .execute();
      await recordActivity(
        trx,
        activityBy(actor, 'server.created', {
          target: { type: 'server', id: row.id },
          details: { name: row.label, plan: plan.name, region: input.region, image: input.image, backups },
        }),
      );
      return row;
    });
  } catch (err) {
    throw labelConflict(err) ?? err;
  }
  if (!server) {
    const earlier = await serverRows(deps.db).where('s.create_tag', '=', tag).executeTakeFirstOrThrow();
    return { server: toServerView(earlier), generatedPassword: null };
  }

  await provision(deps, server, {
    providerType: plan.providerType,
    rootPassword,
    authorizedKeys: software.authorizedKeys,
    scriptId: software.scriptId,
    scriptData: software.scriptData,
  });
  const view = toServerView(await serverRows(deps.db).where('s.id', '=', server.id).executeTakeFirstOrThrow());
  return { server: view, generatedPassword: typed === '' && view.status !== 'failed' ? rootPassword : null };
}

async function checkedPlan(
  deps: Pick<Deps, 'db'>,
  planId: string,
  region: string,
  hour: Date,
  errors: Record<string, string>,
): Promise<OfferedPlan | null> {
  const plan = await offeredPlan(deps.db, planId, hour);
  if (!plan || !plan.active) {
    errors.plan_id = 'Choose a plan from the list.';
    return null;
  }
  const providerActive = await deps.db
    .selectFrom('cloud_providers')
    .select('id')
    .where('id', '=', plan.providerId)
    .where('active', '=', true)
    .executeTakeFirst();
  if (!providerActive) {
    errors.plan_id = 'Choose a plan from the list.';
    return null;
  }
  if (!plan.regions.includes(region))
    errors.region = 'This plan is not sold in that region. Choose another region or plan.';
  return plan;
}
