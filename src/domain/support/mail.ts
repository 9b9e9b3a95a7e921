import type { DbOrTx } from '../../db/index.ts';
import type { SupportEmail } from '../../db/types.ts';
import { queueEmail } from '../../mail/queue.ts';
import type { Deps } from '../deps.ts';
import { notify } from '../notifications/emit.ts';

export type MailDeps = Pick<Deps, 'config' | 'queue'>;

interface TicketRow {
  id: string;
  number: string;
  subject: string;
  organization_id: string;
  opened_by: string | null;
  assignee_id: string | null;
}

/**
 * Tells staff (in the bell and by email) of a new ticket or a customer's reply: the assignee, or every platform admin
 * while nobody is assigned (only platform admins: someone no longer on the staff is told nothing). The email follows
 * each one's choice (users.support_email, Settings → Notifications): 'all' (the default) is emailed for tickets
 * assigned to them and for every unassigned ticket, 'assigned' only for tickets assigned to them, 'off' never; the
 * bell tells them either way. The email carries the message's text, never attachments or notes.
 */
export async function mailStaff(
  deps: MailDeps,
  trx: DbOrTx,
  ticket: TicketRow,
  event: 'opened' | 'customer_reply',
  message: string,
  messageId: string,
): Promise<void> {
  const [org, author] = await Promise.all([
    trx.selectFrom('organizations').select('name').where('id', '=', ticket.organization_id).executeTakeFirst(),
    ticket.opened_by
      ? trx.selectFrom('users').select('name').where('id', '=', ticket.opened_by).executeTakeFirst()
      : undefined,
  ]);
  let q = trx.selectFrom('users').select(['id', 'email', 'name', 'support_email']).where('is_admin', '=', true);
  if (ticket.assignee_id) q = q.where('id', '=', ticket.assignee_id);
  for (const to of await q.execute()) {
    await notify(
      trx,
      { userId: to.id },
      {
        kind: 'support.ticket',
        key: `ticket:${ticket.id}:${event}:${messageId}`,
        data: { ticket_id: ticket.id, number: String(ticket.number), subject: ticket.subject, event },
        names: { organizationId: ticket.organization_id },
      },
    );
    if (!wantsTicketEmail(to.support_email, ticket.assignee_id !== null)) continue;
    await queueEmail(deps, trx, to.email, 'ticket_staff', {
      name: to.name,
      event,
      number: String(ticket.number),
      subject: ticket.subject,
      organization: org?.name ?? 'A customer',
      author: author?.name ?? 'The customer',
      message,
      ticketUrl: `${deps.config.publicUrl}/admin/tickets/${ticket.id}`,
    });
  }
}

/** Whether a member of the staff who chose `choice` is emailed about a ticket assigned to them (`assignedToThem`) or unassigned. */
export function wantsTicketEmail(choice: SupportEmail, assignedToThem: boolean): boolean {
  return choice === 'all' || (choice === 'assigned' && assignedToThem);
}

/** Tells the person who opened the ticket of a staff reply (in the bell, and by email with its text and a link). */
export async function mailCustomer(
  deps: MailDeps,
  trx: DbOrTx,
  ticket: TicketRow,
  message: string,
  messageId: string,
): Promise<void> {
  if (!ticket.opened_by) return;
  await notify(
    trx,
    { userId: ticket.opened_by },
    {
      kind: 'support.reply',
      key: `ticket-reply:${messageId}`,
      data: {
        ticket_id: ticket.id,
        organization_id: ticket.organization_id,
        number: String(ticket.number),
        subject: ticket.subject,
      },
    },
  );
  const to = await trx
    .selectFrom('users')
    .select(['email', 'name'])
    .where('id', '=', ticket.opened_by)
    .executeTakeFirst();
  if (!to) return;
  await queueEmail(deps, trx, to.email, 'ticket_reply', {
    name: to.name,
    number: String(ticket.number),
    subject: ticket.subject,
    message,
    ticketUrl: `${deps.config.publicUrl}/support/${ticket.id}`,
  });
}
