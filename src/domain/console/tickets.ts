import { z } from 'zod';
import type { ConsoleMode } from '../../db/types.ts';
import { hashToken, randomToken } from '../../lib/crypto.ts';
import { parseInput } from '../../lib/validation.ts';
import type { Actor } from '../access/actor.ts';
import type { Deps } from '../deps.ts';
import {
  assertExplicitWhileImpersonating,
  assertModeOffered,
  consoleAccess,
  CONSOLE_MODES,
  type ConsoleGrant,
} from './access.ts';
import { assertUnderLimits } from './sessions.ts';

/**
 * Console tickets: how a browser proves, on the WebSocket, who it is and what it may open,
 * without a session cookie alone (a cross-site page can make a browser open a socket with its
 * cookies) and without anything in the URL (URLs end up in logs). The page asks for a ticket
 * with its session and CSRF token; the browser sends it as the socket's first message.
 *
 * A ticket is 256 random bits, valid for TICKET_SECONDS, stored as its SHA-256 only (so any
 * process sharing the database can redeem it, and a database reader cannot), bound to the
 * user, the session, the organization, the server and the mode, and redeemed once: redeeming
 * deletes the row in the same statement that finds it.
 */

/** How long a ticket may wait for its socket (at most 60 s: the table's CHECK). */
export const TICKET_SECONDS = 30;

const ticketInput = z.object({
  mode: z.enum(CONSOLE_MODES, { error: 'Choose a console mode: lish or ssh.' }).optional(),
  /** An impersonating admin's explicit "start the console as this user" (audited). */
  impersonation: z.boolean().optional(),
});
export type TicketInput = z.input<typeof ticketInput>;

export interface IssuedTicket {
  ticket: string;
  expiresAt: Date;
  mode: ConsoleMode;
}

/**
 * A ticket for `actor` (in browser session `sessionId`) to open a console on `serverId`.
 * Refusals: 404 another organization's or unknown server, 403 no vps_manage or impersonating
 * without `impersonation: true`, 409 the server's state or a mode it does not offer, 429 the
 * user or the server has as many consoles open as allowed.
 */
export async function issueConsoleTicket(
  deps: Pick<Deps, 'db' | 'config' | 'clock'>,
  actor: Actor,
  target: { serverId: string; sessionId: string },
  input: TicketInput,
): Promise<IssuedTicket> {
  const { mode: asked, impersonation } = parseInput(ticketInput, input);
  const access = await consoleAccess(deps, actor, target.serverId);
  assertExplicitWhileImpersonating(actor, impersonation === true);
  const mode = asked ?? access.modes[0]!;
  assertModeOffered(access, mode);
  await assertUnderLimits(deps, { userId: actor.userId, serverId: access.server.id });

  const now = deps.clock.now();
  const ticket = randomToken(32);
  const expiresAt = new Date(now.getTime() + TICKET_SECONDS * 1000);
  await deps.db
    .insertInto('console_tickets')
    .values({
      token_hash: hashToken(ticket),
      user_id: actor.userId,
      session_id: target.sessionId,
      organization_id: actor.organizationId!,
      server_id: access.server.id,
      mode,
      impersonator_user_id: actor.impersonatorUserId,
      created_at: now,
      expires_at: expiresAt,
    })
    .execute();
  // Tickets nobody redeemed go when the next one is issued (a minute's grace for clock skew).
  await deps.db
    .deleteFrom('console_tickets')
    .where('expires_at', '<', new Date(now.getTime() - 60_000))
    .execute();
  return { ticket, expiresAt, mode };
}

/** The grant of a ticket, which is used up by this call; null when it is unknown, used or expired. */
export async function redeemConsoleTicket(
  deps: Pick<Deps, 'db' | 'clock'>,
  ticket: unknown,
): Promise<ConsoleGrant | null> {
  if (typeof ticket !== 'string' || ticket.length < 32 || ticket.length > 128) return null;
  const row = await deps.db
    .deleteFrom('console_tickets')
    .where('token_hash', '=', hashToken(ticket))
    .returningAll()
    .executeTakeFirst();
  if (!row || row.expires_at <= deps.clock.now()) return null;
  return {
    userId: row.user_id,
    sessionId: row.session_id,
    organizationId: row.organization_id,
    serverId: row.server_id,
    mode: row.mode,
    impersonatorUserId: row.impersonator_user_id,
  };
}
