import { createPerson, PASSWORD } from '../helpers/people.ts';
import type { TestContext } from '../helpers/context.ts';

/** Calls the JSON API as a client at `ip` would (TRUSTED_PROXY_COUNT=1 in tests). */
export function apiClient(ctx: TestContext, ip: string) {
  return async function call(
    method: string,
    path: string,
    opts: { body?: unknown; token?: string; headers?: Record<string, string> } = {},
  ) {
    const headers: Record<string, string> = { 'x-forwarded-for': ip };
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    Object.assign(headers, opts.headers);
    const body =
      opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    const res = await ctx.app.request(`/api/v1${path}`, { method, headers, body });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
  };
}

export { PASSWORD };

/** A registered, verified person, created through the domain (not the API under test). */
export async function person(ctx: TestContext, name: string, opts: { isAdmin?: boolean } = {}) {
  const p = await createPerson(ctx, name, { verified: true, ...opts });
  return { id: p.id, email: p.email, name: p.name, organizationId: p.organization.id };
}

/** A live access token for `email`, created through the API from `ip`. */
export async function tokenFor(ctx: TestContext, email: string, ip: string): Promise<string> {
  const res = await apiClient(ctx, ip)('POST', '/auth/tokens', { body: { email, password: PASSWORD } });
  if (res.status !== 201) throw new Error(`token creation failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.token;
}

export const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;

/**
 * A verified person with an access token, calling from an address of their own (`ip`):
 * `call(method, path, body?, token?)` uses that token unless another is given.
 */
export async function personWithToken(ctx: TestContext, name: string, ip: string) {
  const p = await person(ctx, name);
  const token = await tokenFor(ctx, p.email, ip);
  const client = apiClient(ctx, ip);
  const call = (method: string, path: string, body?: unknown, t = token) => client(method, path, { token: t, body });
  return { ...p, ip, token, call };
}

/** An API key of the person's organization (`notes_view` only), made over the API with their own token. */
export async function apiKeyOf(p: Awaited<ReturnType<typeof personWithToken>>): Promise<string> {
  const res = await p.call('POST', '/api-keys', {
    name: `key ${Math.random().toString(36).slice(2, 8)}`,
    organization_id: p.organizationId,
    permissions: ['notes_view'],
  });
  if (res.status !== 201) throw new Error(`key creation failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.key as string;
}
