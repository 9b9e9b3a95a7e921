import type { Caller } from './callers.ts';
import { activeOrganizationOf, type Fixtures } from './fixtures.ts';
import type { Call, Done, Outcome, Requirement, Whose } from './routes.ts';

/**
 * The rules of the matrix: who must be refused by a route, and how, derived from the route's
 * requirement alone; what a permitted call must do, from the route's `done`; and one call
 * made the way a real client would make it.
 */

export interface Route {
  key: string;
  method: string;
  path: string;
  api: boolean;
  req: Requirement;
}

export type Expected = { allowed: true } | { status: number; signIn?: true };

export function routeOf(key: string, req: Requirement): Route {
  const [method, path] = key.split(' ') as [string, string];
  return { key, method, path, api: path.startsWith('/api/'), req };
}

const signedIn = (route: Route, caller: Caller) => (route.api ? caller.bearer : caller.session);

/** The calls made per caller: its own things; another organization named by id (URL, body or X-Organization-Id); another's record in its own organization's URL. */
export function variants(route: Route): Whose[] {
  const { auth, org, record } = route.req;
  const namesOrg = route.api ? auth === 'token' || auth === 'user-token' : org === 'body';
  return ['own', ...(namesOrg ? (['foreign-org'] as const) : []), ...(record ? (['foreign-record'] as const) : [])];
}

/**
 * In order: who you are (401, or the sign-in page); whether this area exists for you (404);
 * the organization you name (another, or one you are not in: 404 — never 403, never data);
 * whether your kind of credential may do this at all (403); your permission there (403);
 * the record you name (another organization's or user's: 404).
 */
export function expectation(route: Route, caller: Caller, whose: Whose): Expected {
  const { req } = route;
  if (req.auth === 'public') return { allowed: true };
  if (req.auth === 'signature') return { status: 400 };
  if (req.auth === 'metrics-token') return { status: 401 };
  if (!signedIn(route, caller)) {
    if (req.anonymous) return { status: req.anonymous };
    if (route.api || route.method !== 'GET') return { status: 401 };
    return { status: 303, signIn: true };
  }
  if (req.auth === 'impersonating') return caller.kind === 'impersonating' ? { allowed: true } : { status: 404 };
  if (req.auth === 'admin') return caller.kind === 'platform-admin' ? { allowed: true } : { status: 404 };
  if (req.auth === 'admin-token') return caller.kind === 'platform-admin' ? { allowed: true } : { status: 403 };
  if (whose === 'foreign-org' || (req.org && !caller.memberOfAcme)) return { status: 404 };
  if (req.auth === 'user-token' && caller.kind === 'key') return { status: 403 };
  if (req.refusedWhileImpersonating && caller.kind === 'impersonating') return { status: 403 };
  const permitted =
    req.permission === 'owner' ? caller.owner : !req.permission || caller.permissions.has(req.permission);
  if (!permitted) return { status: 403 };
  if (req.anyPermission && !req.anyPermission.some((p) => caller.permissions.has(p))) return { status: 403 };
  // An Acme record is as foreign as Globex's to someone acting in another organization.
  if (req.record && (whose === 'foreign-record' || (req.record.of === 'org' && !caller.memberOfAcme)))
    return { status: 404 };
  return { allowed: true };
}

/** Makes one call as `caller` (a fresh twin for routes that change the caller's standing), with what it names made for it. */
export async function call(
  fx: Fixtures,
  route: Route,
  caller: Caller,
  whose: Whose,
): Promise<{ call: Call; out: Outcome }> {
  const { req } = route;
  // Only a twin made for this call may have its standing changed (by the call, or by the route's setup).
  const fresh =
    Boolean(req.self) && caller.kind !== 'anonymous' && caller.kind !== 'key' && caller.kind !== 'suspended';
  const creds = await caller.credentials(fresh);
  const me = creds.me;
  const org = caller.memberOfAcme || !me ? fx.acme.id : ((await activeOrganizationOf(fx.ctx, me.id))?.id ?? fx.acme.id);
  const c: Call = { fx, caller, whose, creds, me, org, params: {}, query: '', made: {}, fresh };
  Object.assign(c.made, await req.setup?.(c));
  Object.assign(c.params, await req.params?.(c));
  if (req.org === 'path') c.params.id = whose === 'foreign-org' ? fx.globex.id : fx.acme.id;
  if (req.record) {
    const name = [...route.path.matchAll(/:(\w+)/g)].at(-1)![1]!;
    // Naming another organization (API) goes with that organization's record; a header alone changes nothing else.
    const own = whose === 'own' || (whose === 'foreign-org' && req.record.of === 'user');
    c.params[name] = await (own ? req.record.own : req.record.foreign)(c);
  }
  const path = route.path.replace(/:(\w+)/g, (_, name: string) => {
    if (!(name in c.params)) throw new Error(`${route.key}: no value for :${name}`);
    return encodeURIComponent(c.params[name]!);
  });
  c.body = await req.body?.(c);
  c.query = req.query?.(c) ?? '';
  const headers: Record<string, string> = { 'x-forwarded-for': caller.ip };
  let payload: string | URLSearchParams | undefined;

  if (route.api) {
    // Bearer when the caller has one; an impersonating browser has only its cookies, which the API must ignore.
    if (creds.bearer) headers.authorization = `Bearer ${creds.bearer}`;
    else headers.cookie = creds.cookie;
    if (whose === 'foreign-org' && req.org !== 'path') headers['x-organization-id'] = fx.globex.id;
    if (route.method === 'POST' || route.method === 'PATCH' || route.method === 'PUT') {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(c.body ?? {});
    }
  } else {
    Object.assign(headers, { 'sec-fetch-site': 'same-origin', cookie: creds.cookie });
    // An API key sent to a page must count for nothing.
    if (creds.bearer && !caller.session) headers.authorization = `Bearer ${creds.bearer}`;
    if (route.method !== 'GET') {
      headers['x-csrf-token'] = creds.csrf;
      headers['content-type'] = 'application/x-www-form-urlencoded';
      payload = new URLSearchParams(
        Object.entries(c.body ?? {}).flatMap(([k, v]) => (Array.isArray(v) ? v.map((x) => [k, x]) : [[k, v ?? '']])),
      );
    }
  }

  const res = await fx.ctx.app.request(c.query ? `${path}?${c.query}` : path, {
    method: route.method,
    headers,
    body: payload,
  });
  const contentType = res.headers.get('content-type') ?? '';
  let text = '';
  if (contentType.includes('text/event-stream')) {
    // The event stream never ends by itself: its first event is enough.
    const reader = res.body!.getReader();
    const first = await reader.read();
    text = new TextDecoder().decode(first.value);
    await reader.cancel();
  } else text = await res.text();
  return { call: c, out: { status: res.status, location: res.headers.get('location'), text } };
}

