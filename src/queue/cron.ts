// pg-boss has no option for this: its Timekeeper class, the very module pg-boss itself loads
// (the bundle holds one copy of pg-boss; Node's module cache one per path).
import Timekeeper from 'pg-boss/src/timekeeper.js';

/**
 * pg-boss's schedule check, without its cost.
 *
 * Every 30 s (and once at start) pg-boss 10's timekeeper asks, for each schedule, whether it
 * fired in the last minute: it builds a cron-parser interval and walks it back with `prev()`.
 * cron-parser 4 does that through Luxon, one second or minute at a time: for our 14 schedules it
 * measured 78 ms of CPU warm and about 200 ms cold, an event-loop stall every 30 s in the process
 * that holds the cron lock and a fifth of a second on every start.
 *
 * The question has a direct answer. Fire times fall on whole minutes, so the latest one at or
 * before a moment is that moment's minute when the expression matches it, or an earlier minute.
 * `firedWithin` checks minutes from the current one backwards for as long as they are within the
 * last 60 s: one or two field comparisons. It understands five-field expressions in UTC made of
 * numbers, `*`, ranges, steps and lists, which is every schedule in src/queue/index.ts (a test
 * holds it to cron-parser's answers for each); anything else (names, `L`, `#`, six fields,
 * another time zone) gets pg-boss's own check, unchanged.
 */

/** The values each field allows: minute, hour, day of month, month, day of week (7 is Sunday too). */
const FIELDS = [
  [0, 59],
  [0, 23],
  [1, 31],
  [1, 12],
  [0, 7],
] as const;

interface Parsed {
  minute: Set<number>;
  hour: Set<number>;
  dayOfMonth: Set<number>;
  month: Set<number>;
  dayOfWeek: Set<number>;
  /** Both day fields restricted: a day matches when either does (cron's rule). */
  eitherDay: boolean;
}

const parsedCache = new Map<string, Parsed | null>();

/** The expression's fields, or null when it is not one this module answers for. */
export function parseCron(expression: string): Parsed | null {
  let parsed = parsedCache.get(expression);
  if (parsed !== undefined) return parsed;
  parsed = parse(expression);
  parsedCache.set(expression, parsed);
  return parsed;
}

function parse(expression: string): Parsed | null {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 5) return null;
  const sets: Array<Set<number>> = [];
  for (let i = 0; i < 5; i++) {
    const set = field(parts[i]!, FIELDS[i]![0], FIELDS[i]![1]);
    if (!set) return null;
    sets.push(set);
  }
  const [minute, hour, dayOfMonth, month, dayOfWeek] = sets as [
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
  ];
  if (dayOfWeek.delete(7)) dayOfWeek.add(0);
  return { minute, hour, dayOfMonth, month, dayOfWeek, eitherDay: parts[2] !== '*' && parts[4] !== '*' };
}

/** `*`, `n`, `a-b`, each with an optional `/step`, separated by commas; null for anything else. */
function field(text: string, min: number, max: number): Set<number> | null {
  const values = new Set<number>();
  for (const item of text.split(',')) {
    const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(item);
    if (!m) return null;
    const step = m[4] === undefined ? 1 : Number(m[4]);
    const from = m[1] === '*' ? min : Number(m[2]);
    // `n/step` runs from n to the field's end, as in cron-parser.
    const to = m[1] === '*' ? max : m[3] !== undefined ? Number(m[3]) : m[4] !== undefined ? max : from;
    if (step < 1 || from < min || to > max || from > to) return null;
    for (let v = from; v <= to; v += step) values.add(v);
  }
  return values;
}

function matches(p: Parsed, ms: number): boolean {
  const d = new Date(ms);
  if (!p.minute.has(d.getUTCMinutes()) || !p.hour.has(d.getUTCHours()) || !p.month.has(d.getUTCMonth() + 1))
    return false;
  const dom = p.dayOfMonth.has(d.getUTCDate());
  const dow = p.dayOfWeek.has(d.getUTCDay());
  return p.eitherDay ? dom || dow : dom && dow;
}

const MINUTE = 60_000;

/**
 * pg-boss's `shouldSendIt` for a parsed expression: whether the latest fire time before
 * `localNow` (this process's clock, as cron-parser's `prev()` uses it) is less than 60 s before
 * `databaseNow` (the clock corrected by pg-boss's measured skew).
 */
export function firedWithin(p: Parsed, localNow: number, databaseNow: number): boolean {
  // prev() is strictly before now: on an exact minute, that minute is not a candidate.
  let t = Math.floor(localNow / MINUTE) * MINUTE;
  if (t === localNow) t -= MINUTE;
  for (; databaseNow - t < MINUTE; t -= MINUTE) if (matches(p, t)) return true;
  return false;
}

type ShouldSendIt = (this: { clockSkew: number }, cron: string, tz: string) => boolean;

/**
 * Puts the check above in pg-boss's timekeeper (once per process). Expressions it does not
 * answer for, and time zones other than UTC, go to pg-boss's own check.
 */
export function speedUpScheduleChecks(): void {
  const proto = (Timekeeper as { prototype: { shouldSendIt: ShouldSendIt & { fast?: true } } }).prototype;
  if (typeof proto.shouldSendIt !== 'function') throw new Error('pg-boss has no Timekeeper.shouldSendIt to speed up');
  if (proto.shouldSendIt.fast) return;
  const original = proto.shouldSendIt;
  const fast: ShouldSendIt & { fast?: true } = function (cron, tz) {
    const parsed = tz === 'UTC' ? parseCron(cron) : null;
    if (!parsed) return original.call(this, cron, tz);
    const now = Date.now();
    return firedWithin(parsed, now, now + (this.clockSkew ?? 0));
  };
  fast.fast = true;
  proto.shouldSendIt = fast;
}
