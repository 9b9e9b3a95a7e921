import { isIP } from 'node:net';
import { sql } from 'kysely';
import type { Config } from '../../config.ts';
import { NotFoundError, ValidationError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import type { Actor } from '../access/actor.ts';
import { requirePlatformAdmin } from '../access/guard.ts';
import { recordActivity } from '../activity/record.ts';
import type { Deps } from '../deps.ts';
import { forgetSecurityRules, networkContains, parseNetwork } from './rules.ts';

/**
 * The staff's security screens (issue 16 item 8, /admin/security): IP allow/block rules with
 * an expiry, per-user rate-limit overrides, the rate-limit monitor (what the shared limiter
 * stores in `rate_limit_counters` and the brute-force limits in `auth_attempts`), and sign-in
 * forensics for one address (sessions, sign-ins and other activity, fraud checks, rules).
 * Every change is in the activity log; rules apply in every process at once (rules.ts).
 */

type SecurityDeps = Pick<Deps, 'db' | 'clock' | 'cache'>;

export const DURATIONS = { '': 'Never', '1h': '1 hour', '1d': '1 day', '7d': '7 days', '30d': '30 days' } as const;
const DURATION_MS: Record<string, number> = {
  '1h': 3_600_000,
  '1d': 86_400_000,
  '7d': 7 * 86_400_000,
  '30d': 30 * 86_400_000,
};
export const MAX_NOTE_LENGTH = 500;

export interface IpRule {
  id: string;
  network: string;
  action: 'allow' | 'block';
  note: string | null;
  expiresAt: Date | null;
  createdBy: string | null;
  createdAt: Date;
}

export interface Override {
  userId: string;
  email: string;
  name: string;
  maxRequests: number | null;
  multiplier: number | null;
  exempt: boolean;
  note: string | null;
  expiresAt: Date | null;
  createdBy: string | null;
  createdAt: Date;
}

/** The expiry chosen: an explicit UTC time (`expiresAt`, must be in the future) wins over a duration. */
function parseExpiry(values: Record<string, string>, now: Date, errors: Record<string, string>): Date | null {
  const at = (values.expiresAt ?? '').trim();
  if (at) {
    const d = new Date(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(at) ? `${at}Z` : at);
    if (Number.isNaN(d.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(at))
      errors.expiresAt = 'The expiry is not a date and time (YYYY-MM-DDTHH:MM, UTC).';
    else if (d <= now) errors.expiresAt = 'The expiry must be in the future.';
    else return d;
    return null;
  }
  const duration = values.duration ?? '';
  if (!(duration in DURATIONS)) {
    errors.duration = 'Choose how long it lasts.';
    return null;
  }
  return duration ? new Date(now.getTime() + DURATION_MS[duration]!) : null;
}

function parseNote(values: Record<string, string>, errors: Record<string, string>): string | null {
  const note = (values.note ?? '').replace(/\s+/g, ' ').trim();
  if (note.length > MAX_NOTE_LENGTH) errors.note = `Keep the note to ${MAX_NOTE_LENGTH} characters.`;
  return note || null;
}

/** "203.0.113.7" or a single address with a full prefix is shown without it. */
export function displayNetwork(network: string): string {
  return network.replace(network.includes(':') ? /\/128$/ : /\/32$/, '');
}

// ---------------------------------------------------------------- IP rules

export async function listIpRules(deps: Pick<Deps, 'db'>, actor: Actor): Promise<IpRule[]> {
  requirePlatformAdmin(actor);
  const rows = await deps.db
    .selectFrom('ip_rules as r')
    .leftJoin('users as u', 'u.id', 'r.created_by')
    .select([
      'r.id',
      sql<string>`r.network::text`.as('network'),
      'r.action',
      'r.note',
      'r.expires_at as expiresAt',
      'u.email as createdBy',
      'r.created_at as createdAt',
    ])
    .orderBy('r.created_at', 'desc')
    .limit(1000)
    .execute();
  return rows.map((r) => ({ ...r, network: displayNetwork(r.network) }));
}

/**
 * Adds a rule, or replaces the one for the same network (one rule per network). Refuses a block
 * rule matching the acting admin's own address: it would lock them out at once.
 */
export async function saveIpRule(deps: SecurityDeps, actor: Actor, values: Record<string, string>): Promise<IpRule> {
  requirePlatformAdmin(actor);
  const now = deps.clock.now();
  const errors: Record<string, string> = {};
  const raw = (values.network ?? '').trim();
  const network = parseNetwork(raw);
  if (!raw) errors.network = 'Enter an IP address or a network (CIDR), e.g. 203.0.113.7 or 203.0.113.0/24.';
  else if (!network) errors.network = `“${raw.slice(0, 60)}” is not an IP address or a network (CIDR).`;
  const action = values.action;
  if (action !== 'allow' && action !== 'block') errors.action = 'Choose allow or block.';
  const expiresAt = parseExpiry(values, now, errors);
  const note = parseNote(values, errors);
  if (network && action === 'block' && networkContains(raw, actor.origin.ip))
    errors.network = `This would block your own address (${actor.origin.ip}) and lock you out. Use a narrower network, or ask another admin from elsewhere.`;
  if (Object.keys(errors).length) throw new ValidationError(errors);
  const id = await deps.db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('ip_rules')
      .values({
        // network() clears host bits: 203.0.113.7/24 is stored as 203.0.113.0/24.
        network: sql<string>`network(${`${network!.address}/${network!.prefix}`}::inet)`,
        action: action as 'allow' | 'block',
        note,
        expires_at: expiresAt,
        created_by: actor.userId,
        created_at: now,
      })
      .onConflict((oc) =>
        oc.column('network').doUpdateSet({
          action: action as 'allow' | 'block',
          note,
          expires_at: expiresAt,
          created_by: actor.userId,
          created_at: now,
        }),
      )
      .returning(['id', sql<string>`network::text`.as('network')])
      .executeTakeFirstOrThrow();
    await recordActivity(trx, {
      action: 'admin.ip_rule_saved',
      actorUserId: actor.userId,
      target: { type: 'ip_rule', id: row.id },
      origin: actor.origin,
      occurredAt: now,
      details: { network: row.network, rule: action as string, note, expires_at: expiresAt?.toISOString() ?? null },
    });
    return row.id;
  });
  forgetSecurityRules(deps);
  const rule = (await listIpRules(deps, actor)).find((r) => r.id === id);
  if (!rule) throw new NotFoundError('No such rule.');
  return rule;
}

