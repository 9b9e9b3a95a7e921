import type { z } from 'zod';
import { ValidationError } from './errors.ts';

/** zod issues as one message per field (the first issue of each field wins). */
export function fieldErrors(error: z.ZodError): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const issue of error.issues) {
    const key = issue.path.length ? issue.path.join('.') : '_';
    fields[key] ??= issue.message;
  }
  return fields;
}

/** Parses `input` or throws a ValidationError naming each bad field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw new ValidationError(fieldErrors(result.error));
  return result.data;
}

/** Why a base URL staff point an outside service at is refused. */
export const SERVICE_URL_RULE = 'Use https (http only to this machine), without a user, password, query or fragment.';

/**
 * Whether staff may point an outside service (a cloud provider, a hosting panel) at `url`:
 * https, or http only to this machine (an emulator or a local proxy); no credentials, query or
 * fragment in it.
 */
export function isServiceBaseUrl(url: URL): boolean {
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  return (
    (url.protocol === 'https:' || (url.protocol === 'http:' && loopback)) &&
    !url.username &&
    !url.password &&
    !url.search &&
    !url.hash
  );
}
