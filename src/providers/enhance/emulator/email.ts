import type { Hono } from 'hono';
import { domainOf } from './domains.ts';
import { fail, invalid, notFound, page, type Call, routesAt } from './http.ts';
import { usage } from './plans.ts';
import { nowIso, otp, uuid, type EmuWebsite, type EnhanceEmulatorState } from './state.ts';
import { website } from './websites.ts';

/** Spec §4.4: mailboxes and forwarders per website (mailboxes quota from the plan), webmail SSO as a 302. */

interface EmuEmail {
  id: string;
  address: string;
  websiteId: string;
  mailboxName: string | null;
  hasMailbox: boolean;
  aliases: string[];
  forwarders: string[];
  status: 'active' | 'disabled';
  quota: number | null;
  isCatchAll: boolean;
  createdAt: string;
}

const LOCAL = /^[a-z0-9](?:[a-z0-9._+-]{0,62}[a-z0-9])?$/i;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const GB = 1024 ** 3;

export function emailRoutes(app: Hono, state: EnhanceEmulatorState): void {
  const r = routesAt(app, state, '/api/orgs/:org/websites/:site');

  r('get', '/emails', (call) => {
    const site = website(state, call);
    return { body: page(state, call, emailsOf(site).map(emailJson)) };
  });

  r('post', '/domains/:domain/emails', (call) => {
    const site = website(state, call);
    const d = domainOf(site, call);
    const b = call.body;
    if (typeof b.username !== 'string' || !LOCAL.test(b.username)) throw invalid('username');
    const address = `${b.username.toLowerCase()}@${d.domain}`;
    const password = b.mailboxPassword;
    if (password !== undefined && (typeof password !== 'string' || password.length < 8))
      throw invalid('mailboxPassword', 'The password is too weak');
    const forwarders = addresses(b.forwarders, 'forwarders');
    const aliases = addresses(b.aliases, 'aliases');
    if (password === undefined && !forwarders.length) throw invalid('forwarders', 'A mailbox password or forwarders');
    if (b.quota !== undefined && (typeof b.quota !== 'number' || b.quota < 0)) throw invalid('quota');
    if (site.extras.emails.has(address)) throw fail(409, 'conflict', 'email', 'This address already exists');
    if (password !== undefined) mailboxRoom(state, site);
    const e: EmuEmail = {
      id: uuid(),
      address,
      websiteId: site.id,
      mailboxName: typeof b.mailboxName === 'string' ? b.mailboxName : null,
      hasMailbox: password !== undefined,
      aliases,
      forwarders,
      status: 'active',
      quota: typeof b.quota === 'number' ? b.quota : password !== undefined ? GB : null,
      isCatchAll: b.isCatchAll === true,
      createdAt: nowIso(),
    };
    if (e.isCatchAll) for (const other of emailsOf(site)) other.isCatchAll = false;
    site.extras.emails.set(address, e as unknown as Record<string, unknown>);
    return { status: 201, body: { id: e.id } };
  });

  r('get', '/emails/:address', (call) => ({
    body: { ...emailJson(email(state, call)), blacklist: [], whitelist: [], autorespondersCount: 0 },
  }));

  r('patch', '/emails/:address', (call) => {
    const site = website(state, call);
    const e = email(state, call);
    const b = call.body;
    if (b.status !== undefined && b.status !== 'active' && b.status !== 'disabled') throw invalid('status');
    if (b.mailboxPassword !== undefined && (typeof b.mailboxPassword !== 'string' || b.mailboxPassword.length < 8))
      throw invalid('mailboxPassword', 'The password is too weak');
    if (b.quota !== undefined && (typeof b.quota !== 'number' || b.quota < 0)) throw invalid('quota');
    const forwarders = b.forwarders === undefined ? e.forwarders : addresses(b.forwarders, 'forwarders');
    const aliases = b.aliases === undefined ? e.aliases : addresses(b.aliases, 'aliases');
    const hasMailbox =
      b.hasMailbox === undefined ? e.hasMailbox || b.mailboxPassword !== undefined : b.hasMailbox === true;
    if (hasMailbox && !e.hasMailbox) mailboxRoom(state, site);
    Object.assign(e, {
      forwarders,
      aliases,
      hasMailbox,
      ...(typeof b.status === 'string' ? { status: b.status } : {}),
      ...(typeof b.quota === 'number' ? { quota: b.quota } : {}),
      ...(typeof b.mailboxName === 'string' ? { mailboxName: b.mailboxName } : {}),
    });
    if (b.isCatchAll === true) for (const other of emailsOf(site)) other.isCatchAll = other === e;
    else if (b.isCatchAll === false) e.isCatchAll = false;
    return { status: 200 };
  });

  r('delete', '/emails/:address', (call) => {
    const site = website(state, call);
    site.extras.emails.delete(email(state, call).address);
    return { status: 204 };
  });

  // A 302 to a fresh single-use webmail login.
  r('get', '/emails/:address/sso', (call) => {
    const e = email(state, call);
    if (!e.hasMailbox) throw fail(403, 'forbidden', 'mailbox', 'This address has no mailbox');
    return { status: 302, body: undefined, headers: { location: `${call.origin}/webmail/sso?otp=${otp()}` } };
  });
}

function emailsOf(site: EmuWebsite): EmuEmail[] {
  return [...site.extras.emails.values()] as unknown as EmuEmail[];
}

function email(state: EnhanceEmulatorState, call: Call): EmuEmail {
  const site = website(state, call);
  const found = site.extras.emails.get(decodeURIComponent(call.param('address')).toLowerCase());
  if (!found) throw notFound('email');
  return found as unknown as EmuEmail;
}

function addresses(v: unknown, field: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || !EMAIL.test(x))) throw invalid(field);
  return v as string[];
}

/** 403 when the subscription's mailboxes are used up (body unconfirmed). */
function mailboxRoom(state: EnhanceEmulatorState, site: EmuWebsite): void {
  const sub = state.subscriptions.get(site.subscriptionId);
  const plan = sub && state.plans.get(sub.planId);
  const limit = plan?.resources.find((x) => x.name === 'mailboxes')?.total;
  if (limit !== undefined && limit !== null && usage(state, site.subscriptionId, 'mailboxes') >= limit)
    throw fail(403, 'resource_limit', 'mailboxes', 'The subscription has no mailboxes left');
}

function emailJson(e: EmuEmail) {
  return {
    websiteId: e.websiteId,
    mailboxName: e.mailboxName,
    address: e.address,
    aliases: e.aliases,
    hasMailbox: e.hasMailbox,
    status: e.status,
    quota: e.hasMailbox ? { usage: 0, total: e.quota ?? 0 } : null,
    forwarders: e.forwarders,
    forwardersCount: e.forwarders.length,
    createdAt: e.createdAt,
    isCatchAll: e.isCatchAll,
    ssoAvailable: e.hasMailbox,
  };
}
