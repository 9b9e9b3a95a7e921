import { z } from 'zod';
import { parseMoney } from '../../lib/money.ts';

/**
 * Input pieces the catalogue's forms and JSON bodies share. Forms send strings (a checkbox is
 * present or absent); the API sends JSON types; both parse here.
 */

/** An HTML checkbox (present = on) or a JSON boolean; absent = off. */
export const checkbox = z
  .union([z.boolean(), z.string()])
  .optional()
  .transform((v) => v === true || v === 'on' || v === 'true' || v === '1');

/** A display order: a whole number from 0 to 10000; empty = 0. */
export const displayOrder = z
  .union([z.number(), z.string()])
  .optional()
  .transform((v, ctx) => {
    const s = v === undefined ? '' : String(v).trim();
    if (s === '') return 0;
    if (!/^\d{1,5}$/.test(s) || Number(s) > 10000) {
      ctx.addIssue({ code: 'custom', message: 'Enter a whole number from 0 to 10000.' });
      return z.NEVER;
    }
    return Number(s);
  });

/** A whole number of gigabytes (0 to 1,000,000). */
export const gigabytes = (label: string) =>
  z.union([z.number(), z.string()]).transform((v, ctx) => {
    const s = String(v).trim();
    if (!/^\d{1,7}$/.test(s) || Number(s) > 1_000_000) {
      ctx.addIssue({ code: 'custom', message: `Enter the ${label} as a whole number of GB.` });
      return z.NEVER;
    }
    return Number(s);
  });

/** A monthly amount as a decimal string (at most 6 decimals, zero allowed), parsed exactly into micro-units. */
export const monthlyAmount = (label: string) =>
  z.union([z.string(), z.number()], { error: `Enter the ${label}.` }).transform((v, ctx) => {
    const s = String(v).trim();
    const micros = s === '' || typeof v === 'number' ? null : parseMoney(s, 6);
    if (micros === null || micros < 0n || micros > 1_000_000n * 1_000_000n) {
      ctx.addIssue({ code: 'custom', message: `Enter the ${label} as an amount such as 5.00 (at most 6 decimals).` });
      return z.NEVER;
    }
    return micros;
  });

/** Short text for people: trimmed, 1 to `max` characters, one line. */
export const label = (what: string, max = 80) =>
  z
    .string({ error: `Enter the ${what}.` })
    .trim()
    .min(1, `Enter the ${what}.`)
    .max(max, `The ${what} must be at most ${max} characters.`)
    .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), `The ${what} must be one line.`);

/** A list from a form's repeated field or a JSON array (a single string counts as one item). */
export const stringList = z
  .union([z.array(z.string()), z.string()])
  .optional()
  .transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : v === '' ? [] : [v]));
