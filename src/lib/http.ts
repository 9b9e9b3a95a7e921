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
