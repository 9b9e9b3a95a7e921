import fc from 'fast-check';
import { afterAll, beforeAll } from 'vitest';

/**
 * How the fuzz runs: a fixed seed unless FUZZ_SEED says otherwise (each property's seed is
 * derived from it and the property's name, so one property reproduces alone), FUZZ_RUNS inputs
 * per property and caller, and a failure that names the seed, the property and the request.
 */

export const SEED = Number(process.env.FUZZ_SEED ?? 20_261_207);
/** Inputs per route and caller (anonymous callers get fewer: they are refused before any input is read). */
export const RUNS = Number(process.env.FUZZ_RUNS ?? 5);

/** The property's own seed: FUZZ_SEED and its name, hashed (FNV-1a). */
export function seedOf(name: string): number {
  let h = 0x811c9dc5 ^ SEED;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h | 0;
}

/** Shortens what a failure message shows of a request (bodies can be 70 kB). */
export function show(value: unknown, max = 600): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  if (text === undefined) return String(value);
  return text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text;
}

/**
 * Runs `property` over `arb` for `runs` inputs; resolves to null, or to a message naming
 * FUZZ_SEED, the property's seed and the failing input (no shrinking: the world has moved on
 * since the failing call, so a shrunk input would not mean the same).
 */
export async function check<T>(
  name: string,
  arb: fc.Arbitrary<T>,
  runs: number,
  property: (input: T) => Promise<string | null>,
): Promise<string | null> {
  const seed = seedOf(name);
  let failed: { input: T; problem: string } | null = null;
  const result = await fc.check(
    fc.asyncProperty(arb, async (input) => {
      const problem = await property(input);
      if (problem) {
        failed ??= { input, problem };
        return false;
      }
      return true;
    }),
    { seed, numRuns: runs, endOnFailure: true },
  );
  if (!result.failed) return null;
  const first = failed as { input: T; problem: string } | null;
  const why = first ? first.problem : String(result.errorInstance ?? 'failed');
  return `${name}: ${why}\n    (FUZZ_SEED=${SEED}, property seed ${seed}, run ${result.numRuns})`;
}

/** Unhandled promise rejections seen while the file runs (there must be none). */
export function watchRejections(): unknown[] {
  const seen: unknown[] = [];
  const listener = (reason: unknown) => seen.push(reason);
  beforeAll(() => {
    process.on('unhandledRejection', listener);
  });
  afterAll(() => {
    process.off('unhandledRejection', listener);
  });
  return seen;
}

/** What is wrong with an error answer of the JSON API, or null: a 4xx must carry `{ error: { code, message, fields? } }`. */
export function envelopeProblem(status: number, contentType: string, text: string): string | null {
  if (!contentType.includes('application/json')) return `${status} is not JSON (${contentType}): ${show(text, 200)}`;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return `${status} has a body that does not parse: ${show(text, 200)}`;
  }
  const error = (body as { error?: Record<string, unknown> })?.error;
  if (!error || typeof error.code !== 'string' || typeof error.message !== 'string')
    return `${status} without the error envelope: ${show(text, 300)}`;
  if (error.fields !== undefined) {
    const f = error.fields;
    if (!f || typeof f !== 'object' || Array.isArray(f) || Object.values(f).some((v) => typeof v !== 'string'))
      return `${status} with malformed fields: ${show(text, 300)}`;
  }
  return null;
}

/**
 * What the fuzz reached: answers by status per route and caller. With FUZZ_STATS=1 a table is
 * printed after the file (how many routes a permitted caller got past validation, and where).
 */
export class Stats {
  private counts = new Map<string, Map<number, number>>();
  total = 0;
  constructor(private label: string) {
    afterAll(() => {
      if (process.env.FUZZ_STATS) console.log(this.report());
    });
  }
  record(route: string, who: string, status: number) {
    this.total++;
    const key = `${route} as ${who}`;
    const m = this.counts.get(key) ?? new Map<number, number>();
    m.set(status, (m.get(status) ?? 0) + 1);
    this.counts.set(key, m);
  }
  report(): string {
    const lines = [...this.counts].map(
      ([k, m]) =>
        `${k}: ${[...m]
          .sort((a, b) => a[0] - b[0])
          .map(([s, n]) => `${s}×${n}`)
          .join(' ')}`,
    );
    const reached = [...this.counts.values()].filter((m) => [...m.keys()].some((s) => s < 300)).length;
    return `${this.label}: ${this.total} requests, ${this.counts.size} route×caller pairs, ${reached} with a 2xx\n${lines.join('\n')}`;
  }
}
