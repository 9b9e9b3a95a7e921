import type { Config } from '../../config.ts';

/**
 * When each dunning step falls due for a case (BILLING.md "Dunning"). A case runs on the
 * time its organization's balance was first seen below zero (`arrears_since`):
 *
 *   arrears notice   at once, then every 24 h while the balance stays below zero
 *   suspension       arrears_since + DUNNING_SUSPEND_AFTER_HOURS: live servers powered off
 *                    and marked suspended (customers cannot boot them)
 *   final notice     24 h before the deletion
 *   termination      arrears_since + DUNNING_TERMINATE_AFTER_DAYS, and never less than 24 h
 *                    after the final notice that announced it went out: servers deleted
 *
 * Staff may exempt a case (no suspension, no deletion; notices continue) or extend its
 * deadline to a later time: the deletion moves there, and the suspension by the same amount.
 * The balance back at or above zero lifts the case at once (run.ts).
 */

export const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;
/** How long before the deletion the final notice goes out, and how long it must have been out. */
export const FINAL_NOTICE_MS = DAY_MS;
/** Arrears reminders: one per day at most. */
export const NOTICE_INTERVAL_MS = DAY_MS;

export interface CaseTimes {
  arrears_since: Date;
  extended_until: Date | null;
  exempt_reason: string | null;
}

export interface Deadlines {
  suspendAt: Date;
  /** The deletion time announced (the final notice goes out 24 h before it). */
  terminateAt: Date;
  finalNoticeAt: Date;
}

type DunningConfig = Pick<Config, 'DUNNING_SUSPEND_AFTER_HOURS' | 'DUNNING_TERMINATE_AFTER_DAYS'>;

export function deadlinesOf(c: CaseTimes, config: DunningConfig): Deadlines {
  const since = c.arrears_since.getTime();
  const suspend = since + config.DUNNING_SUSPEND_AFTER_HOURS * HOUR_MS;
  const terminate = since + config.DUNNING_TERMINATE_AFTER_DAYS * DAY_MS;
  const shift = c.extended_until ? Math.max(0, c.extended_until.getTime() - terminate) : 0;
  return {
    suspendAt: new Date(suspend + shift),
    terminateAt: new Date(terminate + shift),
    finalNoticeAt: new Date(terminate + shift - FINAL_NOTICE_MS),
  };
}

/** The arrears reminder's number within the case (0 at once, 1 a day later…): a reminder is sent once per number. */
export function noticeNumber(arrearsSince: Date, now: Date): number {
  return Math.max(0, Math.floor((now.getTime() - arrearsSince.getTime()) / NOTICE_INTERVAL_MS));
}

/** A time as emails and the banner say it: "8 Dec 2026, 14:05 UTC". */
export function whenText(d: Date): string {
  return `${new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }).format(d)} UTC`;
}

/** What happens next to a case, for staff and the banner. */
export type NextStep = 'suspension' | 'final_notice' | 'termination' | 'none';

export function nextStepOf(
  c: CaseTimes & {
    suspended_at: Date | null;
    final_notice_at: Date | null;
    final_notice_deadline: Date | null;
    terminated_at: Date | null;
  },
  config: DunningConfig,
  now: Date,
): { step: NextStep; at: Date | null } {
  if (c.exempt_reason || c.terminated_at) return { step: 'none', at: null };
  const d = deadlinesOf(c, config);
  const notBefore = (t: Date) => (t > now ? t : now);
  if (!c.suspended_at) return { step: 'suspension', at: notBefore(d.suspendAt) };
  if (!c.final_notice_at || c.final_notice_deadline?.getTime() !== d.terminateAt.getTime())
    return { step: 'final_notice', at: notBefore(d.finalNoticeAt) };
  return { step: 'termination', at: notBefore(terminationTime(d, c.final_notice_at)) };
}

/** The deletion happens at the deadline, and never less than 24 h after the final notice went out. */
export function terminationTime(d: Deadlines, finalNoticeAt: Date): Date {
  return new Date(Math.max(d.terminateAt.getTime(), finalNoticeAt.getTime() + FINAL_NOTICE_MS));
}
