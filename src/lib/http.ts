/** Small helpers shared by the outside-service clients in src/providers. */

/** The body as a JSON object, or null when it is not one (HTML error pages, arrays, junk). */
export function parseJsonObject(raw: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(raw);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** `Retry-After` in seconds; HTTP also allows a date, so both are accepted. */
export function parseRetryAfter(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

/** A fetch failure in words: fetch() only says "fetch failed"; the cause has ECONNREFUSED etc. */
export function describeNetworkError(err: unknown, timeoutMs?: number): string {
  if (timeoutMs !== undefined && err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError'))
    return `timed out after ${timeoutMs} ms`;
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause as { code?: string; message?: string } | undefined;
  const detail = [cause?.code, cause?.message].filter(Boolean).join(' ');
  return detail ? `${err.message}: ${detail}` : err.message;
}

/** One HTTP attempt, as the retrying clients see it: an answer with its body read, a timeout, or a network failure. */
export type HttpAttempt =
  { kind: 'answer'; res: Response; raw: string } | { kind: 'timeout' } | { kind: 'network'; detail: string };

/** `fetch` with a time budget (the body read included); never throws. */
export async function attemptFetch(
  url: string,
  init: Omit<RequestInit, 'signal'>,
  timeoutMs: number,
  fetchFn: typeof fetch = fetch,
): Promise<HttpAttempt> {
  try {
    const res = await fetchFn(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    return { kind: 'answer', res, raw: await res.text() };
  } catch (err) {
    if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return { kind: 'timeout' };
    return { kind: 'network', detail: describeNetworkError(err) };
  }
}

/** `?a=1&b=x` from the defined entries ('' when none). */
export function queryString(query: Record<string, string | number | boolean | undefined> | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
  const s = params.toString();
  return s ? `?${s}` : '';
}

/** Exponential backoff with "equal jitter": half the step fixed, half random (`random` in [0, 1)). */
export function backoff(attempt: number, random: () => number, baseMs = 250, capMs = 8_000): number {
  const step = Math.min(capMs, baseMs * 2 ** (attempt - 1));
  return Math.floor(step / 2 + random() * (step / 2));
}
