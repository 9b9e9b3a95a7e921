import type { DbOrTx } from '../../db/index.ts';
import type { ConsoleMode, ServerStatus } from '../../db/types.ts';
import { AppError, ConflictError, ForbiddenError } from '../../lib/errors.ts';
import { can, toPermissions, type Actor } from '../access/actor.ts';
import type { Deps } from '../deps.ts';
import { serverFor } from '../servers/find.ts';

/**
 * Who may open a console on which server. A console is a root shell, so it asks what the
 * server's most powerful actions ask: `vps_manage` in the server's organization (a viewer is
 * refused, never shown a shell), a server that exists at the provider and is not suspended,
 * deleted or failed, and no impersonation unless the admin starts the console explicitly.
 *
 * The same rules are asked twice: `consoleAccess` when the page is shown and a ticket issued
 * (with the request's actor), and `stillAllowed` when the ticket is redeemed and again whenever
 * something the console depends on changes (from the database, by the ids a ticket is bound
 * to). Change them together: both use `serverRefusal` for the server's state.
 */

export const CONSOLE_MODES = ['lish', 'ssh'] as const satisfies readonly ConsoleMode[];

/** What the page needs to offer a console, and what a ticket is issued for. */
export interface ConsoleAccess {
  server: { id: string; label: string; status: ServerStatus; ipv4: string | null };
  /** The modes offered, the default first: out-of-band where the provider has it, SSH with a public IPv4. */
  modes: ConsoleMode[];
  /** Set while a platform admin impersonates: the console opens only when they ask explicitly (audited). */
  impersonating: boolean;
}

/** Why a server in this state has no console, or null when it may have one. */
export function serverRefusal(server: { status: ServerStatus; provider_instance_id: string | null }): string | null {
  switch (server.status) {
    case 'suspended':
      return 'This server is suspended for non-payment: top up the balance to use it again.';
    case 'deleting':
    case 'deleted':
      return 'This server has been deleted.';
    case 'failed':
      return 'This server could not be created, so it has no console.';
    default:
      return server.provider_instance_id ? null : 'This server is still being created: try again in a minute.';
  }
}

/** The modes a server offers, the default first. */
export function modesOf(server: { ipv4: string[] }, emulated: boolean): ConsoleMode[] {
  return server.ipv4.length > 0 || emulated ? ['lish', 'ssh'] : ['lish'];
}

/**
 * Whether `actor` may open a console on server `serverId` (the page's and the ticket route's
 * check). Throws NotFoundError (another organization's or an unknown server), ForbiddenError
 * (no vps_manage), ConflictError (suspended, deleted, failed, still being created).
 */
export async function consoleAccess(deps: Pick<Deps, 'db'>, actor: Actor, serverId: string): Promise<ConsoleAccess> {
  const server = await serverFor(deps.db, actor, serverId, 'vps_manage');
  const refusal = serverRefusal(server);
  if (refusal) throw new ConflictError(refusal);
  const provider = await deps.db
    .selectFrom('cloud_providers')
    .select('emulated')
    .where('id', '=', server.provider_id)
    .executeTakeFirstOrThrow();
  return {
    server: { id: server.id, label: server.label, status: server.status, ipv4: server.ipv4[0] ?? null },
    modes: modesOf(server, provider.emulated),
    impersonating: actor.impersonatorUserId !== null,
  };
}

/** Refuses an impersonating admin who did not ask for the console explicitly. */
export function assertExplicitWhileImpersonating(actor: Actor, explicit: boolean): void {
  if (actor.impersonatorUserId && !explicit)
    throw new ForbiddenError(
      'You are impersonating this user: a console opens only when you start it explicitly, and it is recorded in the activity log.',
    );
}

/** A mode the server does not offer (409). */
export function assertModeOffered(access: ConsoleAccess, mode: ConsoleMode): void {
  if (!access.modes.includes(mode))
    throw new AppError(
      'console_mode_unavailable',
      409,
      mode === 'ssh'
        ? 'SSH needs a public IPv4 address, and this server has none. Use the out-of-band console.'
        : 'The out-of-band console is not available for this server.',
    );
}

/** What a redeemed ticket binds a console to. */
export interface ConsoleGrant {
  userId: string;
  sessionId: string;
  organizationId: string;
  serverId: string;
  mode: ConsoleMode;
  impersonatorUserId: string | null;
}

/** A console's refusal: the WebSocket close code (4003 not allowed, 4004 not found) and the sentence shown. */
export interface ConsoleRefusal {
  code: 4003 | 4004;
  message: string;
}

/**
 * Whether the console `grant` opened may stay open (or open), read from the database now:
 * the session it was issued in is live (not revoked, expired or idle, the user active, the
 * same impersonation), the user still holds vps_manage in the organization, and the server is
 * still that organization's and in a state with a console. Null when allowed.
 */
export async function stillAllowed(
  deps: Pick<Deps, 'db' | 'config' | 'clock'>,
  grant: ConsoleGrant,
  db: DbOrTx = deps.db,
): Promise<ConsoleRefusal | null> {
  const now = deps.clock.now();
  const idleCutoff = new Date(now.getTime() - deps.config.SESSION_IDLE_MINUTES * 60_000);
  const row = await db
    .selectFrom('users as u')
    .leftJoin('sessions as s', (j) => j.onRef('s.user_id', '=', 'u.id').on('s.id', '=', grant.sessionId))
    .leftJoin('organization_members as m', (j) =>
      j.onRef('m.user_id', '=', 'u.id').on('m.organization_id', '=', grant.organizationId),
    )
    .leftJoin('roles as r', 'r.id', 'm.role_id')
    .leftJoin('servers as v', (j) =>
      j.on('v.id', '=', grant.serverId).on('v.organization_id', '=', grant.organizationId),
    )
    .select([
      'u.status as user_status',
      's.id as session_id',
      's.stage',
      's.expires_at',
      's.last_seen_at',
      's.impersonator_user_id',
      'm.user_id as member',
      'r.permissions',
      'v.status as server_status',
      'v.provider_instance_id',
    ])
    .where('u.id', '=', grant.userId)
    .executeTakeFirst();
  const ended = (message: string): ConsoleRefusal => ({ code: 4003, message });
  if (!row || row.user_status !== 'active') return ended('Your account is not active.');
  if (
    !row.session_id ||
    row.stage !== 'full' ||
    row.expires_at! <= now ||
    row.last_seen_at! <= idleCutoff ||
    row.impersonator_user_id !== grant.impersonatorUserId
  )
    return ended('Your session has ended. Sign in again to open a console.');
  if (!row.member) return ended('You are no longer a member of the organization that owns this server.');
  if (!can({ permissions: toPermissions(row.permissions) }, 'vps_manage'))
    return ended('Your role no longer allows using the console of this server.');
  if (!row.server_status) return { code: 4004, message: 'No such server.' };
  const refusal = serverRefusal({ status: row.server_status, provider_instance_id: row.provider_instance_id });
  return refusal ? ended(refusal) : null;
}
