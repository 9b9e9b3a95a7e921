/**
 * Hosting billing months (BILLING.md "Hosting"). A service is billed for calendar months that
 * start on its billing day: the day (and UTC time) of its first period's start, its anchor.
 * Period n runs from `monthsAfter(anchor, n)` to `monthsAfter(anchor, n + 1)`: the same day
 * n months later, clamped to the month's end when the month is shorter. Counting from the
 * anchor (not from the previous period) keeps the day from drifting: 31 Jan → 28 Feb → 31 Mar
 * → 30 Apr, never 28 Mar. The first period is the purchase's (purchase.ts ends it at
 * `monthsAfter(start, 1)`), so a period's end is always the next one's start.
 */

export const DAY_MS = 86_400_000;

/** `anchor` plus `n` calendar months (UTC), the day clamped to the target month's last day; time of day kept. */
export function monthsAfter(anchor: Date, n: number): Date {
  const y = anchor.getUTCFullYear();
  const m = anchor.getUTCMonth() + n;
  const last = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  return new Date(
    Date.UTC(
      y,
      m,
      Math.min(anchor.getUTCDate(), last),
      anchor.getUTCHours(),
      anchor.getUTCMinutes(),
      anchor.getUTCSeconds(),
      anchor.getUTCMilliseconds(),
    ),
  );
}

/**
 * The end of the period starting at `start`, for a service whose billing anchor is `anchor`
 * (`start` is one of its period starts; when it is not — data written elsewhere — the month
 * after `start` clamped).
 */
export function periodEndAfter(anchor: Date, start: Date): Date {
  const months = (start.getUTCFullYear() - anchor.getUTCFullYear()) * 12 + (start.getUTCMonth() - anchor.getUTCMonth());
  for (const n of [months, months - 1, months + 1])
    if (n >= 0 && monthsAfter(anchor, n).getTime() === start.getTime()) return monthsAfter(anchor, n + 1);
  return monthsAfter(start, 1);
}

/** Whole days between two instants (rounded down; 0 when `to` is not after `from`). */
export function wholeDays(from: Date, to: Date): number {
  return Math.max(0, Math.floor((to.getTime() - from.getTime()) / DAY_MS));
}