export async function deleteIpRule(deps: SecurityDeps, actor: Actor, id: string): Promise<IpRule> {
  requirePlatformAdmin(actor);
  const rule = isUuid(id) ? (await listIpRules(deps, actor)).find((r) => r.id === id) : undefined;
  if (!rule) throw new NotFoundError('No such rule.');
  await deps.db.transaction().execute(async (trx) => {
    await trx.deleteFrom('ip_rules').where('id', '=', rule.id).execute();
    await recordActivity(trx, {
      action: 'admin.ip_rule_deleted',
      actorUserId: actor.userId,
      target: { type: 'ip_rule', id: rule.id },
      origin: actor.origin,
      occurredAt: deps.clock.now(),
      details: { network: rule.network, rule: rule.action },
    });
  });
  forgetSecurityRules(deps);
  return rule;
}

// ---------------------------------------------------------------- overrides

export async function listOverrides(deps: Pick<Deps, 'db'>, actor: Actor): Promise<Override[]> {
  requirePlatformAdmin(actor);
  return deps.db
    .selectFrom('rate_limit_overrides as o')
    .innerJoin('users as u', 'u.id', 'o.user_id')
    .leftJoin('users as c', 'c.id', 'o.created_by')
    .select([
      'o.user_id as userId',
      'u.email',
      'u.name',
      'o.max_requests as maxRequests',
      sql<number | null>`o.multiplier::float8`.as('multiplier'),
      'o.exempt',
      'o.note',
      'o.expires_at as expiresAt',
      'c.email as createdBy',
      'o.created_at as createdAt',
    ])
    .orderBy('o.created_at', 'desc')
    .limit(1000)
    .execute();
}

