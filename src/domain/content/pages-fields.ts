import { z } from 'zod';
import type { DbOrTx } from '../../db/index.ts';
import { ValidationError } from '../../lib/errors.ts';
import { fieldErrors } from '../../lib/validation.ts';
import type { Actor } from '../access/actor.ts';
import { recordActivity } from '../activity/record.ts';

/**
 * Fields shared by the site-content forms (FAQ, docs, pages: src/domain/content): titles,
 * Markdown bodies, URL slugs, positions and the published flag, with the messages staff read
 * on the form.
 */

export const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
export const MAX_SLUG_LENGTH = 80;

/** A one-line text: spaces collapsed, trimmed, 1..max characters (or 0..max when optional). */
export const line = (label: string, max: number, required = true) =>
  z
    .string()
    .optional()
    .transform((s) => (s ?? '').replace(/\s+/g, ' ').trim())
    .pipe(
      required
        ? z.string().min(1, `${label} is required.`).max(max, `Keep ${label.toLowerCase()} to ${max} characters.`)
        : z.string().max(max, `Keep ${label.toLowerCase()} to ${max} characters.`),
    );

/** A Markdown text: line endings normalised, trimmed, at most `max` characters. */
export const markdown = (label: string, max: number) =>
  z
    .string()
    .optional()
    .transform((s) => (s ?? '').replace(/\r\n?/g, '\n').trim())
    .pipe(z.string().max(max, `Keep ${label.toLowerCase()} to ${max.toLocaleString('en')} characters.`));

/** A whole number 0..9999 ('' is 0): where it comes in its list, smallest first. */
export const position = z
  .string()
  .optional()
  .transform((s, ctx) => {
    const v = (s ?? '').trim();
    if (!v) return 0;
    if (!/^\d{1,4}$/.test(v)) {
      ctx.addIssue({ code: 'custom', message: 'The position is a whole number from 0 to 9999.' });
      return z.NEVER;
    }
    return Number(v);
  });

/** A URL slug typed by staff: lower-case letters, digits and single hyphens. '' is allowed (the domain derives one). */
export const slugField = z
  .string()
  .optional()
  .transform((s) => (s ?? '').trim().toLowerCase())
  .pipe(
    z
      .string()
      .max(MAX_SLUG_LENGTH, `Keep the URL name to ${MAX_SLUG_LENGTH} characters.`)
      .refine(
        (s) => s === '' || SLUG.test(s),
        'The URL name may contain only lower-case letters, digits and single hyphens (e.g. getting-started).',
      ),
  );

/** A slug from a title: "Getting started with SSH!" → "getting-started-with-ssh" ('' when nothing is left). */
export function slugify(title: string): string {
  return title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, MAX_SLUG_LENGTH)
    .replace(/-+$/, '');
}

/** Parses `raw` with `schema`, every field's problem at once. */
export function parseFields<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
  const result = schema.safeParse(raw);
  if (!result.success) throw new ValidationError(fieldErrors(result.error));
  return result.data;
}

/** Records a content change in the activity log (`admin.content_saved` / `admin.content_deleted`). */
export async function recordContent(
  trx: DbOrTx,
  actor: Actor,
  what: {
    deleted?: boolean;
    type: string;
    id: string;
    occurredAt: Date;
    details: Record<string, string | number | boolean | null>;
  },
): Promise<void> {
  await recordActivity(trx, {
    action: what.deleted ? 'admin.content_deleted' : 'admin.content_saved',
    actorUserId: actor.userId,
    target: { type: what.type, id: what.id },
    origin: actor.origin,
    details: what.details,
    occurredAt: what.occurredAt,
  });
}

/** Whether a PostgreSQL error is a unique violation (two writers racing for one slug). */
export const isUniqueViolation = (err: unknown) => (err as { code?: string } | null)?.code === '23505';

/** A page's description from its Markdown: the first words without markup, at most ~160 characters ('' when none). */
export function plainSummary(markdownText: string): string {
  const plain = markdownText
    .replace(/```[\s\S]*?```/g, ' ')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[#>*_`~|]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return plain.length > 160 ? `${plain.slice(0, 157).replace(/\s+\S*$/, '')}…` : plain;
}
