import { createHash } from 'node:crypto';
import type { DbOrTx } from '../../db/index.ts';
import type { ActivityAction, ActivityEntry } from '../activity/record.ts';
import { notify, serverWatchers, type Emission, type Recipients } from './emit.ts';

/**
 * The activity log is where domain code already says what happened, once, in the transaction
 * of the change (activity/record.ts); the entries below also tell people, from the same
 * transaction (recordActivity calls `notifyFromActivity`). The entry's id is the event's key
 * (unless the event is told once per server or device: then that names it), so a notification
 * exists only when its entry does. Entries not listed tell nobody.
 *
 *   server.created, power actions    members who see servers, but whoever did it
 *   server.create_failed, deleted    members who see servers (once per server)
 *   member.invited                   the invitee, if they have an account
 *   member.joined                    members who manage members, but the newcomer
 *   sign-in, two-factor, password,   the person whose account it is (always shown); a sign-in
 *   API key created                  once per device (address and browser), not every time
 */
type Rule = (e: ActivityEntry, id: string) => { to: Recipients; emission: Emission } | null;

const str = (v: unknown) => (v === undefined || v === null ? null : String(v));

const serverEvent =
  (kind: 'server.created' | 'server.power', extra: (e: ActivityEntry) => Emission['data'] = () => ({})): Rule =>
  (e, id) => {
    if (!e.organizationId || e.target?.type !== 'server') return null;
    if (kind === 'server.power' && e.details?.outcome !== 'accepted') return null;
    // Staff acting for a customer (impersonating, or on any server) tell the customer too.
    const staff = e.details?.by_staff === true || Boolean(e.impersonatorUserId);
    return {
      to: serverWatchers(e.organizationId, staff ? null : e.actorUserId),
      emission: {
        kind,
        key: `activity:${id}`,
        data: { server_id: e.target.id, label: str(e.details?.name), staff, ...extra(e) },
        names: { actorUserId: e.actorUserId, organizationId: e.organizationId },
      },
    };
  };

const power = (action: string) => serverEvent('server.power', () => ({ action }));

const serverGone: Rule = (e) => {
  if (!e.organizationId || e.target?.type !== 'server') return null;
  return {
    to: serverWatchers(e.organizationId, e.action === 'server.deleted' ? e.actorUserId : null),
    emission: {
      kind: 'server.deleted',
      key: `server.deleted:${e.target.id}`,
      data: { server_id: e.target.id, label: str(e.details?.name), staff: e.action === 'admin.server_deleted' },
      names: { actorUserId: e.actorUserId, organizationId: e.organizationId },
    },
  };
};

/** About the actor's own account (or the target user's, for staff changes). */
const own =
  (kind: Emission['kind'], data: (e: ActivityEntry) => Emission['data'], who: 'actor' | 'target' = 'actor'): Rule =>
  (e, id) => {
    const userId = who === 'actor' ? e.actorUserId : e.target?.type === 'user' ? e.target.id : null;
    return userId ? { to: { userId }, emission: { kind, key: `activity:${id}`, data: data(e) } } : null;
  };

const RULES: Partial<Record<ActivityAction, Rule>> = {
  'server.created': serverEvent('server.created'),
  'server.booted': power('booted'),
  'server.shut_down': power('shut_down'),
  'server.rebooted': power('rebooted'),
  'server.rebuilt': power('rebuilt'),
  'server.resized': power('resized'),
  'server.create_failed': (e) =>
    e.organizationId && e.target?.type === 'server'
      ? {
          to: serverWatchers(e.organizationId),
          emission: {
            kind: 'server.failed',
            key: `server.failed:${e.target.id}`,
            data: { server_id: e.target.id, label: str(e.details?.name), reason: str(e.details?.reason) },
            names: { organizationId: e.organizationId },
          },
        }
      : null,
  'server.deleted': serverGone,
  'admin.server_deleted': serverGone,
  'member.invited': (e, id) =>
    e.organizationId && typeof e.details?.email === 'string'
      ? {
          to: { email: e.details.email },
          emission: {
            kind: 'team.invited',
            key: `activity:${id}`,
            data: { role: str(e.details.role) },
            names: { actorUserId: e.actorUserId, organizationId: e.organizationId },
          },
        }
      : null,
  'member.joined': (e, id) =>
    e.organizationId
      ? {
          to: { organizationId: e.organizationId, permissions: ['members_manage'], except: e.actorUserId },
          emission: {
            kind: 'team.joined',
            key: `activity:${id}`,
            data: { role: str(e.details?.role) },
            names: { actorUserId: e.actorUserId, organizationId: e.organizationId },
          },
        }
      : null,
  // Told once per address and browser (its key names them), as a new device is news and the
  // tenth sign-in from one's own laptop is not; its email is still sent every time.
  'auth.sign_in': (e) =>
    e.actorUserId
      ? {
          to: { userId: e.actorUserId },
          emission: {
            kind: 'security.sign_in',
            key: `sign_in:${createHash('sha256')
              .update(`${e.origin?.ip ?? ''}\n${e.origin?.userAgent ?? ''}`)
              .digest('base64url')}`,
            data: {
              ip: e.origin?.ip ?? null,
              user_agent: e.origin?.userAgent?.slice(0, 200) ?? null,
              via: str(e.details?.via),
            },
          },
        }
      : null,
  'auth.two_factor_enabled': own('security.two_factor', () => ({ enabled: true })),
  'auth.two_factor_disabled': own('security.two_factor', () => ({ enabled: false })),
  'admin.two_factor_reset': own('security.two_factor', () => ({ enabled: false, staff: true }), 'target'),
  'auth.password_changed': own('security.password', () => ({})),
  'auth.password_reset': own('security.password', () => ({})),
  'api_key.created': own('security.api_key', (e) => ({ name: str(e.details?.name), prefix: str(e.details?.prefix) })),
};

/** Whether an activity entry of this kind tells anyone (recordActivity asks before it needs the entry's id). */
export function notifiesFromActivity(action: ActivityAction): boolean {
  return action in RULES;
}

/** Tells the people an activity entry concerns (see the table above); `id` is the entry's. */
export async function notifyFromActivity(db: DbOrTx, entry: ActivityEntry, id: string): Promise<number> {
  const made = RULES[entry.action]?.(entry, id);
  return made ? notify(db, made.to, made.emission) : 0;
}
