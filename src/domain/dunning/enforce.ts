import { sql } from 'kysely';
import { inTransaction } from '../../db/index.ts';
import type { Deps } from '../deps.ts';
import type { DunningCase, Tally } from './case.ts';
import { mailContacts, orgFacts, type OrgFacts } from './notices.ts';
import { deadlinesOf, terminationTime, whenText } from './policy.ts';
import { resumeServer, suspendServer, terminateServer, type ServerOutcome } from './servers.ts';
import { recordStep, ref } from './steps.ts';

/**
 * The steps of a case that act on all of an organization's servers (case.ts decides when):
 * suspend them, announce the deletion, delete them, give them back. Each server goes through
 * servers.ts (a provider failure there is a failed step, tried again at the next run); the
 * organization-wide step (and its one email) is recorded once, when nothing is left to do.
 */

export async function suspendAll(
  deps: Deps,
  c: DunningCase,
  org: OrgFacts,
  suspendAt: Date,
  terminateAt: Date,
  now: Date,
  tally: Tally,
): Promise<boolean> {
  const key = suspendAt.toISOString();
  for (const s of await liveServers(deps, org.id, ['suspended', 'deleting']))
    count(tally, await suspendServer(deps, ref(c), s.id, `${s.id}:${key}`), 'suspended');
  const servers = await liveServers(deps, org.id, []);
  const suspended = servers.filter((s) => s.status === 'suspended').length;
  // Done when something is suspended, or nothing is left to suspend (no servers).
  if (suspended === 0 && servers.length > 0) return false;
  return inTransaction(deps.db, async (trx) => {
    await trx
      .updateTable('dunning_cases')
      .set({ suspended_at: sql`coalesce(suspended_at, ${now})` })
      .where('id', '=', c.id)
      .execute();
    const first = await recordStep(trx, {
      ...ref(c),
      step: 'suspension',
      key,
      details: { servers: suspended },
      at: now,
    });
    if (!first || suspended === 0) return false;
    tally.emails += await mailContacts(deps, trx, org, 'suspension', {
      servers: suspended,
      terminateAt: whenText(terminateAt),
    });
    return true;
  });
}

export async function finalNotice(
  deps: Deps,
  c: DunningCase,
  org: OrgFacts,
  terminateAt: Date,
  now: Date,
  tally: Tally,
) {
  const servers = (await liveServers(deps, org.id, [])).length;
  return inTransaction(deps.db, async (trx) => {
    const key = terminateAt.toISOString();
    const first = await recordStep(trx, { ...ref(c), step: 'final_notice', key, details: { servers }, at: now });
    if (!first) return false;
    await trx
      .updateTable('dunning_cases')
      .set({ final_notice_at: now, final_notice_deadline: terminateAt })
      .where('id', '=', c.id)
      .execute();
    if (servers === 0) return false;
    // Sent late (the job was down), the deletion waits 24 h after it all the same (terminationTime).
    const at = terminationTime(deadlinesOf(c, deps.config), now);
    tally.emails += await mailContacts(deps, trx, org, 'final_notice', { servers, terminateAt: whenText(at) });
    return true;
  });
}

export async function terminateAll(deps: Deps, c: DunningCase, org: OrgFacts, now: Date, tally: Tally) {
  for (const s of await liveServers(deps, org.id, []))
    count(tally, await terminateServer(deps, ref(c), s.id), 'deleted');
  if ((await liveServers(deps, org.id, [])).length > 0) return false;
  const deleted = await deps.db
    .selectFrom('dunning_steps')
    .select(sql<number>`count(*)::int`.as('n'))
    .where('case_id', '=', c.id)
    .where('step', '=', 'delete_server')
    .where('outcome', '=', 'done')
    .executeTakeFirstOrThrow();
  const fresh = (await orgFacts(deps, org.id)) ?? org;
  return inTransaction(deps.db, async (trx) => {
    if (!(await recordStep(trx, { ...ref(c), step: 'termination', details: { servers: deleted.n }, at: now })))
      return false;
    await trx.updateTable('dunning_cases').set({ terminated_at: now }).where('id', '=', c.id).execute();
    if (deleted.n === 0) return false;
    tally.emails += await mailContacts(deps, trx, fresh, 'termination', { servers: deleted.n });
    return true;
  });
}

export async function resumeAll(deps: Deps, c: DunningCase | undefined, organizationId: string, tally: Tally) {
  const suspended = await deps.db
    .selectFrom('servers')
    .select('id')
    .where('organization_id', '=', organizationId)
    .where('status', '=', 'suspended')
    .where('deleted_at', 'is', null)
    .orderBy('created_at')
    .execute();
  for (const s of suspended) count(tally, await resumeServer(deps, c ? ref(c) : null, s.id), 'resumed');
}

function count(tally: Tally, outcome: ServerOutcome, done: 'suspended' | 'resumed' | 'deleted') {
  if (outcome === 'done') tally[done]++;
  if (outcome === 'failed') tally.failed++;
}

/** The organization's live servers (neither deleted nor failed), but for the statuses in `except`. */
export async function liveServers(deps: Pick<Deps, 'db'>, organizationId: string, except: string[]) {
  return deps.db
    .selectFrom('servers')
    .select(['id', 'status'])
    .where('organization_id', '=', organizationId)
    .where('status', 'not in', ['deleted', 'failed', ...except] as never[])
    .orderBy('created_at')
    .execute();
}
