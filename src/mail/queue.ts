import type { Config } from '../config.ts';
import type { DbOrTx } from '../db/index.ts';
import type { JobQueue } from '../queue/index.ts';
import { renderEmail, type EmailTemplateName, type EmailTemplates } from './templates.ts';

/**
 * Stores an email in the outbox table and enqueues its delivery job, both in `db` — pass the
 * transaction of the change that caused the email, so the mail exists only if the change does.
 */
export async function queueEmail<K extends EmailTemplateName>(
  deps: { config: Pick<Config, 'BRAND_NAME'>; queue: JobQueue },
  db: DbOrTx,
  to: string,
  template: K,
  data: EmailTemplates[K],
): Promise<string> {
  const rendered = renderEmail(template, deps.config.BRAND_NAME, data);
  const row = await db
    .insertInto('emails')
    .values({ to_address: to, template, subject: rendered.subject, html: rendered.html, text: rendered.text })
    .returning('id')
    .executeTakeFirstOrThrow();
  await deps.queue.enqueue(db, 'email.send', { emailId: row.id });
  return row.id;
}
