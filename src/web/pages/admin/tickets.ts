import { Hono, type Context } from 'hono';
import { cannedRepliesFor } from '../../../domain/support/canned.ts';
import { customerContext } from '../../../domain/support/context.ts';
import {
  staffGetAttachment,
  staffGetTicket,
  staffQueue,
  staffReply,
  staffUpdateTicket,
  supportStaff,
} from '../../../domain/support/staff.ts';
import { listCategories, TICKET_PRIORITIES, TICKET_STATUSES } from '../../../domain/support/tickets.ts';
import { actorOf } from '../../actor.ts';
import { formFiles, sendAttachment, uploadHints } from '../../attachments.ts';
import type { AppDeps } from '../../context.ts';
import { formData, orFail } from '../../forms.ts';
import { flash, redirect, type Renderer } from '../../render.ts';
import { STATUS_LABELS } from '../portal/support.ts';

/**
 * /admin/tickets: the support queue (filters: status, priority, category, assignee or
 * unassigned, organization; search over subjects and messages; counts per status; waiting on
 * staff longest first) and one ticket with its whole thread, internal notes included, the
 * reply / internal-note form (keeps its text on a refusal), assignment, status and priority,
 * and the customer's context beside it. A reply or internal note may carry files (multipart,
 * `attachments`; an internal note's stay staff-only); /admin/tickets/:id/attachments/:attachmentId
 * downloads one.
 */
export function adminTicketPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();

  app.get('/', async (c) => {
    const filter = {
      status: c.req.query('status') ?? 'active',
      priority: c.req.query('priority') ?? '',
      categoryId: c.req.query('category') ?? '',
      assignee: c.req.query('assignee') ?? '',
      organizationId: c.req.query('organization') ?? '',
      q: c.req.query('q') ?? '',
    };
    const { tickets, counts } = await staffQueue(deps, actorOf(c), filter);
    return view.page(
      c,
      'admin/tickets/index',
      {
        tickets,
        counts,
        filter,
        labels: STATUS_LABELS,
        statuses: TICKET_STATUSES,
        priorities: TICKET_PRIORITIES,
        categories: await listCategories(deps.db),
        staff: await supportStaff(deps),
        self: ((u) => u.pathname + u.search)(new URL(c.req.url)),
      },
      { layout: 'admin', title: 'Support tickets' },
    );
  });

  const show = async (
    c: Context,
    id: string,
    reply: { message: string; internal: boolean; error: string | null; attachmentsError?: string } = {
      message: '',
      internal: false,
      error: null,
    },
    status?: 422,
  ) => {
    const actor = actorOf(c);
    const ticket = await staffGetTicket(deps, actor, id);
    return view.page(
      c,
      'admin/tickets/show',
      {
        ticket,
        reply,
        uploads: uploadHints(deps.config),
        labels: STATUS_LABELS,
        statuses: TICKET_STATUSES,
        priorities: TICKET_PRIORITIES,
        staff: await supportStaff(deps),
        context: await customerContext(deps, actor, ticket.organizationId),
        canned: await cannedRepliesFor(deps, actor, ticket),
      },
      { layout: 'admin', title: `Ticket #${ticket.number}`, status },
    );
  };

  app.get('/:id', (c) => show(c, c.req.param('id')));

  app.post('/:id/replies', async (c) => {
    const id = c.req.param('id');
    const form = await formData(c);
    const internal = form.internal === '1';
    return orFail(
      async () => {
        await staffReply(deps, actorOf(c), id, { message: form.message, internal, attachments: await formFiles(c) });
        flash(c, internal ? 'The internal note is added.' : 'Your reply is sent.');
        return redirect(c, `/admin/tickets/${id}`);
      },
      (err) => {
        const { message, attachments } = err.fields ?? {};
        const error = message ?? (attachments ? null : err.message);
        return show(c, id, { message: form.message ?? '', internal, error, attachmentsError: attachments }, 422);
      },
    );
  });

  app.get('/:id/attachments/:attachmentId', async (c) => {
    const found = await staffGetAttachment(deps, actorOf(c), c.req.param('id'), c.req.param('attachmentId'));
    return sendAttachment(c, found, { preview: c.req.query('preview') === '1' });
  });

  app.post('/:id', async (c) => {
    const id = c.req.param('id');
    const form = await formData(c);
    const assignee = form.assignee_id === 'me' ? actorOf(c).userId : form.assignee_id;
    // Only what this person changed: the form's other fields show what the page showed, and a
    // customer may have resolved the ticket (or a colleague taken it) since.
    const changed = (field: string, value: string | undefined) =>
      form[`was_${field}`] !== undefined && form[`was_${field}`] === value ? undefined : value;
    await staffUpdateTicket(deps, actorOf(c), id, {
      status: changed('status', form.status),
      priority: changed('priority', form.priority),
      assigneeId: changed('assignee_id', assignee),
    });
    flash(c, 'The ticket is updated.');
    return redirect(c, `/admin/tickets/${id}`);
  });

  return app;
}
