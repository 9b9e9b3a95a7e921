import type { DbOrTx } from '../db/index.ts';
import type { Actor } from '../domain/access/actor.ts';
import { requirePlatformAdmin } from '../domain/access/guard.ts';
import { recordActivity } from '../domain/activity/record.ts';
import type { Deps } from '../domain/deps.ts';
import { NotFoundError, ValidationError } from '../lib/errors.ts';
import { EMAIL_DEFINITIONS } from './defaults.ts';
import { isValid, validateTemplate, type PlaceholderSpecs, type TemplateSource } from './placeholders.ts';
import { brandOf, queueEmail } from './queue.ts';
import {
  defaultTemplate,
  EMAIL_TEMPLATE_NAMES,
  isEmailTemplateName,
  placeholdersOf,
  renderSource,
  valuesOf,
  type EmailTemplateName,
  type RenderedEmail,
} from './templates.ts';

/**
 * Admins' email templates (issue 16 item 5): an email's subject, HTML body and text body may be
 * replaced by a logic-less template (src/mail/placeholders.ts), validated against the email's
 * placeholders before it is saved; resetting deletes the override. The next email queued uses it
 * (src/mail/queue.ts reads the override each time). Saves and resets are in the activity log.
 *
 * Admin HTML rule: admins are trusted with wording and markup, not with active content. The HTML
 * is refused (422, naming the problem) when it has scripts, frames, objects, forms, `on…`
 * handlers, `javascript:` (or any non-http(s)/mailto/tel) links, or placeholders where escaping
 * would not keep a value inert. Nothing else is changed: what passes is sent as written.
 */

export interface EmailTemplateSummary {
  name: EmailTemplateName;
  purpose: string;
  customised: boolean;
  /** A saved override that no longer validates (the default is sent instead). */
  stale: boolean;
  updatedAt: Date | null;
  updatedBy: string | null;
}

export interface EmailTemplateDetail extends EmailTemplateSummary {
  placeholders: PlaceholderSpecs;
  /** What is sent now: the override, or the default. */
  current: TemplateSource;
  defaults: TemplateSource;
}

function overrides(db: DbOrTx) {
  return db
    .selectFrom('email_templates as t')
    .leftJoin('users as u', 'u.id', 't.updated_by')
    .select(['t.name', 't.subject', 't.html', 't.text', 't.updated_at as updatedAt', 'u.name as updatedBy']);
}

function summary(
  name: EmailTemplateName,
  row: { subject: string; html: string; text: string; updatedAt: Date; updatedBy: string | null } | undefined,
): EmailTemplateSummary {
  return {
    name,
    purpose: EMAIL_DEFINITIONS[name].purpose,
    customised: !!row,
    stale: !!row && !isValid(validateTemplate(row, placeholdersOf(name))),
    updatedAt: row?.updatedAt ?? null,
    updatedBy: row?.updatedBy ?? null,
  };
}

export function emailTemplateName(name: string): EmailTemplateName {
  if (!isEmailTemplateName(name)) throw new NotFoundError('No such email template.');
  return name;
}

/** Every email, with whether an admin customised it. */
export async function listEmailTemplates(deps: Pick<Deps, 'db'>, actor: Actor): Promise<EmailTemplateSummary[]> {
  requirePlatformAdmin(actor);
  const rows = await overrides(deps.db).execute();
  const byName = new Map(rows.map((r) => [r.name, r]));
  return EMAIL_TEMPLATE_NAMES.map((name) => summary(name, byName.get(name)));
}

export async function getEmailTemplate(
  deps: Pick<Deps, 'db'>,
  actor: Actor,
  rawName: string,
): Promise<EmailTemplateDetail> {
  requirePlatformAdmin(actor);
  const name = emailTemplateName(rawName);
  const row = await overrides(deps.db).where('t.name', '=', name).executeTakeFirst();
  const defaults = defaultTemplate(name);
  return {
    ...summary(name, row),
    placeholders: placeholdersOf(name),
    current: row ? { subject: row.subject, html: row.html, text: row.text } : defaults,
    defaults,
  };
}

