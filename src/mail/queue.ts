import { sql } from 'kysely';
import type { Config } from '../config.ts';
import type { DbOrTx } from '../db/index.ts';
import { emailsQueued } from '../metrics/registry.ts';
import { getSiteSettings } from '../domain/settings/site.ts';
import type { JobQueue } from '../queue/index.ts';
import { SECRET_DAYS, sealSecrets, withholdSecrets } from './secrets.ts';
import type { TemplateSource } from './placeholders.ts';
import { renderEmail, SECRET_FIELDS, type EmailTemplateName, type EmailTemplates } from './templates.ts';

/** The platform's name as emails print it: the site settings' brand name (config BRAND_NAME until staff set one). */
export async function brandOf(db: DbOrTx, config: Pick<Config, 'BRAND_NAME'>): Promise<string> {
  return (await getSiteSettings(db, { brandName: config.BRAND_NAME })).brandName;
}

/** An admin's template for an email (table email_templates), or null: the default is used. */
export async function loadOverride(db: DbOrTx, name: EmailTemplateName): Promise<TemplateSource | null> {
  const row = await db
    .selectFrom('email_templates')
    .select(['subject', 'html', 'text'])
    .where('name', '=', name)
    .executeTakeFirst();
  return row ?? null;
}

/**
 * Stores an email in the outbox table and enqueues its delivery job, both in `db` — pass the
 * transaction of the change that caused the email, so the mail exists only if the change does.
 * Its live links are stored sealed, apart from the body (src/mail/secrets.ts). It is rendered
 * with the admin's template for it when there is one (src/mail/overrides.ts), else the default.
 */
export async function queueEmail<K extends EmailTemplateName>(
  deps: { config: Pick<Config, 'BRAND_NAME' | 'encryptionKeys'>; queue: JobQueue },
  db: DbOrTx,
  to: string,
  template: K,
  data: EmailTemplates[K],
): Promise<string> {
  const { data: withheld, secrets } = withholdSecrets(data, SECRET_FIELDS[template]);
  const brand = await brandOf(db, deps.config);
  const override = await loadOverride(db, template);
  const rendered = renderEmail(template, brand, withheld, override);
  const sealed = Object.keys(secrets).length
    ? {
        secrets: sealSecrets(deps.config.encryptionKeys, secrets),
        secrets_expire_at: sql<Date>`now() + make_interval(days => ${SECRET_DAYS})`,
      }
    : {};
  const row = await db
    .insertInto('emails')
    .values({
      to_address: to,
      template,
      subject: rendered.subject,
      html: rendered.html,
      text: rendered.text,
      ...sealed,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await deps.queue.enqueue(db, 'email.send', { emailId: row.id });
  emailsQueued.inc({ template });
  return row.id;
}
