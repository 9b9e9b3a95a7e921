import type { Deps } from '../src/domain/deps.ts';
import { purgeExpired } from '../src/domain/accounts/sessions.ts';
import { purgeNotifications } from '../src/domain/notifications/inbox.ts';
import { purgeWebhookDeliveries } from '../src/domain/payments/webhook-deliveries.ts';
import { closeResolvedTickets } from '../src/domain/support/tickets.ts';
import { forgetExpiredLinks } from '../src/mail/delivery.ts';
import { recordRun } from '../src/queue/runs.ts';

/**
 * Deletes expired sessions, tokens, old rate-limit counters, webhook deliveries and
 * notifications past their retention, closes support tickets resolved for
 * TICKET_AUTO_CLOSE_DAYS, and forgets the sealed links of emails once they
 * expire; recorded in job_runs.
 */
export function purgeExpiredJob(deps: Deps, jobId: string | null) {
  return recordRun(deps, 'maintenance.purge-expired', jobId, async () => {
    const now = deps.clock.now();
    return {
      ...(await purgeExpired(deps.db, deps.config, now)),
      webhook_deliveries: await purgeWebhookDeliveries(deps.db, now),
      email_links: await forgetExpiredLinks(deps.db, now),
      notifications: await purgeNotifications(deps.db, now),
      tickets_closed: await closeResolvedTickets(deps.db, deps.config.TICKET_AUTO_CLOSE_DAYS, now),
    };
  });
}
