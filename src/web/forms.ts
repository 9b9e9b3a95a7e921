import type { Context } from 'hono';
import { AppError } from '../lib/errors.ts';
import type { Renderer, RenderOptions } from './render.ts';

/**
 * A NUL character made U+FFFD: no one types one, and PostgreSQL text cannot hold it (a crafted
 * form with one reached the database and answered 500; found by test/fuzz).
 */
const noNul = (v: string) => (v.includes('\u0000') ? v.replace(/\u0000/g, '\uFFFD') : v);

/** Form fields as strings (files and repeated keys are not used by these forms). */
export async function formData(c: Context): Promise<Record<string, string>> {
  const type = c.req.header('content-type') ?? '';
  if (!type.startsWith('application/x-www-form-urlencoded') && !type.startsWith('multipart/form-data')) return {};
  const body = await c.req.parseBody();
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(body)) if (typeof v === 'string' && k !== '_csrf') out[noNul(k)] = noNul(v);
  return out;
}

/** Every value of a repeated form field (checkboxes like `permissions`), in order; [] when absent. */
export async function formList(c: Context, key: string): Promise<string[]> {
  const type = c.req.header('content-type') ?? '';
  if (!type.startsWith('application/x-www-form-urlencoded') && !type.startsWith('multipart/form-data')) return [];
  const v = (await c.req.parseBody({ all: true }))[key];
  return (Array.isArray(v) ? v : v === undefined ? [] : [v])
    .filter((x): x is string => typeof x === 'string')
    .map(noNul);
}

/**
 * The 422 rule: a refusal the user should read on the form they sent is a domain AppError,
 * except "not found" (404) and the plain 403 for a missing permission (code `forbidden`),
 * which answer as themselves. Everything else propagates to the error handler.
 */
export function isFormRefusal(err: unknown): err is AppError {
  return err instanceof AppError && err.status !== 404 && !(err.status === 403 && err.code === 'forbidden');
}

/**
 * Runs `action`; a refusal the user should read (`isFormRefusal`) goes to `fail`, which
 * re-renders with status 422. For pages whose form is one region among others; a page that is
 * one form uses `submitForm`.
 */
export async function orFail(
  action: () => Promise<Response>,
  fail: (err: AppError) => Response | Promise<Response>,
): Promise<Response> {
  try {
    return await action();
  } catch (err) {
    if (!isFormRefusal(err)) throw err;
    return fail(err);
  }
}

/**
 * Runs a form action; when it fails with a user-facing error (validation, wrong password,
 * too many attempts: `isFormRefusal`) renders the same form again with the messages and the
 * values typed — passwords excepted — with status 422 (429 keeps its own). Other errors propagate.
 */
export async function submitForm(
  c: Context,
  view: Renderer,
  form: { template: string; values: Record<string, string>; data?: Record<string, unknown>; options: RenderOptions },
  action: () => Promise<Response>,
): Promise<Response> {
  try {
    return await action();
  } catch (err) {
    if (!isFormRefusal(err)) throw err;
    const values = Object.fromEntries(Object.entries(form.values).filter(([k]) => !/password|code|otp/.test(k)));
    const status = err.status === 429 ? 429 : 422;
    if (err.status === 429 && 'retryAfterSeconds' in err) c.header('Retry-After', String(err.retryAfterSeconds));
    return view.page(
      c,
      form.template,
      {
        ...form.data,
        values,
        errors: err.fields ?? {},
        message: err.fields && err.code === 'validation_failed' ? err.message : err.message,
      },
      { ...form.options, status },
    );
  }
}