export const OVERRIDE_KINDS = {
  limit: 'An explicit limit',
  multiplier: 'A multiple of their tier',
  exempt: 'Exempt',
} as const;

/** Sets a user's override (one per user: a new one replaces theirs). `user`: an email address or a user id. */
export async function saveOverride(
  deps: SecurityDeps,
  actor: Actor,
  values: Record<string, string>,
): Promise<Override> {
  requirePlatformAdmin(actor);
  const now = deps.clock.now();
  const errors: Record<string, string> = {};
  const who = (values.user ?? '').trim();
  const user = !who
    ? undefined
    : await deps.db
        .selectFrom('users')
        .select(['id', 'email'])
        .where(isUuid(who) ? 'id' : 'email', '=', isUuid(who) ? who : who.toLowerCase())
        .executeTakeFirst();
  if (!who) errors.user = 'Enter the email address of the user.';
  else if (!user) errors.user = 'No user has that email address.';
  const kind = values.kind ?? '';
  let maxRequests: number | null = null;
  let multiplier: number | null = null;
  if (kind === 'limit') {
    const n = Number((values.maxRequests ?? '').trim());
    if (!/^\d+$/.test((values.maxRequests ?? '').trim()) || n < 1 || n > 10_000_000)
      errors.maxRequests = 'Enter a whole number of requests per window, from 1 to 10,000,000.';
    else maxRequests = n;
  } else if (kind === 'multiplier') {
    const m = Number((values.multiplier ?? '').trim());
    if (!/^\d+(\.\d{1,2})?$/.test((values.multiplier ?? '').trim()) || m <= 0 || m > 1000)
      errors.multiplier = 'Enter a multiplier above 0 and up to 1000 (e.g. 2 or 0.5).';
    else multiplier = m;
  } else if (kind !== 'exempt') errors.kind = 'Choose a limit, a multiplier or exempt.';
  const expiresAt = parseExpiry(values, now, errors);
  const note = parseNote(values, errors);
  if (Object.keys(errors).length || !user) throw new ValidationError(errors);
  const row = { max_requests: maxRequests, multiplier, exempt: kind === 'exempt', note, expires_at: expiresAt };
  await deps.db.transaction().execute(async (trx) => {
    await trx
      .insertInto('rate_limit_overrides')
      .values({ user_id: user.id, ...row, created_by: actor.userId, created_at: now })
      .onConflict((oc) => oc.column('user_id').doUpdateSet({ ...row, created_by: actor.userId, created_at: now }))
      .execute();
    await recordActivity(trx, {
      action: 'admin.rate_limit_override_saved',
      actorUserId: actor.userId,
      target: { type: 'user', id: user.id },
      origin: actor.origin,
      occurredAt: now,
      details: {
        email: user.email,
        kind,
        max_requests: maxRequests,
        multiplier,
        note,
        expires_at: expiresAt?.toISOString() ?? null,
      },
    });
  });
  forgetSecurityRules(deps);
  return (await listOverrides(deps, actor)).find((o) => o.userId === user.id)!;
}

export async function deleteOverride(deps: SecurityDeps, actor: Actor, userId: string): Promise<Override> {
  requirePlatformAdmin(actor);
  const o = isUuid(userId) ? (await listOverrides(deps, actor)).find((x) => x.userId === userId) : undefined;
  if (!o) throw new NotFoundError('No such override.');
  await deps.db.transaction().execute(async (trx) => {
    await trx.deleteFrom('rate_limit_overrides').where('user_id', '=', o.userId).execute();
    await recordActivity(trx, {
      action: 'admin.rate_limit_override_deleted',
      actorUserId: actor.userId,
      target: { type: 'user', id: o.userId },
      origin: actor.origin,
      occurredAt: deps.clock.now(),
      details: { email: o.email },
    });
  });
  forgetSecurityRules(deps);
  return o;
}

// ---------------------------------------------------------------- monitor

export interface MonitorRow {
  key: string;
  /** The address (IP rows and sensitive actions) or null. */
  ip: string | null;
  user: { id: string; email: string; name: string } | null;
  /** The sensitive action's bucket (login, register, …) for action rows. */
  bucket: string | null;
  count: number;
  previous: number;
  limit: number;
  /** Requests refused in the current window (every request is counted, refused ones too). */
  refused: number;
  limited: boolean;
  override: boolean;
}

