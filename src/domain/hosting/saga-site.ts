import { EnhanceError, type EnhanceClient } from '../../providers/enhance/index.ts';
import { DOMAIN_STATE_MESSAGES } from './domains-check.ts';
import { journal } from './saga-end.ts';
import type { SagaContext } from './saga.ts';

/**
 * The saga's subscription and website steps and their undoing (spec §5.2, with its bug about
 * `Website.domain` being an object fixed). Both find again what a run that died after the
 * panel's create left behind, so a resumed saga never makes a second one.
 */

/** A refusal not worth retrying: `message` may be shown to the customer, `staffMessage` to staff. */
export class PermanentFailure extends Error {
  constructor(
    message: string,
    readonly staffMessage: string,
  ) {
    super(message);
  }
}

const LIVE = ['provisioning', 'active', 'suspended'] as const;

export async function createSubscription(ctx: SagaContext): Promise<void> {
  const c = ctx.service.enhance_org_id!;
  const planId = ctx.plan.enhance_plan_id;
  let id: number;
  let reused = false;
  try {
    id = await ctx.client.createSubscription(c, { planId });
  } catch (err) {
    if (!(err instanceof EnhanceError) || err.status !== 409) throw err;
    const same = (await ctx.client.listSubscriptions(c)).find((s) => s.planId === planId);
    if (!same) throw err;
    if (same.status === 'deleted') {
      // A soft-deleted subscription blocks a new one: remove it for good, then subscribe.
      await ctx.client.deleteSubscription(ctx.masterOrgId, same.id, { force: true });
      id = await ctx.client.createSubscription(c, { planId });
    } else {
      const holder = await ctx.deps.db
        .selectFrom('hosting_services')
        .select('id')
        .where('master_org_id', '=', ctx.masterOrgId)
        .where('enhance_subscription_id', '=', same.id)
        .where('id', '<>', ctx.service.id)
        .where('status', 'in', LIVE)
        .executeTakeFirst();
      if (holder)
        throw new PermanentFailure(
          'Your account already has a website on this plan. Choose another plan.',
          `Enhance subscription ${same.id} (plan ${planId}) belongs to service ${holder.id}`,
        );
      // Ours from a run that died after creating it, or left by an undo that did not finish.
      id = same.id;
      reused = true;
    }
  }
  await ctx.deps.db
    .updateTable('hosting_services')
    .set({ enhance_subscription_id: id })
    .where('id', '=', ctx.service.id)
    .execute();
  ctx.service = { ...ctx.service, enhance_subscription_id: id };
  await journal(ctx, 'subscription', { subscription_id: id, reused });
}

export async function createSite(ctx: SagaContext): Promise<void> {
  const c = ctx.service.enhance_org_id!;
  const subId = ctx.service.enhance_subscription_id!;
  const domain = ctx.service.domain;
  const check = await ctx.client.checkDomain(c, domain);
  let websiteId: string | null = null;
  let adopted = false;
  if (check.status === 'inUseCurrentOrg' && check.websiteId) {
    const site = await ctx.client.getWebsite(c, check.websiteId);
    if (site.subscriptionId === subId && site.status !== 'deleted') {
      websiteId = site.id;
      adopted = true;
    }
  }
  if (!websiteId) {
    if (check.status === 'prohibited' || check.status === 'inUseAnotherOrg' || check.status === 'inUseCurrentOrg')
      throw new PermanentFailure(DOMAIN_STATE_MESSAGES[check.status], `Enhance domain check: ${check.status}`);
    if (check.status === 'inUseDeletedSite') await removeDeletedSite(ctx, check.websiteId);
    const group =
      ctx.plan.allow_server_group_selection && ctx.defaultServerGroupId
        ? { serverGroupId: ctx.defaultServerGroupId }
        : {};
    try {
      websiteId = await ctx.client.createWebsite(c, { domain, subscriptionId: subId, ...group });
    } catch (err) {
      if (err instanceof EnhanceError && err.status === 403)
        throw new PermanentFailure(
          err.detail === 'domain'
            ? 'This domain cannot be hosted: it is not allowed, or it is already in use.'
            : err.message,
          err.adminMessage,
        );
      throw err;
    }
  }
  await ctx.deps.db
    .updateTable('hosting_services')
    .set({ enhance_website_id: websiteId })
    .where('id', '=', ctx.service.id)
    .execute();
  ctx.service = { ...ctx.service, enhance_website_id: websiteId };
  await journal(ctx, 'website', { website_id: websiteId, adopted, domain_check: check.status });
}

/** A soft-deleted website still holds the domain: delete it for good (as the master org). */
async function removeDeletedSite(ctx: SagaContext, websiteId: string | null): Promise<void> {
  let id = websiteId;
  if (!id) {
    const sites = await ctx.client.listWebsites(ctx.service.enhance_org_id!, { showDeleted: true });
    id = sites.find((s) => s.status === 'deleted' && s.domain.domain.toLowerCase() === ctx.service.domain)?.id ?? null;
  }
  if (!id) return;
  await ignore404(() => ctx.client.deleteWebsite(ctx.masterOrgId, id, { force: true }));
}

export async function ignore404(call: () => Promise<unknown>): Promise<void> {
  try {
    await call();
  } catch (err) {
    if (!(err instanceof EnhanceError) || err.status !== 404) throw err;
  }
}

/**
 * The website this saga made: the journaled one, or (a run died between the create and the
 * journal) the one holding our domain on our subscription.
 */
export async function madeWebsite(
  client: EnhanceClient,
  service: { enhance_org_id: string | null; enhance_subscription_id: number | null; domain: string },
  journaled: string | null,
): Promise<string | null> {
  if (journaled) return journaled;
  if (!service.enhance_org_id || service.enhance_subscription_id === null) return null;
  const check = await client.checkDomain(service.enhance_org_id, service.domain);
  if (check.status !== 'inUseCurrentOrg' || !check.websiteId) return null;
  const site = await client.getWebsite(service.enhance_org_id, check.websiteId);
  return site.subscriptionId === service.enhance_subscription_id ? site.id : null;
}
