import { createEnhanceClient, type EnhanceClientOptions } from '../../src/providers/enhance/index.ts';
import {
  startEnhanceEmulator,
  type EnhanceEmulatorOptions,
  type StartedEnhanceEmulator,
} from '../../src/providers/enhance/emulator/index.ts';

export interface World {
  emu: StartedEnhanceEmulator;
  /** Every wait the client asked for between attempts, in ms (nothing sleeps). */
  waits: number[];
}

export async function startWorld(opts: EnhanceEmulatorOptions = {}): Promise<World> {
  return { emu: await startEnhanceEmulator(opts), waits: [] };
}

/** A real client of the emulator over HTTP on 127.0.0.1. */
export function clientFor(w: World, over: Partial<EnhanceClientOptions> = {}) {
  return createEnhanceClient({
    baseUrl: w.emu.url,
    token: w.emu.token,
    masterOrgId: w.emu.masterOrgId,
    timeoutMs: 2_000,
    random: () => 0.5,
    sleep: async (ms) => void w.waits.push(ms),
    ...over,
  });
}

/** A customer org with an owner member, as onboarding leaves it. */
export async function onboard(w: World, email = `ada-${crypto.randomUUID().slice(0, 8)}@shop.test`) {
  const client = clientFor(w);
  const orgId = await client.createCustomer('Ada Shop');
  const loginId = await client.createLogin(orgId, { email, name: 'Ada', password: 'Sufficiently-Long-42' });
  const memberId = await client.addMember(orgId, { loginId, roles: ['SuperAdmin'] });
  await client.setOwner(orgId, memberId);
  return { client, orgId, loginId, memberId, email };
}

/** Resolves to the rejection (failing the test when the promise resolves). */
export async function rejection(p: Promise<unknown>): Promise<any> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  if (!err) throw new Error('expected a rejection');
  return err;
}

/** An onboarded customer with a subscription to the first plan (Starter) and one website on it. */
export async function hostedSite(w: World, domain = `site-${crypto.randomUUID().slice(0, 6)}.test`) {
  const o = await onboard(w);
  const [starter] = await o.client.listPlans();
  const subId = await o.client.createSubscription(o.orgId, { planId: starter!.id });
  const siteId = await o.client.createWebsite(o.orgId, { domain, subscriptionId: subId });
  const [primary] = await o.client.listWebsiteDomains(o.orgId, siteId);
  return { ...o, subId, siteId, domain, domainId: primary!.domainId };
}