/**
 * What the shared limiter stores now: the current fixed window's counters (written through
 * within a second by every process, src/domain/security/shared-limiter.ts) and the previous
 * window's, per anonymous IP, per user and per sensitive action; and the failed sign-ins per
 * address (the brute-force limits in `auth_attempts`) over the last hour. Rows over their limit
 * first, then the busiest.
 */
export async function rateLimitMonitor(
  deps: Pick<Deps, 'db' | 'clock'> & { config: Config },
  actor: Actor,
  opts: { top?: number } = {},
) {
  requirePlatformAdmin(actor);
  const { config } = deps;
  const now = deps.clock.now();
  const windowMs = config.RATE_LIMIT_WINDOW_MINUTES * 60_000;
  const current = new Date(Math.floor(now.getTime() / windowMs) * windowMs);
  const previous = new Date(current.getTime() - windowMs);
  const top = opts.top ?? 25;
  const counters = await deps.db
    .selectFrom('rate_limit_counters')
    .select(['key', 'window_start', 'count'])
    .where('window_start', '>=', previous)
    .where('window_start', '<=', current)
    .orderBy('count', 'desc')
    .limit(5000)
    .execute();
  const byKey = new Map<string, { count: number; previous: number }>();
  for (const c of counters) {
    const e = byKey.get(c.key) ?? { count: 0, previous: 0 };
    if (c.window_start.getTime() === current.getTime()) e.count = c.count;
    else e.previous = c.count;
    byKey.set(c.key, e);
  }
  const userIds = [...byKey.keys()]
    .filter((k) => k.startsWith('user:'))
    .map((k) => k.slice(5))
    .filter(isUuid);
  const users = userIds.length
    ? await deps.db
        .selectFrom('users as u')
        .leftJoin('rate_limit_overrides as o', (j) =>
          j
            .onRef('o.user_id', '=', 'u.id')
            .on((eb) => eb.or([eb('o.expires_at', 'is', null), eb('o.expires_at', '>', now)])),
        )
        .select([
          'u.id',
          'u.email',
          'u.name',
          'u.is_admin',
          'o.max_requests',
          sql<number | null>`o.multiplier::float8`.as('multiplier'),
          'o.exempt',
        ])
        .where('u.id', 'in', userIds)
        .execute()
    : [];
  const userById = new Map(users.map((u) => [u.id, u]));

  const ips: MonitorRow[] = [];
  const people: MonitorRow[] = [];
  const actions: MonitorRow[] = [];
  for (const [key, e] of byKey) {
    const base = { key, count: e.count, previous: e.previous, ip: null, user: null, bucket: null, override: false };
    const row = (limit: number, extra: Partial<MonitorRow> = {}): MonitorRow => ({
      ...base,
      ...extra,
      limit,
      refused: Math.max(0, e.count - limit),
      limited: e.count > limit,
    });
    if (key.startsWith('ip:')) ips.push(row(config.RATE_LIMIT_ANONYMOUS, { ip: key.slice(3) }));
    else if (key.startsWith('user:')) {
      const u = userById.get(key.slice(5));
      if (!u) continue;
      const tier = u.is_admin ? config.RATE_LIMIT_ADMIN : config.RATE_LIMIT_AUTHENTICATED;
      const limit = u.exempt
        ? Number.POSITIVE_INFINITY
        : (u.max_requests ?? (u.multiplier !== null ? Math.max(1, Math.round(tier * u.multiplier)) : tier));
      people.push(
        row(limit, {
          user: { id: u.id, email: u.email, name: u.name },
          override: u.exempt === true || u.max_requests !== null || u.multiplier !== null,
        }),
      );
    } else if (key.startsWith('action:')) {
      const rest = key.slice(7);
      const i = rest.indexOf(':');
      if (i < 0) continue;
      actions.push(row(config.RATE_LIMIT_AUTH_ACTIONS, { bucket: rest.slice(0, i), ip: rest.slice(i + 1) }));
    }
  }
  const order = (a: MonitorRow, b: MonitorRow) =>
    Number(b.limited) - Number(a.limited) || b.refused - a.refused || b.count - a.count || b.previous - a.previous;

  // Failed sign-ins per address in the last hour (sign-in-limits.ts keys `signin:ip:<ip>`).
  const hourAgo = new Date(now.getTime() - 3_600_000);
  const signInFailures = (
    await deps.db
      .selectFrom('auth_attempts')
      .select(['key', sql<number>`(select count(*)::int from unnest(attempts) t where t > ${hourAgo})`.as('recent')])
      .where(sql<boolean>`starts_with(key, 'signin:ip:')`)
      .where('updated_at', '>', hourAgo)
      .execute()
  )
    .map((r) => ({ ip: r.key.slice('signin:ip:'.length), recent: r.recent }))
    .filter((r) => r.recent > 0)
    .sort((a, b) => b.recent - a.recent)
    .slice(0, top);

  return {
    windowMinutes: config.RATE_LIMIT_WINDOW_MINUTES,
    windowStart: current,
    windowEnd: new Date(current.getTime() + windowMs),
    limits: {
      anonymous: config.RATE_LIMIT_ANONYMOUS,
      authenticated: config.RATE_LIMIT_AUTHENTICATED,
      admin: config.RATE_LIMIT_ADMIN,
      actions: config.RATE_LIMIT_AUTH_ACTIONS,
    },
    ips: ips.sort(order).slice(0, top),
    users: people.sort(order).slice(0, top),
    actions: actions.sort(order).slice(0, top),
    signInFailures,
  };
}

