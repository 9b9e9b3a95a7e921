import { readFileSync } from 'node:fs';
import path from 'node:path';
import { safeHref } from '../../lib/markdown.ts';
import type { Clock } from '../../lib/time.ts';
import { ROOT_DIR } from '../../paths.ts';

/**
 * The update check (issue 16 item 10): the admin dashboard shows the running version (package.json)
 * and, when `UPDATE_FEED_URL` is set (off by default), whether a newer release exists.
 *
 * The feed is a small JSON document served over HTTP(S):
 *
 *     { "latest": "0.2.0", "url": "https://example.com/releases/0.2.0", "notes": "optional one-line summary" }
 *
 * `latest` is a version `MAJOR.MINOR.PATCH` (a `-prerelease` suffix counts as older than the
 * release itself); `url` (http or https) and `notes` are optional. Anything else is ignored.
 *
 * It works offline: a feed that cannot be reached within 3 seconds, answers other than 200, or
 * is not such a document gives `could not check`, never an error. An answer is kept in the
 * process for 6 hours (a failure for 15 minutes), so the dashboard asks rarely and waits at most
 * once per period.
 */

export const UPDATE_CHECK_TIMEOUT_MS = 3_000;
export const UPDATE_CHECK_TTL_MS = 6 * 3600_000;
export const UPDATE_CHECK_FAILURE_TTL_MS = 15 * 60_000;
const MAX_FEED_BYTES = 64 * 1024;

/** The running version: package.json's `version`. */
export const RUNNING_VERSION: string = (() => {
  try {
    const pkg = JSON.parse(readFileSync(path.join(ROOT_DIR, 'package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
})();

export type UpdateStatus =
  /** No feed configured: only the running version is shown. */
  | { state: 'off'; running: string }
  | {
      state: 'current' | 'available';
      running: string;
      latest: string;
      url: string | null;
      notes: string | null;
      checkedAt: Date;
    }
  | { state: 'unknown'; running: string; checkedAt: Date };

const VERSION = /^v?(\d{1,9})\.(\d{1,9})\.(\d{1,9})(?:-([0-9A-Za-z.-]{1,64}))?(?:\+[0-9A-Za-z.-]{1,64})?$/;

/** -1, 0 or 1 as `a` is older than, the same as or newer than `b`; null when either is no version. */
export function compareVersions(a: string, b: string): -1 | 0 | 1 | null {
  const x = VERSION.exec(a.trim());
  const y = VERSION.exec(b.trim());
  if (!x || !y) return null;
  for (let i = 1; i <= 3; i++) {
    const d = Number(x[i]) - Number(y[i]);
    if (d) return d < 0 ? -1 : 1;
  }
  // A prerelease comes before its release; two prereleases compare as text.
  if (x[4] === y[4]) return 0;
  if (!x[4]) return 1;
  if (!y[4]) return -1;
  return x[4] < y[4] ? -1 : 1;
}

/** The feed's document, or null when it is not one. */
export function parseFeed(text: string): { latest: string; url: string | null; notes: string | null } | null {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return null;
  }
  if (!doc || typeof doc !== 'object') return null;
  const { latest, url, notes } = doc as Record<string, unknown>;
  if (typeof latest !== 'string' || !VERSION.test(latest.trim())) return null;
  return {
    latest: latest.trim(),
    url: typeof url === 'string' && /^https?:/i.test(url.trim()) ? safeHref(url) : null,
    notes: typeof notes === 'string' && notes.trim() ? notes.trim().slice(0, 300) : null,
  };
}

const kept = new Map<string, { status: UpdateStatus; until: number }>();

/** Forgets kept answers (tests; a changed feed URL needs nothing: answers are kept per URL). */
export function forgetUpdateChecks(): void {
  kept.clear();
}

async function fetchFeed(feedUrl: string, timeoutMs: number): Promise<string | null> {
  try {
    const res = await fetch(feedUrl, {
      headers: { accept: 'application/json', 'user-agent': `SkyPanel/${RUNNING_VERSION} update-check` },
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'follow',
    });
    if (res.status !== 200 || !res.body) {
      await res.body?.cancel().catch(() => undefined);
      return null;
    }
    const reader = res.body.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > MAX_FEED_BYTES) {
        await reader.cancel().catch(() => undefined);
        return null;
      }
      chunks.push(value);
    }
    return Buffer.concat(chunks).toString('utf8');
  } catch {
    return null;
  }
}

/**
 * Whether a newer release than the running one exists, by the feed at `feedUrl` (undefined or
 * empty: the check is off). Never throws.
 */
export async function checkForUpdate(opts: {
  feedUrl?: string | null;
  clock: Clock;
  running?: string;
  timeoutMs?: number;
}): Promise<UpdateStatus> {
  const running = opts.running ?? RUNNING_VERSION;
  if (!opts.feedUrl) return { state: 'off', running };
  const now = opts.clock.now();
  const key = `${opts.feedUrl}\0${running}`;
  const hit = kept.get(key);
  if (hit && hit.until > now.getTime()) return hit.status;
  const text = await fetchFeed(opts.feedUrl, opts.timeoutMs ?? UPDATE_CHECK_TIMEOUT_MS);
  const feed = text === null ? null : parseFeed(text);
  const order = feed ? compareVersions(feed.latest, running) : null;
  const status: UpdateStatus =
    feed && order !== null
      ? { state: order > 0 ? 'available' : 'current', running, ...feed, checkedAt: now }
      : { state: 'unknown', running, checkedAt: now };
  kept.set(key, {
    status,
    until: now.getTime() + (status.state === 'unknown' ? UPDATE_CHECK_FAILURE_TTL_MS : UPDATE_CHECK_TTL_MS),
  });
  return status;
}
