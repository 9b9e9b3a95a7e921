import { z } from 'zod';
import { ValidationError } from '../../lib/errors.ts';
import { fieldErrors } from '../../lib/validation.ts';

/**
 * What a blog post's form or call may say, checked with every field's problem at once
 * (src/domain/content/blog.ts writes it). The slug is made from the title when left empty;
 * tags are typed comma-separated and kept as lower-case slugs ("Web Hosting" → web-hosting).
 */

export const POST_STATUSES = ['draft', 'published'] as const;
export type PostStatus = (typeof POST_STATUSES)[number];
export const MAX_TITLE = 200;
export const MAX_SUMMARY = 500;
export const MAX_BODY = 100_000;
export const MAX_SLUG = 120;
export const MAX_TAGS = 10;
export const MAX_TAG = 40;
export const MAX_ALT = 200;

const SLUG = /^[a-z0-9]+(-[a-z0-9]+)*$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;

/** "Hello, World: 2027!" → "hello-world-2027" (accents dropped, anything else a hyphen). */
export function slugify(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

export const isSlug = (s: string, max = MAX_SLUG) => s.length <= max && SLUG.test(s);

/** One line of text: control characters out, whitespace collapsed. */
const line = (s: string | undefined) => (s ?? '').replace(CONTROL, '').replace(/\s+/g, ' ').trim();

/** A `datetime-local` field's value (read as UTC, to the minute) or an ISO date; '' is none. */
const when = z
  .string()
  .optional()
  .transform((s, ctx) => {
    const v = (s ?? '').trim();
    if (!v) return null;
    const d = new Date(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(v) ? `${v}Z` : v);
    if (Number.isNaN(d.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(v)) {
      ctx.addIssue({ code: 'custom', message: 'The publish date is not a date and time (YYYY-MM-DDTHH:MM, UTC).' });
      return z.NEVER;
    }
    return d;
  });

const schema = z.object({
  title: z
    .string()
    .optional()
    .transform(line)
    .pipe(z.string().min(1, 'Give the post a title.').max(MAX_TITLE, `Keep the title to ${MAX_TITLE} characters.`)),
  slug: z
    .string()
    .optional()
    .transform((s) => (s ?? '').trim().toLowerCase()),
  summary: z
    .string()
    .optional()
    .transform(line)
    .pipe(z.string().max(MAX_SUMMARY, `Keep the summary to ${MAX_SUMMARY} characters.`)),
  body: z
    .string()
    .optional()
    .transform((s) => (s ?? '').replace(/\r\n?/g, '\n').replace(CONTROL, '').trim())
    .pipe(z.string().max(MAX_BODY, `Keep the text to ${MAX_BODY.toLocaleString('en')} characters.`)),
  categoryId: z
    .string()
    .optional()
    .transform((s) => (s ?? '').trim() || null),
  tags: z
    .string()
    .optional()
    .transform((s, ctx) => {
      const tags = [...new Set((s ?? '').split(',').map(slugify).filter(Boolean))];
      if (tags.length > MAX_TAGS) ctx.addIssue({ code: 'custom', message: `Use at most ${MAX_TAGS} tags.` });
      const long = tags.find((t) => t.length > MAX_TAG);
      if (long)
        ctx.addIssue({ code: 'custom', message: `Keep each tag to ${MAX_TAG} characters (“${long}” is longer).` });
      return tags;
    }),
  coverAlt: z
    .string()
    .optional()
    .transform(line)
    .pipe(z.string().max(MAX_ALT, `Keep the description of the image to ${MAX_ALT} characters.`)),
  status: z.enum(POST_STATUSES, { error: 'Choose draft or published.' }),
  publishedAt: when,
});

export type BlogPostInput = z.input<typeof schema>;
export type ParsedPost = z.output<typeof schema>;

/**
 * Parses a post: every field's problem at once. The slug defaults to the title's; it must be
 * lower-case letters, digits and single hyphens.
 */
export function parsePost(raw: BlogPostInput): ParsedPost {
  const result = schema.safeParse(raw);
  const errors = result.success ? {} : fieldErrors(result.error);
  const slug = (raw.slug ?? '').trim().toLowerCase() || slugify(line(raw.title)).slice(0, MAX_SLUG).replace(/-+$/, '');
  if (!slug) errors.slug ??= 'Give the post an address: lower-case letters, digits and hyphens.';
  else if (!isSlug(slug))
    errors.slug ??= 'Use lower-case letters, digits and single hyphens in the address (e.g. new-regions-2027).';
  if (!result.success || Object.keys(errors).length) throw new ValidationError(errors);
  return { ...result.data, slug };
}

/** The post form's fields (strings) as input. */
export function postFromForm(values: Record<string, string>): BlogPostInput {
  return {
    title: values.title ?? '',
    slug: values.slug ?? '',
    summary: values.summary ?? '',
    body: values.body ?? '',
    categoryId: values.categoryId ?? '',
    tags: values.tags ?? '',
    coverAlt: values.coverAlt ?? '',
    status: (values.status ?? '') as PostStatus,
    publishedAt: values.publishedAt ?? '',
  };
}