/** The form's three fields, line endings made \n (the subject trimmed). */
export function templateFromForm(values: Record<string, string | undefined>): TemplateSource {
  const norm = (s: string | undefined) => (s ?? '').replace(/\r\n?/g, '\n');
  return { subject: norm(values.subject).trim(), html: norm(values.html), text: norm(values.text) };
}

/** Refuses (422, a message per part naming unknown or malformed placeholders) a template the email cannot use. */
export function checkTemplate(name: EmailTemplateName, source: TemplateSource): void {
  const errors = validateTemplate(source, placeholdersOf(name));
  if (!isValid(errors)) throw new ValidationError(errors as Record<string, string>);
}

/**
 * The HTML for the preview frame: the same email without its inline styles and <style> blocks.
 * The frame (sandboxed srcdoc) inherits the admin page's security policy, which refuses inline
 * styles; removing them keeps the preview free of policy violations. Mail readers apply them.
 */
export function previewFrameHtml(html: string): string {
  return html
    .replace(/<style\b[\s\S]*?<\/style\s*>/gi, '')
    .replace(/(<[A-Za-z][^>]*?)\sstyle\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)/g, '$1');
}

/** The email rendered with `source` and its sample data (the preview); 422 when `source` is not valid. */
export async function previewEmailTemplate(
  deps: Pick<Deps, 'db' | 'config' | 'cache'>,
  actor: Actor,
  rawName: string,
  source: TemplateSource,
): Promise<RenderedEmail> {
  requirePlatformAdmin(actor);
  const name = emailTemplateName(rawName);
  checkTemplate(name, source);
  const brand = await brandOf(deps.db, deps.config);
  return renderSource(name, source, valuesOf(name, brand, EMAIL_DEFINITIONS[name].sample));
}

/** Saves an admin's template for an email (422 and nothing saved when not valid); audited. */
export async function saveEmailTemplate(
  deps: Pick<Deps, 'db' | 'clock'>,
  actor: Actor,
  rawName: string,
  source: TemplateSource,
): Promise<void> {
  requirePlatformAdmin(actor);
  const name = emailTemplateName(rawName);
  checkTemplate(name, source);
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    const values = { ...source, updated_by: actor.userId, updated_at: now };
    await trx
      .insertInto('email_templates')
      .values({ name, ...values })
      .onConflict((oc) => oc.column('name').doUpdateSet(values))
      .execute();
    await recordActivity(trx, {
      action: 'admin.email_template_saved',
      actorUserId: actor.userId,
      target: { type: 'email_template', id: name },
      origin: actor.origin,
      details: { name, subject: source.subject },
      occurredAt: now,
    });
  });
}

/** Deletes an email's override: it is sent with its default again; audited. False when it had none. */
export async function resetEmailTemplate(
  deps: Pick<Deps, 'db' | 'clock'>,
  actor: Actor,
  rawName: string,
): Promise<boolean> {
  requirePlatformAdmin(actor);
  const name = emailTemplateName(rawName);
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    const res = await trx.deleteFrom('email_templates').where('name', '=', name).executeTakeFirst();
    if (!Number(res.numDeletedRows)) return false;
    await recordActivity(trx, {
      action: 'admin.email_template_reset',
      actorUserId: actor.userId,
      target: { type: 'email_template', id: name },
      origin: actor.origin,
      details: { name },
      occurredAt: now,
    });
    return true;
  });
}

/**
 * Sends the email with its sample data to the signed-in admin, through the normal queue (so it
 * is rendered with the saved template, as a real one would be). The email's id.
 */
export async function sendTestEmail(
  deps: Pick<Deps, 'db' | 'config' | 'queue'>,
  actor: Actor,
  rawName: string,
): Promise<{ emailId: string; to: string }> {
  requirePlatformAdmin(actor);
  const name = emailTemplateName(rawName);
  const user = await deps.db
    .selectFrom('users')
    .select('email')
    .where('id', '=', actor.userId)
    .executeTakeFirstOrThrow();
  const emailId = await queueEmail(deps, deps.db, user.email, name, EMAIL_DEFINITIONS[name].sample);
  return { emailId, to: user.email };
}
