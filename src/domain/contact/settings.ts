import { z } from 'zod';
import type { DbOrTx } from '../../db/index.ts';
import type { ContactMethodKind } from '../../db/types.ts';
import { NotFoundError, ValidationError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import { safeHref } from '../../lib/markdown.ts';
import { fieldErrors } from '../../lib/validation.ts';
import type { Actor } from '../access/actor.ts';
import { requirePlatformAdmin } from '../access/guard.ts';
import { recordActivity } from '../activity/record.ts';
import type { Deps } from '../deps.ts';

/**
 * What /contact offers (issue 16 items 1 and 4): the categories a visitor files a message
 * under, and the ways to reach the business (email, phone, chat, address, link), each in
 * staff's order (`position`, then name). An archived category is no longer offered; messages
 * filed under it keep it. Deleting one leaves its messages without a category.
 */

export const METHOD_KINDS = [
  'email',
  'phone',
  'chat',
  'address',
  'link',
] as const satisfies readonly ContactMethodKind[];
export const MAX_CATEGORY_NAME = 80;
export const MAX_METHOD_LABEL = 80;
export const MAX_METHOD_VALUE = 500;

export interface ContactCategory {
  id: string;
  name: string;
  position: number;
  archived: boolean;
}

export interface ContactMethod {
  id: string;
  kind: ContactMethodKind;
  label: string;
  value: string;
  position: number;
}

/** A contact method as /contact shows it: `href` only for a safe link (mailto:, tel:, http(s)). */
export interface ShownContactMethod extends ContactMethod {
  href: string | null;
}

const oneLine = (s: string | undefined) => (s ?? '').replace(/\s+/g, ' ').trim();

const position = z
  .string()
  .optional()
  .transform((s, ctx) => {
    const v = (s ?? '').trim();
    if (!v) return 0;
    if (!/^-?\d{1,6}$/.test(v)) {
      ctx.addIssue({ code: 'custom', message: 'The position is a whole number (lower comes first).' });
      return z.NEVER;
    }
    return Number(v);
  });

const categoryInput = z.object({
  name: z
    .string()
    .optional()
    .transform(oneLine)
    .pipe(
      z
        .string()
        .min(1, 'Give the category a name.')
        .max(MAX_CATEGORY_NAME, `Keep the name to ${MAX_CATEGORY_NAME} characters.`),
    ),
  position,
});

const PHONE = /^\+?[0-9 ().-]{3,40}$/;
const EMAIL = /^[^\s@<>"]+@[^\s@<>"]+\.[^\s@<>"]+$/;

const methodInput = z
  .object({
    kind: z.enum(METHOD_KINDS, { error: 'Choose email, phone, chat, address or link.' }),
    label: z
      .string()
      .optional()
      .transform(oneLine)
      .pipe(
        z
          .string()
          .min(1, 'Give it a label.')
          .max(MAX_METHOD_LABEL, `Keep the label to ${MAX_METHOD_LABEL} characters.`),
      ),
    value: z
      .string()
      .optional()
      .transform((s) => (s ?? '').replace(/\r\n?/g, '\n').trim())
      .pipe(
        z.string().min(1, 'Fill in the value.').max(MAX_METHOD_VALUE, `Keep it to ${MAX_METHOD_VALUE} characters.`),
      ),
    position,
  })
  .superRefine((m, ctx) => {
    const bad = (message: string) => ctx.addIssue({ code: 'custom', path: ['value'], message });
    if (m.kind === 'email' && !EMAIL.test(m.value)) bad('Enter an email address.');
    if (m.kind === 'phone' && !PHONE.test(m.value)) bad('Enter a phone number (digits, spaces, + ( ) - .).');
    if (m.kind === 'link' && !/^https?:\/\//i.test(m.value)) bad('Enter an address starting with https://.');
    if (m.kind === 'link' && /^https?:\/\//i.test(m.value) && !safeHref(m.value))
      bad('That is not a valid web address.');
    if (m.kind !== 'address' && m.value.includes('\n')) bad('Keep it on one line.');
  });

function parse<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
  const r = schema.safeParse(raw);
  if (!r.success) throw new ValidationError(fieldErrors(r.error));
  return r.data;
}

/** A method's link: mailto: for email, tel: for phone, http(s) for links and chat URLs; null otherwise. */
export function methodHref(m: Pick<ContactMethod, 'kind' | 'value'>): string | null {
  if (m.kind === 'email') return EMAIL.test(m.value) ? safeHref(`mailto:${m.value}`) : null;
  if (m.kind === 'phone') return PHONE.test(m.value) ? `tel:${m.value.replace(/[^0-9+]/g, '')}` : null;
  if (m.kind === 'link' || m.kind === 'chat') return /^https?:\/\//i.test(m.value) ? safeHref(m.value) : null;
  return null;
}

// --- reading ---------------------------------------------------------------------------------

/** Categories, in order; `archived` ones too when asked (staff). */
export async function listCategories(db: DbOrTx, opts: { archived?: boolean } = {}): Promise<ContactCategory[]> {
  let q = db.selectFrom('contact_categories').select(['id', 'name', 'position', 'archived']);
  if (!opts.archived) q = q.where('archived', '=', false);
  return q.orderBy('archived').orderBy('position').orderBy('name').orderBy('id').execute();
}

/** The ways to reach the business, in order, with their links. */
export async function listMethods(db: DbOrTx): Promise<ShownContactMethod[]> {
  const rows = await db
    .selectFrom('contact_methods')
    .select(['id', 'kind', 'label', 'value', 'position'])
    .orderBy('position')
    .orderBy('label')
    .orderBy('id')
    .execute();
  return rows.map((m) => ({ ...m, href: methodHref(m) }));
}

export async function getCategory(deps: Pick<Deps, 'db'>, actor: Actor, id: string): Promise<ContactCategory> {
  requirePlatformAdmin(actor);
  const row = isUuid(id)
    ? await deps.db
        .selectFrom('contact_categories')
        .select(['id', 'name', 'position', 'archived'])
        .where('id', '=', id)
        .executeTakeFirst()
    : undefined;
  if (!row) throw new NotFoundError('No such category.');
  return row;
}

export async function getMethod(deps: Pick<Deps, 'db'>, actor: Actor, id: string): Promise<ContactMethod> {
  requirePlatformAdmin(actor);
  const row = isUuid(id)
    ? await deps.db
        .selectFrom('contact_methods')
        .select(['id', 'kind', 'label', 'value', 'position'])
        .where('id', '=', id)
        .executeTakeFirst()
    : undefined;
  if (!row) throw new NotFoundError('No such contact method.');
  return row;
}

// --- writing (staff) ---------------------------------------------------------------------------

type Writer = Pick<Deps, 'db' | 'clock'>;

async function audit(
  trx: DbOrTx,
  actor: Actor,
  now: Date,
  target: { type: string; id: string },
  details: Record<string, string | number | boolean | null>,
) {
  await recordActivity(trx, {
    action: 'admin.contact_settings_saved',
    actorUserId: actor.userId,
    target,
    origin: actor.origin,
    details,
    occurredAt: now,
  });
}

/** Adds a category (`id` null) or changes one: name and position. */
export async function saveCategory(
  deps: Writer,
  actor: Actor,
  id: string | null,
  raw: { name?: string; position?: string },
): Promise<ContactCategory> {
  requirePlatformAdmin(actor);
  const current = id ? await getCategory(deps, actor, id) : null;
  const v = parse(categoryInput, raw);
  const now = deps.clock.now();
  const saved = await deps.db.transaction().execute(async (trx) => {
    const row = current
      ? await trx
          .updateTable('contact_categories')
          .set({ name: v.name, position: v.position, updated_at: now })
          .where('id', '=', current.id)
          .returning('id')
          .executeTakeFirstOrThrow()
      : await trx
          .insertInto('contact_categories')
          .values({ name: v.name, position: v.position, created_at: now, updated_at: now })
          .returning('id')
          .executeTakeFirstOrThrow();
    await audit(trx, actor, now, { type: 'contact_category', id: row.id }, { created: !current, name: v.name });
    return row.id;
  });
  return getCategory(deps, actor, saved);
}

/** Archives a category (no longer offered on the form) or brings it back. */
export async function setCategoryArchived(deps: Writer, actor: Actor, id: string, archived: boolean): Promise<void> {
  const current = await getCategory(deps, actor, id);
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    await trx
      .updateTable('contact_categories')
      .set({ archived, updated_at: now })
      .where('id', '=', current.id)
      .execute();
    await audit(trx, actor, now, { type: 'contact_category', id: current.id }, { name: current.name, archived });
  });
}

/** Deletes a category; its messages keep their text and lose the category. */
export async function deleteCategory(deps: Writer, actor: Actor, id: string): Promise<void> {
  const current = await getCategory(deps, actor, id);
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    await trx.deleteFrom('contact_categories').where('id', '=', current.id).execute();
    await audit(trx, actor, now, { type: 'contact_category', id: current.id }, { name: current.name, deleted: true });
  });
}

