import { sql, type Selectable } from 'kysely';
import { inTransaction } from '../../db/index.ts';
import type { DunningCasesTable } from '../../db/types.ts';
import type { Deps } from '../deps.ts';
import { mailContacts, orgFacts, type OrgFacts } from './notices.ts';
import { deadlinesOf, noticeNumber, NOTICE_INTERVAL_MS, terminationTime, whenText } from './policy.ts';
import { finalNotice, resumeAll, suspendAll, terminateAll } from './enforce.ts';
import { recordStep, ref } from './steps.ts';

/**
 * One organization taken one step further along its dunning case (policy.ts says when each
 * step falls due). Level-triggered: each run looks at where the case should be now and does
 * what is missing, so a step that failed (a provider error) is simply done by the next run,
 * and a run repeated changes nothing.
 *
 *   balance ≥ 0            the open case is lifted; suspended servers come back (running
 *                          ones booted again)
 *   below zero, no case    a case opens
 *   exempt, or before the  suspended servers come back (an exemption or a later deadline
 *   suspension time        undoes an earlier suspension); reminders continue
 *   suspension time        live servers powered off and suspended; one suspension email
 *   final notice time      one final notice per deadline
 *   termination time       live servers deleted; one termination email; reminders stop
 *
 * A run works on a case only while it holds the case's claim (`claimed_until`), so two runs
 * never power the same server off twice.
 */

export type Tally = Record<
  | 'organizations'
  | 'opened'
  | 'notices'
  | 'suspended'
  | 'resumed'
  | 'deleted'
  | 'failed'
  | 'lifted'
  | 'emails'
  | 'errors',
  number
>;
export type DunningCase = Selectable<DunningCasesTable>;

const CLAIM_MS = 10 * 60_000;

export async function stepOrganization(deps: Deps, organizationId: string, tally: Tally): Promise<void> {
  const now = deps.clock.now();
  const org = await orgFacts(deps, organizationId);
  if (!org) return;
  const open = await deps.db
    .selectFrom('dunning_cases')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .where('lifted_at', 'is', null)
    .executeTakeFirst();

  if (org.balance >= 0n) {
    if (open) {
      const lifted = await inTransaction(deps.db, async (trx) => {
        const row = await trx
          .updateTable('dunning_cases')
          .set({ lifted_at: now })
          .where('id', '=', open.id)
          .where('lifted_at', 'is', null)
          .returning('id')
          .executeTakeFirst();
        if (row)
          await recordStep(trx, {
            ...ref(open),
            step: 'lifted',
            details: { balance: org.balance.toString() },
            at: now,
          });
        return row !== undefined;
      });
      if (lifted) tally.lifted++;
    }
    await resumeAll(deps, open ?? (await latestCase(deps, organizationId)), organizationId, tally);
    return;
  }

  const c = open ?? (await openCase(deps, organizationId, now, tally));
  const claimed = await claim(deps, c.id, now);
  if (!claimed) return;
  try {
    await advance(deps, claimed, org, now, tally);
  } finally {
    await deps.db.updateTable('dunning_cases').set({ claimed_until: null }).where('id', '=', c.id).execute();
  }
}

async function advance(deps: Deps, c: DunningCase, org: OrgFacts, now: Date, tally: Tally) {
  const d = deadlinesOf(c, deps.config);
  let mailed = false;
  if (c.exempt_reason || now < d.suspendAt) {
    // Exempt, or a later deadline: nothing stays suspended before its time.
    await resumeAll(deps, c, org.id, tally);
    if (c.suspended_at) await setCase(deps, c.id, { suspended_at: null });
  } else if (!c.terminated_at) {
    mailed = (await suspendAll(deps, c, org, d.suspendAt, d.terminateAt, now, tally)) || mailed;
  }
  if (!c.exempt_reason && !c.terminated_at) {
    const announced = c.final_notice_deadline?.getTime() === d.terminateAt.getTime();
    if (!announced && now >= d.finalNoticeAt) {
      mailed = (await finalNotice(deps, c, org, d.terminateAt, now, tally)) || mailed;
    } else if (announced && now >= terminationTime(d, c.final_notice_at!)) {
      mailed = (await terminateAll(deps, c, org, now, tally)) || mailed;
    }
  }
  await remind(deps, c, org, now, mailed, tally);
}

/** The daily reminder (not after termination); a day with another dunning email counts as reminded. */
async function remind(deps: Deps, c: DunningCase, org: OrgFacts, now: Date, mailed: boolean, tally: Tally) {
  const fresh = await deps.db.selectFrom('dunning_cases').selectAll().where('id', '=', c.id).executeTakeFirstOrThrow();
  if (fresh.terminated_at) return;
  if (mailed) return setCase(deps, c.id, { last_notice_at: now });
  if (fresh.last_notice_at && now.getTime() - fresh.last_notice_at.getTime() < NOTICE_INTERVAL_MS) return;
  const d = deadlinesOf(fresh, deps.config);
  await inTransaction(deps.db, async (trx) => {
    const n = noticeNumber(fresh.arrears_since, now);
    if (!(await recordStep(trx, { ...ref(c), step: 'arrears_notice', key: String(n), at: now }))) return;
    await trx
      .updateTable('dunning_cases')
      .set({ last_notice_at: now, notices: sql`notices + 1` })
      .where('id', '=', c.id)
      .execute();
    tally.notices++;
    tally.emails += await mailContacts(deps, trx, org, 'arrears', {
      since: whenText(fresh.arrears_since),
      suspendAt: fresh.exempt_reason || fresh.suspended_at ? null : whenText(d.suspendAt),
      terminateAt: fresh.exempt_reason ? null : whenText(d.terminateAt),
      suspended: fresh.suspended_at !== null,
    });
  });
}

/** The organization's open case, opened now when it has none (the run, or staff acting before the run has). */
export async function openCase(
  deps: Pick<Deps, 'db'>,
  organizationId: string,
  now: Date,
  tally?: Tally,
): Promise<DunningCase> {
  return inTransaction(deps.db, async (trx) => {
    const made = await trx
      .insertInto('dunning_cases')
      .values({ organization_id: organizationId, arrears_since: now, created_at: now })
      .onConflict((oc) => oc.column('organization_id').where('lifted_at', 'is', null).doNothing())
      .returningAll()
      .executeTakeFirst();
    if (made) {
      await recordStep(trx, { ...ref(made), step: 'opened', at: now });
      if (tally) tally.opened++;
      return made;
    }
    return trx
      .selectFrom('dunning_cases')
      .selectAll()
      .where('organization_id', '=', organizationId)
      .where('lifted_at', 'is', null)
      .executeTakeFirstOrThrow();
  });
}

async function claim(deps: Pick<Deps, 'db'>, caseId: string, now: Date): Promise<DunningCase | undefined> {
  return deps.db
    .updateTable('dunning_cases')
    .set({ claimed_until: new Date(now.getTime() + CLAIM_MS) })
    .where('id', '=', caseId)
    .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<=', now)]))
    .returningAll()
    .executeTakeFirst();
}

async function latestCase(deps: Pick<Deps, 'db'>, organizationId: string) {
  return deps.db
    .selectFrom('dunning_cases')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .orderBy('arrears_since', 'desc')
    .limit(1)
    .executeTakeFirst();
}

async function setCase(deps: Pick<Deps, 'db'>, id: string, set: { suspended_at?: null; last_notice_at?: Date }) {
  await deps.db.updateTable('dunning_cases').set(set).where('id', '=', id).execute();
}
