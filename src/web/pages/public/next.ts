/** A post-sign-in destination only if it is a path on this site (no open redirects). */
export function safeNext(next: string | undefined): string | null {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\') || next.length > 300) return null;
  return next;
}
