import { z } from 'zod';
import { inTransaction } from '../../db/index.ts';
import { AppError, NotFoundError, ValidationError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Actor } from '../access/actor.ts';
import { requirePlatformAdmin } from '../access/guard.ts';
import { recordActivity } from '../activity/record.ts';
import type { Deps } from '../deps.ts';
import { openCase, type DunningCase } from './case.ts';
import { dunningConfig } from '../settings/billing-policy.ts';
import { deadlinesOf, whenText } from './policy.ts';
import { recordStep } from './steps.ts';

/**
 * What staff change on an organization's dunning case (its list and history: arrears.ts):
 * exempt it (no suspension, no deletion while in these arrears; a suspension already made is
 * undone), remove the exemption, or extend its deadline to a later time (the deletion moves
 * there and the suspension by as much). Each change is audited in the activity log and in the
 * case's history, and queues `billing.dunning` for the organization so it takes effect at once.
 * An organization below zero whose case the job has not opened yet gets it opened now.
 */

const reason = z
  .string({ error: 'Say why.' })
  .trim()
  .min(1, 'Say why: the reason is kept with the case.')
  .max(500, 'Keep the reason under 500 characters.');
export const exemptionInput = z.object({ reason });
export const extensionInput = z.object({
  until: z.string({ error: 'Give a date.' }).trim().min(1, 'Give a date like 2026-12-24 or 2026-12-24T12:00 (UTC).'),
  reason,
});

type AdminDeps = Pick<Deps, 'db' | 'clock' | 'config' | 'queue'>;

/** The case staff act on: the open one of an organization below zero (404 for an unknown id, 409 when not in arrears). */
async function caseFor(deps: AdminDeps, actor: Actor, organizationId: string): Promise<DunningCase> {
  requirePlatformAdmin(actor);
  if (!isUuid(organizationId)) throw new NotFoundError('No such organization.');
  const wallet = await deps.db
    .selectFrom('wallets')
    .select('balance')
    .where('organization_id', '=', organizationId)
    .executeTakeFirst();
  if (!wallet) throw new NotFoundError('No such organization.');
  const open = await deps.db
    .selectFrom('dunning_cases')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .where('lifted_at', 'is', null)
    .executeTakeFirst();
  if (open) return open;
  if (wallet.balance >= 0n)
    throw new AppError('not_in_arrears', 409, 'This organization is not in arrears: its balance is not below zero.');
  return openCase(deps, organizationId, deps.clock.now());
}

async function audit(
  deps: AdminDeps,
  actor: Actor,
  c: DunningCase,
  what: {
    step: 'exempted' | 'exemption_removed' | 'deadline_extended';
    action: 'admin.dunning_exempted' | 'admin.dunning_exemption_removed' | 'admin.dunning_deadline_extended';
    set: Record<string, unknown>;
    details: Record<string, string>;
  },
) {
  const now = deps.clock.now();
  await inTransaction(deps.db, async (trx) => {
    await trx.updateTable('dunning_cases').set(what.set).where('id', '=', c.id).execute();
    await recordStep(trx, {
      caseId: c.id,
      organizationId: c.organization_id,
      step: what.step,
      key: `${now.toISOString()}:${actor.userId}`,
      actorUserId: actor.userId,
      details: what.details,
      at: now,
    });
    await recordActivity(trx, {
      action: what.action,
      actorUserId: actor.userId,
      organizationId: c.organization_id,
      target: { type: 'organization', id: c.organization_id },
      origin: actor.origin,
      details: what.details,
      occurredAt: now,
    });
    // A suspension this undoes (or makes due) happens at once, not at the next scheduled run.
    await deps.queue.enqueue(trx, 'billing.dunning', { organizationId: c.organization_id });
  });
}

/** Exempts the organization's case from suspension and deletion. */
export async function exemptOrganization(
  deps: AdminDeps,
  actor: Actor,
  { organizationId, values }: { organizationId: string; values: z.input<typeof exemptionInput> },
): Promise<void> {
  const input = parseInput(exemptionInput, values);
  const c = await caseFor(deps, actor, organizationId);
  const now = deps.clock.now();
  await audit(deps, actor, c, {
    step: 'exempted',
    action: 'admin.dunning_exempted',
    set: { exempt_reason: input.reason, exempted_by: actor.userId, exempted_at: now },
    details: { reason: input.reason },
  });
}

/** Removes the exemption: the case's deadlines apply again (a step already due happens at the next run). */
export async function removeExemption(deps: AdminDeps, actor: Actor, organizationId: string): Promise<boolean> {
  const c = await caseFor(deps, actor, organizationId);
  if (!c.exempt_reason) return false;
  await audit(deps, actor, c, {
    step: 'exemption_removed',
    action: 'admin.dunning_exemption_removed',
    set: { exempt_reason: null, exempted_by: null, exempted_at: null },
    details: { reason: c.exempt_reason },
  });
  return true;
}

/** "2026-12-24" (end of that day, UTC), "2026-12-24T12:00" (UTC) or a full ISO time; null when it is none. */
export function parseDeadline(raw: string): Date | null {
  const v = raw.trim();
  if (/^\d{4}-\d{2}-\d{2}$/.test(v)) return validDate(new Date(`${v}T23:59:59Z`));
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(v)) return null;
  return validDate(new Date(/[zZ]|[+-]\d{2}:?\d{2}$/.test(v) ? v : `${v}Z`));
}
const validDate = (d: Date) => (Number.isNaN(d.getTime()) ? null : d);

/** Moves the case's deletion to `until` (later than the current deadline); the suspension moves as much. */
export async function extendDeadline(
  deps: AdminDeps,
  actor: Actor,
  { organizationId, values }: { organizationId: string; values: z.input<typeof extensionInput> },
): Promise<Date> {
  const input = parseInput(extensionInput, values);
  const c = await caseFor(deps, actor, organizationId);
  const until = parseDeadline(input.until);
  if (!until) throw new ValidationError({ until: 'Give a date like 2026-12-24 or 2026-12-24T12:00 (UTC).' });
  const current = deadlinesOf(c, await dunningConfig(deps)).terminateAt;
  if (until <= current)
    throw new ValidationError({ until: `Give a time after the current deadline, ${whenText(current)}.` });
  if (c.terminated_at)
    throw new AppError(
      'case_terminated',
      409,
      "This organization's servers were already deleted: there is no deadline left.",
    );
  await audit(deps, actor, c, {
    step: 'deadline_extended',
    action: 'admin.dunning_deadline_extended',
    set: {
      extended_until: until,
      extended_by: actor.userId,
      extended_at: deps.clock.now(),
      extend_reason: input.reason,
    },
    details: { until: until.toISOString(), previous: current.toISOString(), reason: input.reason },
  });
  return until;
}
