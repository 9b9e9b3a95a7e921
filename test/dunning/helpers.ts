import { afterAll, beforeAll } from 'vitest';
import type { Actor } from '../../src/domain/access/actor.ts';
import { runDunning } from '../../src/domain/dunning/run.ts';
import { createServer } from '../../src/domain/servers/create.ts';
import { followServer } from '../../src/domain/servers/follow.ts';
import { runQueued } from '../helpers/jobs.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { fundWallet } from '../helpers/money.ts';
import { createPerson, uniqueEmail } from '../helpers/people.ts';
import { seedServerCatalogue, startTestCloud, type SeededCatalogue, type TestCloud } from '../helpers/servers.ts';
import { dunningJob } from '../../jobs/dunning.ts';
import { actorFor } from '../servers/helpers.ts';

/**
 * Dunning's world: the servers' test cloud (a Linode emulator on a stepped clock and the real
 * client), an app context whose dunning runs on its TestClock, the seeded catalogue, and a
 * cast made per test (each test its own organization, so cases never meet). Suspension after
 * 48 h here (so a reminder a day later stands on its own), deletion after 7 days.
 */
export interface DunningWorld {
  ctx: TestContext;
  cloud: TestCloud;
  catalogue: SeededCatalogue;
}

export const SUSPEND_HOURS = 48;
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

export function useDunningWorld(env: Record<string, string> = {}): DunningWorld {
  const w = {} as DunningWorld;
  beforeAll(async () => {
    w.cloud = await startTestCloud();
    w.ctx = await createTestContext(
      { DUNNING_SUSPEND_AFTER_HOURS: String(SUSPEND_HOURS), DUNNING_TERMINATE_AFTER_DAYS: '7', ...env },
      { cloud: w.cloud.provider },
    );
    w.catalogue = await seedServerCatalogue(w.ctx.db);
  });
  afterAll(async () => {
    await w.ctx?.close();
    await w.cloud?.close();
  });
  return w;
}

/** An owner and their organization. */
export async function customer(w: DunningWorld, name: string) {
  const owner = await createPerson(w.ctx, name, { verified: true, email: uniqueEmail(name) });
  const org = owner.organization.id;
  const actor: Actor = actorFor(owner, org);
  return { owner, org, actor };
}

/** A member of `org` with a role of its own holding `permissions` (written as the roles and members pages would). */
export async function memberOf(w: DunningWorld, org: string, name: string, permissions: string[]) {
  const person = await createPerson(w.ctx, name, { verified: true, email: uniqueEmail(name) });
  const role = await w.ctx.db
    .insertInto('roles')
    .values({ organization_id: org, name: `${name} role`, permissions })
    .returning('id')
    .executeTakeFirstOrThrow();
  await w.ctx.db
    .insertInto('organization_members')
    .values({ organization_id: org, user_id: person.id, role_id: role.id, created_at: new Date() })
    .execute();
  return person;
}

/** A server of `org`, running (or offline), created as its owner creates one. */
export async function serverOf(w: DunningWorld, actor: Actor, label: string, power: 'running' | 'offline' = 'running') {
  await fundWallet(w.ctx.db, actor.organizationId!, 1_000_000n);
  const { server } = await createServer(w.ctx.deps, actor, {
    label,
    region: 'us-east',
    planId: w.catalogue.plans.small.id,
    image: w.catalogue.images[0]!,
  });
  await settle(w, server.id);
  if (power === 'offline') {
    const { runAction } = await import('../../src/domain/servers/actions.ts');
    await runAction(w.ctx.deps, actor, server.id, { type: 'shutdown' });
    await settle(w, server.id);
  }
  return server.id;
}

export async function settle(w: DunningWorld, serverId: string) {
  w.cloud.emu.settle();
  return followServer(w.ctx.deps, { serverId, attempt: 0 });
}

export async function balanceOf(w: DunningWorld, org: string) {
  const row = await w.ctx.db
    .selectFrom('wallets')
    .select('balance')
    .where('organization_id', '=', org)
    .executeTakeFirstOrThrow();
  return row.balance;
}

/** Sets the wallet to exactly `amount` (a balanced adjustment, negative allowed: usage that already happened). */
export async function setBalance(w: DunningWorld, org: string, amount: bigint) {
  const now = await balanceOf(w, org);
  if (now !== amount) await fundWallet(w.ctx.db, org, amount - now);
}

/** One scheduled run of the job (all organizations), at the test clock's now. */
export async function run(w: DunningWorld) {
  const tally = await runDunning(w.ctx.deps);
  // An organization that failed is logged and skipped by the job: here it fails the test.
  if (tally.errors)
    throw new Error(`dunning failed for ${tally.errors} organization(s); TEST_LOG_LEVEL=error says why`);
  return tally;
}

/** Runs the queued `billing.dunning` jobs as a worker would. */
export const runQueuedDunning = (w: DunningWorld) =>
  runQueued(w.ctx, 'billing.dunning', (data) => dunningJob(w.ctx.deps, data, null));

export async function statusOf(w: DunningWorld, serverId: string) {
  const row = await w.ctx.db
    .selectFrom('servers')
    .select(['status', 'resume_running', 'suspended_at', 'provider_instance_id', 'deleted_reason'])
    .where('id', '=', serverId)
    .executeTakeFirstOrThrow();
  return row;
}

export async function instanceStatus(w: DunningWorld, serverId: string) {
  const { provider_instance_id } = await statusOf(w, serverId);
  return w.cloud.emu.instance(provider_instance_id!)?.status ?? null;
}

/** Dunning emails to `to`, oldest first, by template. */
export async function mailTo(w: DunningWorld, to: string) {
  const rows = await w.ctx.db
    .selectFrom('emails')
    .select(['template', 'subject', 'text', 'html'])
    .where('to_address', '=', to)
    .where('template', 'in', ['arrears', 'suspension', 'final_notice', 'termination'])
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows;
}

export async function stepsOf(w: DunningWorld, org: string) {
  return w.ctx.db
    .selectFrom('dunning_steps')
    .select(['step', 'key', 'outcome', 'server_id', 'error'])
    .where('organization_id', '=', org)
    .orderBy('seq')
    .execute();
}
