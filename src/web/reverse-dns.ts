/**
 * The reverse DNS name a customer is shown: the provider's own default name (the address with
 * dashes under the provider's domain, which would name the provider) reads as none, while a
 * name the customer set, or the platform's `a-b-c-d.<rDNS base domain>`, is shown as it is.
 */
export function shownRdns(address: string, rdns: string | null, baseDomain: string | null): string | null {
  if (!rdns) return null;
  const dashed = `${address.replace(/[.:]/g, '-')}.`;
  if (!rdns.toLowerCase().startsWith(dashed)) return rdns;
  return baseDomain && rdns.toLowerCase().endsWith(`.${baseDomain.toLowerCase()}`) ? rdns : null;
}
