import type { Hono } from 'hono';
import { fail, invalid, notFound, type Call, routesAt } from './http.ts';
import { usage } from './plans.ts';
import { nowIso, otp, type EmuWebsite, type EnhanceEmulatorState } from './state.ts';
import { website } from './websites.ts';

/** Spec §4.5: MySQL databases (mysqlDbs quota), users, passwords, grants, phpMyAdmin SSO. */

interface EmuDb {
  name: string;
  size: number;
  createdAt: string;
}
interface EmuDbUser {
  username: string;
  accessHosts: string[];
  grants: Record<string, string[]>;
  createdAt: string;
}

const NAME = /^[0-9a-z$_]{1,64}$/;
const USER = /^[0-9a-z$_]{1,32}$/;
const PRIVILEGES = ['ALL', 'SELECT', 'INSERT', 'UPDATE', 'DELETE', 'CREATE', 'DROP', 'INDEX', 'ALTER', 'REFERENCES'];
const PRIVILEGE_SET = new Set([
  ...PRIVILEGES,
  'CREATE TEMPORARY TABLES',
  'LOCK TABLES',
  'EXECUTE',
  'CREATE VIEW',
  'SHOW VIEW',
  'CREATE ROUTINE',
  'ALTER ROUTINE',
  'EVENT',
  'TRIGGER',
]);

export function mysqlRoutes(app: Hono, state: EnhanceEmulatorState): void {
  const r = routesAt(app, state, '/api/orgs/:org/websites/:site');

  r('get', '/mysql-dbs', (call) => ({ body: { items: dbs(website(state, call)) } }));

  r('post', '/mysql-dbs', (call) => {
    const site = website(state, call);
    const name = call.body.name;
    if (typeof name !== 'string' || !NAME.test(name)) throw invalid('name');
    if (site.extras.mysqlDbs.has(name)) throw fail(409, 'conflict', 'mysqlDb', 'A database with this name exists');
    const sub = state.subscriptions.get(site.subscriptionId);
    const limit = sub && state.plans.get(sub.planId)?.resources.find((x) => x.name === 'mysqlDbs')?.total;
    if (typeof limit === 'number' && usage(state, site.subscriptionId, 'mysqlDbs') >= limit)
      throw fail(403, 'resource_limit', 'mysqlDbs', 'The subscription has no databases left');
    site.extras.mysqlDbs.set(name, { name, size: 0, createdAt: nowIso() });
    return { status: 201 };
  });

  r('delete', '/mysql-dbs/:name', (call) => {
    const site = website(state, call);
    const db = dbOf(site, call);
    site.extras.mysqlDbs.delete(db.name);
    for (const u of users(site)) delete u.grants[db.name];
    return { status: 204 };
  });

  r('get', '/mysql-dbs/:name/sso', (call) => {
    const db = dbOf(website(state, call), call);
    return { body: `${call.origin}/phpmyadmin/sso?db=${encodeURIComponent(db.name)}&otp=${otp()}` };
  });

  r('get', '/mysql-users', (call) => ({ body: { items: users(website(state, call)) } }));

  r('post', '/mysql-users', (call) => {
    const site = website(state, call);
    const { username, password } = call.body;
    if (typeof username !== 'string' || !USER.test(username)) throw invalid('username');
    if (typeof password !== 'string' || password.length < 8) throw invalid('password', 'The password is too weak');
    if (site.extras.mysqlUsers.has(username)) throw fail(409, 'conflict', 'mysqlUser', 'This user exists');
    site.extras.mysqlUsers.set(username, { username, accessHosts: ['localhost'], grants: {}, createdAt: nowIso() });
    return { status: 201 };
  });

  r('put', '/mysql-users/:user', (call) => {
    userOf(website(state, call), call);
    const password = call.body.password;
    if (typeof password !== 'string' || password.length < 8) throw invalid('password', 'The password is too weak');
    return { status: 200 };
  });

  r('delete', '/mysql-users/:user', (call) => {
    const site = website(state, call);
    site.extras.mysqlUsers.delete(userOf(site, call).username);
    return { status: 204 };
  });

  r('put', '/mysql-users/:user/privileges', (call) => {
    const site = website(state, call);
    const user = userOf(site, call);
    const { dbName, grants } = call.body;
    if (typeof dbName !== 'string' || !site.extras.mysqlDbs.has(dbName)) throw invalid('dbName');
    if (!Array.isArray(grants) || grants.some((g) => typeof g !== 'string' || !PRIVILEGE_SET.has(g.toUpperCase())))
      throw invalid('grants');
    if (grants.length) user.grants[dbName] = grants.map((g: string) => g.toUpperCase());
    else delete user.grants[dbName];
    return { status: 201 };
  });
}

const dbs = (site: EmuWebsite) => [...site.extras.mysqlDbs.values()] as unknown as EmuDb[];
const users = (site: EmuWebsite) => [...site.extras.mysqlUsers.values()] as unknown as EmuDbUser[];

function dbOf(site: EmuWebsite, call: Call): EmuDb {
  const db = site.extras.mysqlDbs.get(call.param('name'));
  if (!db) throw notFound('database');
  return db as unknown as EmuDb;
}

function userOf(site: EmuWebsite, call: Call): EmuDbUser {
  const u = site.extras.mysqlUsers.get(call.param('user'));
  if (!u) throw notFound('database user');
  return u as unknown as EmuDbUser;
}
