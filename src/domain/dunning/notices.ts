import type { Tx } from '../../db/index.ts';
import type { EmailTemplates } from '../../mail/templates.ts';
import { formatMoney } from '../../lib/money.ts';
import type { Deps } from '../deps.ts';
import { emailBillingContacts, organizationLink } from '../notifications/contacts.ts';
import { notifyDunning } from '../notifications/emit.ts';

/**
 * Dunning's emails to an organization's billing contacts (owners and members with
 * billing_manage who receive billing mail: notifications/contacts.ts), queued in the
 * transaction that records the step, so a step and its email exist together or not at all.
 * Money with 2 decimals; times in UTC; the link leads to the billing page's Add funds.
 */

export type DunningTemplate = 'arrears' | 'suspension' | 'final_notice' | 'termination';

export interface OrgFacts {
  id: string;
  name: string;
  balance: bigint;
  currency: string;
}

/** Queues `template` to every billing contact, and tells the bell (notifications/emit.ts); returns how many emails were queued. */
export async function mailContacts<K extends DunningTemplate>(
  deps: Pick<Deps, 'config' | 'queue'>,
  trx: Tx,
  org: OrgFacts,
  template: K,
  data: Omit<EmailTemplates[K], 'name' | 'organization' | 'balance' | 'addFundsUrl'>,
): Promise<number> {
  const common = {
    organization: org.name,
    balance: formatMoney(org.balance, org.currency),
    addFundsUrl: organizationLink(deps.config.publicUrl, org.id, '/billing#add-funds-h'),
  };
  const facts = data as { servers?: number; terminateAt?: string | null };
  await notifyDunning(trx, org, template, { servers: facts.servers, terminateAt: facts.terminateAt });
  return emailBillingContacts(
    deps,
    trx,
    org.id,
    template,
    (contact) => ({ ...data, ...common, name: contact.name }) as unknown as EmailTemplates[K],
  );
}

/** The organization, its wallet balance and currency. */
export async function orgFacts(deps: Pick<Deps, 'db'>, organizationId: string): Promise<OrgFacts | null> {
  const row = await deps.db
    .selectFrom('wallets as w')
    .innerJoin('organizations as o', 'o.id', 'w.organization_id')
    .select(['o.id', 'o.name', 'w.balance', 'w.currency'])
    .where('w.organization_id', '=', organizationId)
    .executeTakeFirst();
  return row ? { id: row.id, name: row.name, balance: row.balance, currency: row.currency } : null;
}