/** What is wrong with `out`, or null. */
export async function judge(
  fx: Fixtures,
  route: Route,
  caller: Caller,
  expected: Expected,
  c: Call,
  out: Outcome,
): Promise<string | null> {
  if ('allowed' in expected) {
    const wrong = await notDone(route, c, out);
    if (wrong) return wrong;
  } else {
    if (out.status !== expected.status) return `expected ${expected.status}, got ${out.status}`;
    if (expected.signIn && !out.location?.startsWith('/login?next='))
      return `expected a redirect to sign in, got ${out.location}`;
  }
  // Never data: Globex is foreign to every caller; Acme to anyone not acting in it. Staff pages show everything to staff.
  if ((route.req.auth === 'admin' || route.req.auth === 'admin-token') && caller.kind === 'platform-admin') return null;
  const hidden = ['globex', ...(signedIn(route, caller) && caller.memberOfAcme ? [] : [fx.acme.name.toLowerCase()])];
  // A sign-in redirect repeats the address asked for: that is the caller's own words, not data.
  const location = out.location?.startsWith('/login?next=') ? '' : (out.location ?? '');
  const shown = hidden.find((s) => out.text.toLowerCase().includes(s) || location.toLowerCase().includes(s));
  return shown ? `the answer (${out.status}) shows "${shown}"` : null;
}

/** How a permitted call fell short of what the route does: status, redirect, what it shows, its effect. */
async function notDone(route: Route, c: Call, out: Outcome): Promise<string | null> {
  const done: Done = typeof route.req.done === 'function' ? await route.req.done(c) : route.req.done;
  const said = () => out.text.replace(/\s+/g, ' ').slice(0, 300);
  if (out.status !== done.status)
    return `expected ${done.status}, got ${out.status}${out.location ? ` to ${out.location}` : `: ${said()}`}`;
  if (done.location !== undefined) {
    const ok =
      typeof done.location === 'string' ? out.location === done.location : done.location.test(out.location ?? '');
    if (!ok) return `expected a redirect to ${done.location}, got ${out.location}`;
  }
  for (const text of [done.shows ?? []].flat())
    if (!out.text.includes(text)) return `the answer does not show ${JSON.stringify(text)}`;
  return (await done.effect?.(c, out)) ?? null;
}

export function describeRequirement(route: Route): string {
  const { auth, permission, org, record, refusedWhileImpersonating } = route.req;
  const who: Record<typeof auth, string> = {
    public: 'is open to everyone',
    session: 'needs a signed-in browser',
    admin: 'exists only for platform staff',
    'admin-token': "needs a platform admin's access token (everyone else 403)",
    impersonating: 'exists only while impersonating',
    token: 'needs an access token or API key',
    'user-token': 'needs an access token (an API key is refused)',
    signature: "is refused (400) to everyone without the provider's signature",
    'metrics-token':
      'is refused (401) to everyone without the metrics token (sessions, access tokens and API keys included)',
  };
  const parts = [who[auth]];
  if (route.req.anyPermission) parts.push(`one of ${route.req.anyPermission.join(', ')} in the active organization`);
  if (permission === 'owner') parts.push('the owner role');
  else if (permission)
    parts.push(`${permission} in ${org === 'path' ? 'the organization named' : 'the active organization'}`);
  if (refusedWhileImpersonating) parts.push('no impersonation');
  if (org) parts.push("another organization's id is 404");
  else if (variants(route).includes('foreign-org')) parts.push('X-Organization-Id of another organization is 404');
  if (record) parts.push(record.of === 'org' ? "another organization's record is 404" : "someone else's is 404");
  return `${route.key} ${parts.join('; ')}`;
}
