import { z } from 'zod';
import type { DbOrTx } from '../../db/index.ts';
import { NotFoundError, ValidationError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import { renderMarkdown } from '../../lib/markdown.ts';
import type { Actor } from '../access/actor.ts';
import { requirePlatformAdmin } from '../access/guard.ts';
import type { Deps } from '../deps.ts';
import { deleteCategory, deleteContent, saveContent, setPublished } from './content-rows.ts';
import { line, markdown, parseFields, position } from './pages-fields.ts';

/**
 * The FAQ (/faq, issue 16 items 1 and 4): headings (categories) in `position` order, each with
 * questions and Markdown answers (rendered and sanitised by src/lib/markdown.ts). Staff edit
 * them under /admin/content/faq; the public page shows published questions only, under the
 * headings that have any.
 */

export interface FaqCategory {
  id: string;
  name: string;
  position: number;
}

export interface FaqItem {
  id: string;
  categoryId: string;
  question: string;
  answer: string;
  position: number;
  published: boolean;
  updatedAt: Date;
}

export interface FaqSection extends FaqCategory {
  items: FaqItem[];
}

/** What /faq shows: published answers rendered. */
export interface PublicFaqSection {
  id: string;
  name: string;
  items: { id: string; question: string; answerHtml: string }[];
}

const categoryInput = z.object({ name: line('The name', 100), position });
const itemInput = z.object({
  categoryId: z.string().refine(isUuid, 'Choose a heading.'),
  question: line('The question', 300),
  answer: markdown('The answer', 20_000).pipe(z.string().min(1, 'Write the answer.')),
  position,
  published: z.boolean(),
});

export type FaqCategoryInput = z.input<typeof categoryInput>;
export type FaqItemInput = z.input<typeof itemInput>;

export function faqCategoryFromForm(v: Record<string, string>): FaqCategoryInput {
  return { name: v.name ?? '', position: v.position ?? '' };
}

export function faqItemFromForm(v: Record<string, string>): FaqItemInput {
  return {
    categoryId: v.categoryId ?? '',
    question: v.question ?? '',
    answer: v.answer ?? '',
    position: v.position ?? '',
    published: v.published === 'on' || v.published === 'true',
  };
}

const selectItems = (db: DbOrTx) =>
  db
    .selectFrom('faq_items')
    .select([
      'id',
      'category_id as categoryId',
      'question',
      'answer',
      'position',
      'published',
      'updated_at as updatedAt',
    ]);

/** Every heading with its questions, drafts included, in order (staff). */
export async function listFaq(deps: Pick<Deps, 'db'>, actor: Actor): Promise<FaqSection[]> {
  requirePlatformAdmin(actor);
  const categories = await deps.db
    .selectFrom('faq_categories')
    .select(['id', 'name', 'position'])
    .orderBy('position')
    .orderBy('name')
    .execute();
  const items = await selectItems(deps.db).orderBy('position').orderBy('question').execute();
  return categories.map((c) => ({ ...c, items: items.filter((i) => i.categoryId === c.id) }));
}

export async function listFaqCategories(deps: Pick<Deps, 'db'>, actor: Actor): Promise<FaqCategory[]> {
  requirePlatformAdmin(actor);
  return deps.db
    .selectFrom('faq_categories')
    .select(['id', 'name', 'position'])
    .orderBy('position')
    .orderBy('name')
    .execute();
}

export async function getFaqCategory(deps: Pick<Deps, 'db'>, actor: Actor, id: string): Promise<FaqCategory> {
  requirePlatformAdmin(actor);
  const row = isUuid(id)
    ? await deps.db
        .selectFrom('faq_categories')
        .select(['id', 'name', 'position'])
        .where('id', '=', id)
        .executeTakeFirst()
    : undefined;
  if (!row) throw new NotFoundError('No such FAQ heading.');
  return row;
}

export async function createFaqCategory(
  deps: Pick<Deps, 'db' | 'clock'>,
  actor: Actor,
  raw: FaqCategoryInput,
): Promise<FaqCategory> {
  requirePlatformAdmin(actor);
  const c = parseFields(categoryInput, raw);
  return saveContent(deps, actor, { type: 'faq_category', details: { name: c.name } }, (trx, now) =>
    trx
      .insertInto('faq_categories')
      .values({ name: c.name, position: c.position, created_at: now, updated_at: now })
      .returning(['id', 'name', 'position'])
      .executeTakeFirstOrThrow(),
  );
}

export async function updateFaqCategory(
  deps: Pick<Deps, 'db' | 'clock'>,
  actor: Actor,
  id: string,
  raw: FaqCategoryInput,
): Promise<FaqCategory> {
  const current = await getFaqCategory(deps, actor, id);
  const c = parseFields(categoryInput, raw);
  return saveContent(deps, actor, { type: 'faq_category', details: { name: c.name } }, (trx, now) =>
    trx
      .updateTable('faq_categories')
      .set({ name: c.name, position: c.position, updated_at: now })
      .where('id', '=', current.id)
      .returning(['id', 'name', 'position'])
      .executeTakeFirstOrThrow(),
  );
}

/** Deletes a heading; refused (422) while it still has questions. */
export async function deleteFaqCategory(deps: Pick<Deps, 'db' | 'clock'>, actor: Actor, id: string): Promise<void> {
  const current = await getFaqCategory(deps, actor, id);
  await deleteCategory(deps, actor, 'faq_categories', 'faq_items', {
    type: 'faq_category',
    id: current.id,
    details: { name: current.name },
    message: `“${current.name}” still has questions: move or delete them first, then delete the heading.`,
  });
}

export async function getFaqItem(deps: Pick<Deps, 'db'>, actor: Actor, id: string): Promise<FaqItem> {
  requirePlatformAdmin(actor);
  const row = isUuid(id) ? await selectItems(deps.db).where('id', '=', id).executeTakeFirst() : undefined;
  if (!row) throw new NotFoundError('No such FAQ question.');
  return row;
}

async function parseItem(db: DbOrTx, raw: FaqItemInput) {
  const fields = parseFields(itemInput, raw);
  const category = await db
    .selectFrom('faq_categories')
    .select('id')
    .where('id', '=', fields.categoryId)
    .executeTakeFirst();
  if (!category) throw new ValidationError({ categoryId: 'Choose a heading.' });
  return fields;
}

/** A question's columns as its form gives them. */
const itemRow = (i: Awaited<ReturnType<typeof parseItem>>) => ({
  category_id: i.categoryId,
  question: i.question,
  answer: i.answer,
  position: i.position,
  published: i.published,
});

export async function createFaqItem(
  deps: Pick<Deps, 'db' | 'clock'>,
  actor: Actor,
  raw: FaqItemInput,
): Promise<FaqItem> {
  requirePlatformAdmin(actor);
  const i = await parseItem(deps.db, raw);
  const log = { type: 'faq_item', details: { question: i.question, published: i.published } };
  const row = await saveContent(deps, actor, log, (trx, now) =>
    trx
      .insertInto('faq_items')
      .values({
        ...itemRow(i),
        created_by: actor.userId,
        updated_by: actor.userId,
        created_at: now,
        updated_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow(),
  );
  return getFaqItem(deps, actor, row.id);
}

export async function updateFaqItem(
  deps: Pick<Deps, 'db' | 'clock'>,
  actor: Actor,
  id: string,
  raw: FaqItemInput,
): Promise<FaqItem> {
  const current = await getFaqItem(deps, actor, id);
  const i = await parseItem(deps.db, raw);
  const log = { type: 'faq_item', details: { question: i.question, published: i.published } };
  await saveContent(deps, actor, log, async (trx, now) => {
    await trx
      .updateTable('faq_items')
      .set({
        ...itemRow(i),
        updated_by: actor.userId,
        updated_at: now,
      })
      .where('id', '=', current.id)
      .execute();
    return current.id;
  });
  return getFaqItem(deps, actor, current.id);
}

/** Publishes or withdraws a question. */
export async function setFaqItemPublished(
  deps: Pick<Deps, 'db' | 'clock'>,
  actor: Actor,
  id: string,
  published: boolean,
): Promise<FaqItem> {
  const current = await getFaqItem(deps, actor, id);
  return setPublished(deps, actor, 'faq_items', current, published, {
    type: 'faq_item',
    details: { question: current.question, published },
  });
}

export async function deleteFaqItem(deps: Pick<Deps, 'db' | 'clock'>, actor: Actor, id: string): Promise<FaqItem> {
  const current = await getFaqItem(deps, actor, id);
  await deleteContent(deps, actor, 'faq_items', {
    type: 'faq_item',
    id: current.id,
    details: { question: current.question },
  });
  return current;
}

/** The public FAQ: headings with published questions, answers rendered, in order. */
export async function publicFaq(db: DbOrTx): Promise<PublicFaqSection[]> {
  const rows = await db
    .selectFrom('faq_items as i')
    .innerJoin('faq_categories as c', 'c.id', 'i.category_id')
    .select(['c.id as categoryId', 'c.name', 'i.id', 'i.question', 'i.answer'])
    .where('i.published', '=', true)
    .orderBy('c.position')
    .orderBy('c.name')
    .orderBy('c.id')
    .orderBy('i.position')
    .orderBy('i.question')
    .execute();
  const sections: PublicFaqSection[] = [];
  for (const r of rows) {
    let s = sections.at(-1);
    if (!s || s.id !== r.categoryId) sections.push((s = { id: r.categoryId, name: r.name, items: [] }));
    s.items.push({ id: r.id, question: r.question, answerHtml: renderMarkdown(r.answer, { localLinks: true }) });
  }
  return sections;
}

/** When the public FAQ last changed (null: nothing published). */
export async function faqUpdatedAt(db: DbOrTx): Promise<Date | null> {
  const row = await db
    .selectFrom('faq_items')
    .select((eb) => eb.fn.max('updated_at').as('updatedAt'))
    .where('published', '=', true)
    .executeTakeFirst();
  return row?.updatedAt ?? null;
}
