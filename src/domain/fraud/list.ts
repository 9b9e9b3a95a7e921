import type { Actor } from '../access/actor.ts';
import { requirePlatformAdmin } from '../access/guard.ts';
import type { DbOrTx } from '../../db/index.ts';

/** What the admin fraud page shows: the review queue (newest first) and the latest other checks. */
export async function fraudOverview(db: DbOrTx, actor: Actor, opts: { recent?: number } = {}) {
  requirePlatformAdmin(actor);
  const base = db
    .selectFrom('fraud_checks as c')
    .leftJoin('users as u', 'u.id', 'c.user_id')
    .leftJoin('organizations as o', 'o.id', 'c.organization_id')
    .leftJoin('users as d', 'd.id', 'c.decided_by')
    .select([
      'c.id',
      'c.subject',
      'c.status',
      'c.email',
      'c.ip',
      'c.amount',
      'c.currency',
      'c.score',
      'c.reasons',
      'c.provider_transaction_id',
      'c.details',
      'c.created_at',
      'c.decided_at',
      'c.user_id',
      'c.organization_id',
      'u.name as user_name',
      'u.status as user_status',
      'o.name as organization_name',
      'd.name as decided_by_name',
    ])
    .select((eb) =>
      eb
        .selectFrom('payments as p')
        .select('p.status')
        .whereRef('p.fraud_check_id', '=', 'c.id')
        .orderBy('p.created_at', 'desc')
        .limit(1)
        .as('payment_status'),
    );
  const [queue, recent] = await Promise.all([
    base.where('c.status', '=', 'review').orderBy('c.created_at', 'desc').orderBy('c.id').limit(200).execute(),
    base
      .where('c.status', '!=', 'review')
      .orderBy((eb) => eb.fn.coalesce('c.decided_at', 'c.created_at'), 'desc')
      .orderBy('c.id')
      .limit(opts.recent ?? 25)
      .execute(),
  ]);
  return { queue: queue.map(describeCheck), recent: recent.map(describeCheck) };
}

export type DescribedCheck = ReturnType<typeof describeCheck>;

/** A check with the provider's answer as short facts for people ("Tor exit node", "US · Emulated Broadband"). */
export function describeCheck<R extends { details: Record<string, unknown> }>(row: R) {
  const d = row.details ?? {};
  const flags = (d.flags ?? {}) as Record<string, unknown>;
  const response = (d.response ?? {}) as { ip_geolocation?: Record<string, unknown> };
  const geo = response.ip_geolocation ?? {};
  const facts: string[] = [];
  if (typeof d.provider_status === 'string') facts.push(`FraudLabs Pro: ${d.provider_status}`);
  if (flags.tor) facts.push('Tor exit node');
  else if (flags.vpn) facts.push('VPN');
  else if (flags.proxy) facts.push(typeof flags.proxyType === 'string' ? `Proxy (${flags.proxyType})` : 'Proxy');
  if (flags.ipBlacklisted) facts.push('IP on blacklist');
  if (flags.disposableEmail) facts.push('Disposable email');
  if (flags.emailBlacklisted) facts.push('Email on blacklist');
  if (flags.freeEmail) facts.push('Free email provider');
  if (flags.emailDomainExists === false) facts.push('Email domain does not exist');
  const rules = Array.isArray(d.rules) ? d.rules.filter((r): r is string => typeof r === 'string') : [];
  if (rules.length) facts.push(`Rules: ${rules.join(', ')}`);
  const error = d.error as { code?: unknown; message?: unknown } | undefined;
  if (error && typeof error.message === 'string') facts.push(`Unavailable: ${error.message}`);
  const location = [geo.country_code, geo.city, geo.isp_name]
    .filter((v): v is string => typeof v === 'string' && v !== '')
    .join(' · ');
  return { ...row, facts, location };
}
