import { Hono, type Context } from 'hono';
import { can } from '../../../domain/access/actor.ts';
import {
  getTicket,
  getTicketAttachment,
  listCategories,
  listTickets,
  openTicket,
  replyToTicket,
  ticketServerChoices,
  TICKET_PRIORITIES,
  TICKET_STATUSES,
  updateTicket,
  type TicketFilter,
} from '../../../domain/support/tickets.ts';
import type { TicketStatus } from '../../../db/types.ts';
import { actorOf } from '../../actor.ts';
import { formFiles, sendAttachment, uploadHints } from '../../attachments.ts';
import type { AppDeps } from '../../context.ts';
import { formData, orFail } from '../../forms.ts';
import { flash, redirect, type Renderer } from '../../render.ts';

/** The region of views/portal/support/_thread.eta that forms replace; its `ticket-live` part re-fetches itself on a `ticket` event. */
export const THREAD_REGION = 'ticket-thread';
const LIVE_REGION = 'ticket-live';

export const STATUS_LABELS: Record<TicketStatus, string> = {
  open: 'Open',
  answered: 'Answered',
  customer_reply: 'Awaiting support',
  resolved: 'Resolved',
  closed: 'Closed',
};

/**
 * /support: the organization's tickets (or, without `tickets_view`, the member's own), the
 * new-ticket form (`tickets_create`; 422 with the form and what was typed when refused), and
 * /support/:id: one ticket's thread, which re-fetches itself when a `ticket` event arrives on
 * the portal's event stream, with a reply form that keeps its text on a refusal, and the
 * resolve / close / priority controls the member's permissions allow. The new ticket and the
 * reply may carry files (multipart, `attachments`); /support/:id/attachments/:attachmentId
 * downloads one (a raster image's `?preview=1` inline), read as the ticket is.
 */
export function supportPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();

  const newForm = async (
    c: Context,
    values: Record<string, string> = {},
    errors: Record<string, string> = {},
    status?: 422,
  ) =>
    view.page(
      c,
      'portal/support/new',
      {
        categories: await listCategories(deps.db),
        servers: await ticketServerChoices(deps.db, actorOf(c)),
        priorities: TICKET_PRIORITIES,
        uploads: uploadHints(deps.config),
        values,
        errors,
      },
      { layout: 'portal', title: 'New ticket', status },
    );

  app.get('/', async (c) => {
    const raw = c.req.query('status') ?? 'active';
    const status = (
      raw === 'all'
        ? null
        : raw === 'active'
          ? 'active'
          : (TICKET_STATUSES as readonly string[]).includes(raw)
            ? raw
            : 'active'
    ) as TicketFilter['status'];
    const tickets = await listTickets(deps.db, actorOf(c), { status });
    return view.page(
      c,
      'portal/support/index',
      { tickets, filter: raw === 'all' ? 'all' : (status ?? 'all'), labels: STATUS_LABELS, statuses: TICKET_STATUSES },
      { layout: 'portal', title: 'Support' },
    );
  });

  app.get('/new', async (c) => {
    const actor = actorOf(c);
    if (!can(actor, 'tickets_create')) await openTicket(deps, actor, {}); // refuses (403) as the domain says
    return newForm(c, { follows: c.req.query('follows') ?? '', server_id: c.req.query('server_id') ?? '' });
  });

  app.post('/', async (c) => {
    const form = await formData(c);
    return orFail(
      async () => {
        const t = await openTicket(deps, actorOf(c), {
          attachments: await formFiles(c),
          subject: form.subject,
          message: form.message,
          priority: form.priority,
          categoryId: form.category_id,
          serverId: form.server_id,
          followsTicketId: form.follows,
        });
        flash(c, 'Your ticket is open. We will answer here and by email.');
        return redirect(c, `/support/${t.id}`);
      },
      (err) => {
        const fields = err.fields ?? {};
        const errors: Record<string, string> = {
          ...(fields.categoryId ? { category_id: fields.categoryId } : {}),
          ...(fields.serverId ? { server_id: fields.serverId } : {}),
          ...fields,
        };
        if (!err.fields) errors._ = err.message;
        return newForm(c, form, errors, 422);
      },
    );
  });

  const show = async (
    c: Context,
    id: string,
    reply: { message: string; error: string | null; attachmentsError?: string } = { message: '', error: null },
    status?: 422,
  ) => {
    const actor = actorOf(c);
    const ticket = await getTicket(deps.db, actor, id);
    const data = {
      ticket,
      reply,
      uploads: uploadHints(deps.config),
      labels: STATUS_LABELS,
      priorities: TICKET_PRIORITIES,
      mayReply: can(actor, 'tickets_create') && ticket.status !== 'closed',
      mayResolve:
        (can(actor, 'tickets_manage') || ticket.openedById === actor.userId) &&
        ticket.status !== 'resolved' &&
        ticket.status !== 'closed',
      mayManage: can(actor, 'tickets_manage') && ticket.status !== 'closed',
    };
    const target = c.req.header('hx-target');
    // The thread alone for htmx (the live part picks itself out of it with hx-select).
    if (target === THREAD_REGION || target === LIVE_REGION)
      return view.partial(c, 'portal/support/_thread', data, status);
    return view.page(c, 'portal/support/show', data, {
      layout: 'portal',
      title: `Ticket #${ticket.number}: ${ticket.subject}`,
      status,
    });
  };

  app.get('/:id', (c) => show(c, c.req.param('id')));

  app.post('/:id/replies', async (c) => {
    const id = c.req.param('id');
    const form = await formData(c);
    return orFail(
      async () => {
        await replyToTicket(deps, actorOf(c), id, { message: form.message, attachments: await formFiles(c) });
        if (c.req.header('hx-target') === THREAD_REGION) return show(c, id);
        flash(c, 'Your reply is sent.');
        return redirect(c, `/support/${id}`);
      },
      (err) => {
        const { message, attachments } = err.fields ?? {};
        const error = message ?? (attachments ? null : err.message);
        return show(c, id, { message: form.message ?? '', error, attachmentsError: attachments }, 422);
      },
    );
  });

  app.get('/:id/attachments/:attachmentId', async (c) => {
    const found = await getTicketAttachment(deps, actorOf(c), c.req.param('id'), c.req.param('attachmentId'));
    return sendAttachment(c, found, { preview: c.req.query('preview') === '1' });
  });

  app.post('/:id', async (c) => {
    const id = c.req.param('id');
    const form = await formData(c);
    const ticket = await updateTicket(deps, actorOf(c), id, {
      status: form.status,
      priority: form.priority,
    });
    if (c.req.header('hx-target') === THREAD_REGION) return show(c, id);
    flash(
      c,
      form.status
        ? `The ticket is ${STATUS_LABELS[ticket.status].toLowerCase()}.`
        : `The priority is ${ticket.priority}.`,
    );
    return redirect(c, `/support/${id}`);
  });

  return app;
}
