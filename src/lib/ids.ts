/** Element ids used by both `hx-target` and the partial's root element (STYLE.md 9). */
export function domId(record: { id: string } | string, suffix?: string): string {
  const id = typeof record === 'string' ? record : record.id;
  return suffix ? `${suffix}-${id}` : id;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
/** Ids from URLs are checked before they reach SQL, so a malformed one is a 404, not a 500. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
