import { domainToASCII } from 'node:url';
import type { DbOrTx } from '../../db/index.ts';
import { EnhanceError, type EnhanceClient } from '../../providers/enhance/index.ts';

/**
 * The domain a customer types in the store: normalised (trimmed, lower case, a pasted URL's
 * scheme, path and port and a trailing dot dropped, international names in their ASCII form)
 * and checked as a hostname, then asked of the panel (POST /orgs/{org}/domains/check, spec §3
 * DomainInUseStatus). Each state has its own words; none names the panel.
 */

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const TLD = /^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;

export const DOMAIN_RULE = 'Enter a domain name such as example.co.uk (no http:// and no path).';

/** The domain as stored, or the field's error message. */
export function normaliseDomain(raw: unknown): { domain: string } | { error: string } {
  if (typeof raw !== 'string' || raw.trim() === '') return { error: 'Enter the domain name the website will use.' };
  let s = raw.trim().toLowerCase();
  if (s.length > 300) return { error: DOMAIN_RULE };
  s = s.replace(/^[a-z][a-z0-9+.-]*:\/\//, '');
  s = s
    .replace(/[/?#].*$/, '')
    .replace(/:\d+$/, '')
    .replace(/\.$/, '');
  if (s.includes('@') || /\s/.test(s)) return { error: DOMAIN_RULE };
  const ascii = domainToASCII(s);
  if (!ascii) return { error: DOMAIN_RULE };
  const labels = ascii.split('.');
  if (
    ascii.length < 3 ||
    ascii.length > 253 ||
    labels.length < 2 ||
    !labels.every((l) => LABEL.test(l)) ||
    !TLD.test(labels[labels.length - 1]!)
  )
    return { error: DOMAIN_RULE };
  return { domain: ascii };
}

export type DomainCheckState = 'notInUse' | 'prohibited' | 'inUseCurrentOrg' | 'inUseAnotherOrg' | 'inUseDeletedSite';

/** What the customer reads for each state (the deleted site's domain is freed by the purchase: available). */
export const DOMAIN_STATE_MESSAGES: Record<DomainCheckState, string> = {
  notInUse: 'This domain is available.',
  inUseDeletedSite: 'This domain is available.',
  prohibited:
    'This domain cannot be hosted here (it is reserved or not allowed). Check the spelling or choose another.',
  inUseCurrentOrg: 'This domain is already hosted in your account.',
  inUseAnotherOrg: 'This domain is already hosted by another customer. If it is yours, contact support.',
};

export const ALREADY_OURS = 'You already have a hosting service for this domain.';
export const BEING_SET_UP = 'This domain is already hosted here, or is being set up. Choose another domain.';

export interface DomainVerdict {
  domain: string;
  state: DomainCheckState | 'unknown';
  available: boolean;
  message: string;
  /** The website holding the domain, when the panel said. */
  websiteId: string | null;
}

/**
 * Asks the panel about `domain` from customer org `orgId` (or the master org before the
 * customer has one). An unknown state or a panel that cannot answer is `unknown` and counts as
 * available: the website step has the last word (a 403 there fails the purchase, refunded).
 */
export async function checkDomainAt(client: EnhanceClient, orgId: string, domain: string): Promise<DomainVerdict> {
  try {
    const r = await client.checkDomain(orgId, domain);
    const state = r.status in DOMAIN_STATE_MESSAGES ? (r.status as DomainCheckState) : null;
    if (!state)
      return { domain, state: 'unknown', available: true, message: 'This domain looks available.', websiteId: null };
    return {
      domain,
      state,
      available: state === 'notInUse' || state === 'inUseDeletedSite',
      message: DOMAIN_STATE_MESSAGES[state],
      websiteId: r.websiteId,
    };
  } catch (err) {
    if (!(err instanceof EnhanceError)) throw err;
    return {
      domain,
      state: 'unknown',
      available: true,
      message: 'The domain could not be checked just now; it is checked again when the website is created.',
      websiteId: null,
    };
  }
}

/** A live service (any organization) holds the domain here already: the local answer before asking the panel. */
export async function liveServiceFor(db: DbOrTx, domain: string) {
  return db
    .selectFrom('hosting_services')
    .select(['id', 'organization_id'])
    .where('domain', '=', domain)
    .where('status', 'in', ['provisioning', 'active', 'suspended'])
    .executeTakeFirst();
}
