import type { Db } from '../../db/index.ts';
import { likePattern } from '../../db/like.ts';
import { offsetOf } from '../../db/paging.ts';
import { isUuid } from '../../lib/ids.ts';
import { fillSecrets, maskSecrets, openSecrets } from '../../mail/secrets.ts';
import type { Actor } from '../access/actor.ts';
import { requirePlatformAdmin } from '../access/guard.ts';
import { recordActivity } from '../activity/record.ts';
import type { Deps } from '../deps.ts';

const PAGE = 50;

/** Emails newest first, optionally only those to addresses containing `to` (staff outbox): who and what, no bodies. */
export async function listOutbox(db: Db, actor: Actor, filter: { to: string; page: number }) {
  requirePlatformAdmin(actor);
  let q = db
    .selectFrom('emails')
    .select(['id', 'to_address', 'subject', 'template', 'status', 'transport', 'created_at', 'sent_at']);
  if (filter.to) q = q.where('to_address', 'like', likePattern(filter.to));
  const { limit, offset } = offsetOf(filter.page, PAGE);
  const rows = await q
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .limit(limit + 1)
    .offset(offset)
    .execute();
  return { emails: rows.slice(0, PAGE), hasMore: rows.length > PAGE };
}

/** What staff see of a link they may not follow, and of one no longer kept. */
export const LINK_WITHHELD = '[link withheld: only the recipient gets it]';
export const LINK_EXPIRED = '[link no longer kept]';

/**
 * One email's text as staff may read it, the reading recorded in the activity log (a body is
 * the recipient's). With the outbox transport staff are this platform's mail service: they
 * deliver outbox mail by hand, so its links show while they are kept (src/mail/secrets.ts).
 * With SMTP or Resend the recipient got the mail: its links are masked. Undefined: no such email.
 */
export async function readOutboxEmail(deps: Pick<Deps, 'db' | 'config' | 'clock'>, actor: Actor, id: string) {
  requirePlatformAdmin(actor);
  if (!isUuid(id)) return undefined;
  const email = await deps.db.selectFrom('emails').selectAll().where('id', '=', id).executeTakeFirst();
  if (!email) return undefined;
  const now = deps.clock.now();
  const { secrets, secrets_expire_at: expires, html: _html, ...rest } = email;
  const deliversByHand = deps.config.mailTransport === 'outbox';
  const kept = secrets !== null && expires !== null && expires > now;
  const text =
    deliversByHand && kept
      ? fillSecrets({ html: '', text: email.text }, openSecrets(deps.config.encryptionKeys, secrets)).text
      : maskSecrets(email.text, deliversByHand ? LINK_EXPIRED : LINK_WITHHELD);
  const linksShown = deliversByHand && kept && text !== email.text;
  await recordActivity(deps.db, {
    action: 'admin.outbox_email_viewed',
    actorUserId: actor.userId,
    target: { type: 'email', id: email.id },
    origin: actor.origin,
    details: { to: email.to_address, template: email.template, links_shown: linksShown },
    occurredAt: now,
  });
  return { ...rest, text, linksShown, deliversByHand };
}

/** The latest recorded runs of scheduled jobs (what each did, or why it failed). */
export async function recentJobRuns(db: Db, limit = 100) {
  return db.selectFrom('job_runs').selectAll().orderBy('started_at', 'desc').limit(limit).execute();
}
