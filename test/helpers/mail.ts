import type { Selectable } from 'kysely';
import type { EmailsTable } from '../../src/db/types.ts';
import { fillSecrets, openSecrets } from '../../src/mail/secrets.ts';
import type { TestContext } from './context.ts';

/**
 * The newest email to `to` (of `template`, when given) as its recipient receives it: links in
 * place. The stored row never holds them (src/mail/secrets.ts); delivery opens them, and so
 * does this, the same way.
 */
export async function receivedEmail(ctx: Pick<TestContext, 'db' | 'config'>, to: string, template?: string) {
  let q = ctx.db.selectFrom('emails').selectAll().where('to_address', '=', to);
  if (template) q = q.where('template', '=', template);
  const row = await q.orderBy('created_at', 'desc').executeTakeFirst();
  return row && asReceived(ctx, row);
}

/** A stored email with its sealed links put back, as delivery does. */
export function asReceived(ctx: Pick<TestContext, 'config'>, row: Selectable<EmailsTable>) {
  return { ...row, ...fillSecrets(row, row.secrets ? openSecrets(ctx.config.encryptionKeys, row.secrets) : {}) };
}
