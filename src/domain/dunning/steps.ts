import { sql } from 'kysely';
import type { DbOrTx } from '../../db/index.ts';
import type { DunningStep } from '../../db/types.ts';
import type { CaseRef } from './servers.ts';

/**
 * The append-only history of a dunning case (`dunning_steps`). A step that is `done` is done
 * once per case and key (a unique index says so, so two runs racing record it once); a
 * `failed` attempt is one more row, and the next run tries again.
 */
export interface StepRecord {
  caseId: string;
  organizationId: string;
  step: DunningStep;
  key?: string;
  outcome?: 'done' | 'failed';
  serverId?: string | null;
  error?: string | null;
  actorUserId?: string | null;
  details?: Record<string, string | number | boolean | null>;
  at: Date;
}

/** Records a step; for a `done` step, false when it was already done (nothing written). */
export async function recordStep(db: DbOrTx, s: StepRecord): Promise<boolean> {
  const row = await db
    .insertInto('dunning_steps')
    .values({
      case_id: s.caseId,
      organization_id: s.organizationId,
      step: s.step,
      key: s.key ?? '',
      outcome: s.outcome ?? 'done',
      server_id: s.serverId ?? null,
      error: s.error?.slice(0, 1000) ?? null,
      actor_user_id: s.actorUserId ?? null,
      details: JSON.stringify(s.details ?? {}),
      created_at: s.at,
    })
    .onConflict((oc) =>
      // The index's predicate written out (not a parameter), so PostgreSQL matches dunning_steps_once.
      oc
        .columns(['case_id', 'step', 'key'])
        .where(sql<boolean>`outcome = 'done'`)
        .doNothing(),
    )
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

/** Whether a step is done in the case. */
export async function stepDone(db: DbOrTx, caseId: string, step: DunningStep, key = ''): Promise<boolean> {
  const row = await db
    .selectFrom('dunning_steps')
    .select('id')
    .where('case_id', '=', caseId)
    .where('step', '=', step)
    .where('key', '=', key)
    .where('outcome', '=', 'done')
    .executeTakeFirst();
  return row !== undefined;
}

/** A case as servers.ts and the steps name it. */
export const ref = (c: { id: string; organization_id: string }): CaseRef => ({
  caseId: c.id,
  organizationId: c.organization_id,
});