// ---------------------------------------------------------------- forensics

/** An IP address as typed, checked (422 on anything else) and in the form requests record it. */
export function parseIpInput(value: string | undefined): string {
  const v = (value ?? '').trim().replace(/^\[(.*)\]$/, '$1');
  if (!v) throw new ValidationError({ ip: 'Enter an IP address.' }, 'Enter an IP address.');
  if (v.length > 45 || !isIP(v))
    throw new ValidationError(
      { ip: 'That is not an IP address (e.g. 203.0.113.7 or 2001:db8::1).' },
      'That is not an IP address (e.g. 203.0.113.7 or 2001:db8::1).',
    );
  return v.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1').toLowerCase();
}

const SIGN_IN_ACTIONS = ['auth.sign_in', 'auth.sign_in_failed'] as const;

/**
 * Everything recorded about one address: the accounts seen from it (sessions, activity, fraud
 * checks), its sign-ins and failed sign-ins, its other activity, its fraud checks, the IP rules
 * matching it, and its rate-limit and failed sign-in counts now.
 */
export async function ipForensics(
  deps: Pick<Deps, 'db' | 'clock'> & { config: Config },
  actor: Actor,
  rawIp: string | undefined,
) {
  requirePlatformAdmin(actor);
  const ip = parseIpInput(rawIp);
  const { db } = deps;
  const now = deps.clock.now();
  const [sessions, activity, fraud, rules, counters, failures] = await Promise.all([
    db
      .selectFrom('sessions as s')
      .innerJoin('users as u', 'u.id', 's.user_id')
      .select([
        's.id',
        's.user_id as userId',
        'u.email',
        'u.name',
        's.stage',
        's.user_agent as userAgent',
        's.created_at as createdAt',
        's.last_seen_at as lastSeenAt',
        's.expires_at as expiresAt',
        's.impersonator_user_id as impersonatorUserId',
      ])
      .where('s.ip', '=', ip)
      .orderBy('s.last_seen_at', 'desc')
      .limit(200)
      .execute(),
    db
      .selectFrom('activity_log as a')
      .leftJoin('users as u', 'u.id', 'a.actor_user_id')
      .select([
        'a.id',
        'a.occurred_at as occurredAt',
        'a.action',
        'a.actor_user_id as userId',
        'u.email',
        'u.name',
        'a.user_agent as userAgent',
        'a.details',
      ])
      .where('a.ip', '=', ip)
      .orderBy('a.occurred_at', 'desc')
      .limit(500)
      .execute(),
    db
      .selectFrom('fraud_checks as f')
      .leftJoin('users as u', 'u.id', 'f.user_id')
      .select([
        'f.id',
        'f.subject',
        'f.user_id as userId',
        'u.email as userEmail',
        'f.email',
        'f.status',
        'f.score',
        'f.reasons',
        'f.created_at as createdAt',
      ])
      .where('f.ip', '=', ip)
      .orderBy('f.created_at', 'desc')
      .limit(200)
      .execute(),
    db
      .selectFrom('ip_rules')
      .select(['id', sql<string>`network::text`.as('network'), 'action', 'note', 'expires_at as expiresAt'])
      .where(sql<boolean>`network >>= ${ip}::inet`)
      .orderBy(sql`masklen(network)`, 'desc')
      .execute(),
    db
      .selectFrom('rate_limit_counters')
      .select(['key', 'window_start as windowStart', 'count'])
      .where((eb) =>
        eb.or([eb('key', '=', `ip:${ip}`), eb('key', 'like', `action:%:${ip.replace(/[%_\\]/g, '\\$&')}`)]),
      )
      .where('window_start', '>', new Date(now.getTime() - 2 * deps.config.RATE_LIMIT_WINDOW_MINUTES * 60_000))
      .orderBy('window_start', 'desc')
      .execute(),
    db
      .selectFrom('auth_attempts')
      .select(
        sql<number>`(select count(*)::int from unnest(attempts) t where t > ${new Date(now.getTime() - 86_400_000)})`.as(
          'recent',
        ),
      )
      .where('key', '=', `signin:ip:${ip}`)
      .executeTakeFirst(),
  ]);

  const signIns = activity
    .filter((a) => (SIGN_IN_ACTIONS as readonly string[]).includes(a.action))
    .map((a) => ({
      occurredAt: a.occurredAt,
      userId: a.userId,
      email: a.email,
      name: a.name,
      userAgent: a.userAgent,
      ok: a.action === 'auth.sign_in',
      reason: a.action === 'auth.sign_in' ? null : String((a.details as { reason?: unknown }).reason ?? 'failed'),
    }));
  const otherActivity = activity.filter((a) => !(SIGN_IN_ACTIONS as readonly string[]).includes(a.action));

  // The accounts seen from the address, by what shows it.
  const accounts = new Map<
    string,
    {
      userId: string;
      email: string;
      name: string;
      sessions: number;
      signIns: number;
      failures: number;
      fraudChecks: number;
      lastSeen: Date;
    }
  >();
  const seen = (userId: string | null, email: string | null, name: string | null, at: Date) => {
    if (!userId || !email) return null;
    const a = accounts.get(userId) ?? {
      userId,
      email,
      name: name ?? '',
      sessions: 0,
      signIns: 0,
      failures: 0,
      fraudChecks: 0,
      lastSeen: at,
    };
    if (at > a.lastSeen) a.lastSeen = at;
    accounts.set(userId, a);
    return a;
  };
  for (const s of sessions) seen(s.userId, s.email, s.name, s.lastSeenAt)!.sessions++;
  for (const s of signIns) {
    const a = seen(s.userId, s.email, s.name, s.occurredAt);
    if (a) a[s.ok ? 'signIns' : 'failures']++;
  }
  for (const a of otherActivity) seen(a.userId, a.email, a.name, a.occurredAt);
  for (const f of fraud) {
    const a = seen(f.userId, f.userEmail, null, f.createdAt);
    if (a) a.fraudChecks++;
  }

  return {
    ip,
    accounts: [...accounts.values()].sort((a, b) => b.lastSeen.getTime() - a.lastSeen.getTime()),
    sessions,
    signIns,
    unknownAccountFailures: signIns.filter((s) => !s.ok && !s.userId).length,
    activity: otherActivity.slice(0, 100),
    fraud,
    rules: rules.map((r) => ({ ...r, network: displayNetwork(r.network), live: !r.expiresAt || r.expiresAt > now })),
    counters,
    recentSignInFailures: failures?.recent ?? 0,
  };
}