/** Adds a contact method (`id` null) or changes one. */
export async function saveMethod(
  deps: Writer,
  actor: Actor,
  id: string | null,
  raw: { kind?: string; label?: string; value?: string; position?: string },
): Promise<ContactMethod> {
  requirePlatformAdmin(actor);
  const current = id ? await getMethod(deps, actor, id) : null;
  const v = parse(methodInput, raw);
  const now = deps.clock.now();
  const saved = await deps.db.transaction().execute(async (trx) => {
    const values = { kind: v.kind, label: v.label, value: v.value, position: v.position, updated_at: now };
    const row = current
      ? await trx
          .updateTable('contact_methods')
          .set(values)
          .where('id', '=', current.id)
          .returning('id')
          .executeTakeFirstOrThrow()
      : await trx
          .insertInto('contact_methods')
          .values({ ...values, created_at: now })
          .returning('id')
          .executeTakeFirstOrThrow();
    await audit(
      trx,
      actor,
      now,
      { type: 'contact_method', id: row.id },
      { created: !current, kind: v.kind, label: v.label },
    );
    return row.id;
  });
  return getMethod(deps, actor, saved);
}

export async function deleteMethod(deps: Writer, actor: Actor, id: string): Promise<void> {
  const current = await getMethod(deps, actor, id);
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    await trx.deleteFrom('contact_methods').where('id', '=', current.id).execute();
    await audit(trx, actor, now, { type: 'contact_method', id: current.id }, { label: current.label, deleted: true });
  });
}
