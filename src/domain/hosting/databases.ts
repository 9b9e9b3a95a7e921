import { ValidationError } from '../../lib/errors.ts';
import type { Actor } from '../access/actor.ts';
import type { HostingDeps } from './connector.ts';
import { auditSite, panel, siteAccess, type SiteAccess } from './operations.ts';

/**
 * A hosting service's MySQL (issue 17 item 4): databases (names per the panel's pattern
 * `^[0-9a-z$_]+$`, up to 64), users (up to 32) with a password the customer types (sent to the
 * panel only), each user's privileges on each database, and phpMyAdmin by a fresh single-use
 * link. Reads need hosting_view, changes and sign-ins hosting_manage; every change audited.
 */

export const DB_NAME = /^[0-9a-z$_]{1,64}$/;
export const DB_USER = /^[0-9a-z$_]{1,32}$/;
export const DB_PASSWORD_MIN = 10;
export const DB_PASSWORD_MAX = 128;
/** The privileges offered (ALL, or any of the others). */
export const PRIVILEGES = [
  'ALL',
  'SELECT',
  'INSERT',
  'UPDATE',
  'DELETE',
  'CREATE',
  'DROP',
  'INDEX',
  'ALTER',
  'REFERENCES',
  'CREATE TEMPORARY TABLES',
  'LOCK TABLES',
  'EXECUTE',
  'CREATE VIEW',
  'SHOW VIEW',
  'CREATE ROUTINE',
  'ALTER ROUTINE',
  'EVENT',
  'TRIGGER',
] as const;
const PRIVILEGE_SET = new Set<string>(PRIVILEGES);

export interface DatabaseTab {
  databases: { name: string; sizeMb: number; createdAt: string | null }[];
  users: { username: string; accessHosts: string[]; grants: Record<string, string[]>; createdAt: string | null }[];
}

/** `permission`: hosting_view, or hosting_manage to read back what a change made (an API key may hold only that). */
export async function databaseTab(
  deps: HostingDeps,
  actor: Actor,
  serviceId: string,
  permission: 'hosting_view' | 'hosting_manage' = 'hosting_view',
): Promise<DatabaseTab> {
  return databasesOf(await siteAccess(deps, actor, serviceId, permission));
}

export async function databasesOf(s: SiteAccess): Promise<DatabaseTab> {
  const [dbs, users] = await Promise.all([
    panel(() => s.client.listMysqlDbs(s.orgId, s.websiteId)),
    panel(() => s.client.listMysqlUsers(s.orgId, s.websiteId)),
  ]);
  return {
    databases: dbs
      .map((d) => ({ name: d.name, sizeMb: Math.round((d.size / (1024 * 1024)) * 10) / 10, createdAt: d.createdAt }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    users: users
      .map((u) => ({ username: u.username, accessHosts: u.accessHosts, grants: u.grants, createdAt: u.createdAt }))
      .sort((a, b) => a.username.localeCompare(b.username)),
  };
}

const manage = (deps: HostingDeps, actor: Actor, serviceId: string) =>
  siteAccess(deps, actor, serviceId, 'hosting_manage');

function nameOf(v: unknown, field: string, pattern: RegExp, max: number): string {
  const name = typeof v === 'string' ? v.trim() : '';
  if (!pattern.test(name))
    throw new ValidationError({
      [field]: `Use 1 to ${max} lower-case letters, digits, underscores or dollar signs.`,
    });
  return name;
}

function passwordOf(v: unknown): string {
  const problem =
    typeof v !== 'string' || v === ''
      ? 'Choose a password.'
      : v.length < DB_PASSWORD_MIN
        ? `Use at least ${DB_PASSWORD_MIN} characters.`
        : v.length > DB_PASSWORD_MAX
          ? `Use at most ${DB_PASSWORD_MAX} characters.`
          : null;
  if (problem) throw new ValidationError({ password: problem });
  return v as string;
}

export async function createDatabase(deps: HostingDeps, actor: Actor, serviceId: string, name: unknown) {
  const dbName = nameOf(name, 'name', DB_NAME, 64);
  const s = await manage(deps, actor, serviceId);
  await panel(() => s.client.createMysqlDb(s.orgId, s.websiteId, dbName), { name: 'name' });
  await auditSite(s, actor, 'hosting.database_created', { name: dbName });
  return dbName;
}

export async function deleteDatabase(deps: HostingDeps, actor: Actor, serviceId: string, name: string) {
  const dbName = nameOf(name, 'name', DB_NAME, 64);
  const s = await manage(deps, actor, serviceId);
  await panel(() => s.client.deleteMysqlDb(s.orgId, s.websiteId, dbName));
  await auditSite(s, actor, 'hosting.database_deleted', { name: dbName });
}

export async function createDatabaseUser(
  deps: HostingDeps,
  actor: Actor,
  serviceId: string,
  input: { username: unknown; password: unknown },
) {
  const errors: Record<string, string> = {};
  let username = '';
  let password = '';
  try {
    username = nameOf(input.username, 'username', DB_USER, 32);
  } catch (err) {
    Object.assign(errors, (err as ValidationError).fields);
  }
  try {
    password = passwordOf(input.password);
  } catch (err) {
    Object.assign(errors, (err as ValidationError).fields);
  }
  if (Object.keys(errors).length) throw new ValidationError(errors);
  const s = await manage(deps, actor, serviceId);
  await panel(() => s.client.createMysqlUser(s.orgId, s.websiteId, { username, password }), {
    username: 'username',
    password: 'password',
  });
  await auditSite(s, actor, 'hosting.database_user_created', { name: username });
  return username;
}

export async function setDatabaseUserPassword(
  deps: HostingDeps,
  actor: Actor,
  serviceId: string,
  username: string,
  password: unknown,
) {
  const user = nameOf(username, 'username', DB_USER, 32);
  const pw = passwordOf(password);
  const s = await manage(deps, actor, serviceId);
  await panel(() => s.client.setMysqlUserPassword(s.orgId, s.websiteId, user, pw), { password: 'password' });
  await auditSite(s, actor, 'hosting.database_user_password_changed', { name: user });
}

export async function deleteDatabaseUser(deps: HostingDeps, actor: Actor, serviceId: string, username: string) {
  const user = nameOf(username, 'username', DB_USER, 32);
  const s = await manage(deps, actor, serviceId);
  await panel(() => s.client.deleteMysqlUser(s.orgId, s.websiteId, user));
  await auditSite(s, actor, 'hosting.database_user_deleted', { name: user });
}

/** Sets `username`'s privileges on `database` (an empty list revokes them). */
export async function setGrants(
  deps: HostingDeps,
  actor: Actor,
  serviceId: string,
  input: { username: unknown; database: unknown; privileges: unknown },
) {
  const errors: Record<string, string> = {};
  const username = typeof input.username === 'string' ? input.username.trim() : '';
  const database = typeof input.database === 'string' ? input.database.trim() : '';
  if (!DB_USER.test(username)) errors.username = 'Choose a user.';
  if (!DB_NAME.test(database)) errors.database = 'Choose a database.';
  const raw = Array.isArray(input.privileges)
    ? input.privileges
    : typeof input.privileges === 'string' && input.privileges
      ? [input.privileges]
      : [];
  const privileges = [...new Set(raw.map((p) => (typeof p === 'string' ? p.trim().toUpperCase() : '')))];
  if (privileges.some((p) => !PRIVILEGE_SET.has(p))) errors.privileges = 'Choose privileges from the list.';
  if (Object.keys(errors).length) throw new ValidationError(errors);
  const grants = privileges.includes('ALL') ? ['ALL'] : privileges;
  const s = await manage(deps, actor, serviceId);
  const [dbs, users] = await Promise.all([
    panel(() => s.client.listMysqlDbs(s.orgId, s.websiteId)),
    panel(() => s.client.listMysqlUsers(s.orgId, s.websiteId)),
  ]);
  if (!dbs.some((d) => d.name === database)) errors.database = 'Choose one of this website’s databases.';
  if (!users.some((u) => u.username === username)) errors.username = 'Choose one of this website’s users.';
  if (Object.keys(errors).length) throw new ValidationError(errors);
  await panel(() => s.client.grantMysqlUser(s.orgId, s.websiteId, username, database, grants), {
    grants: 'privileges',
    dbName: 'database',
  });
  await auditSite(s, actor, 'hosting.database_grants_set', {
    name: username,
    database,
    privileges: grants.length ? grants.join(', ') : 'none',
  });
  return grants;
}

/** A fresh phpMyAdmin sign-in link for one database: redirect to it at once, never keep it. */
export async function phpMyAdminLink(deps: HostingDeps, actor: Actor, serviceId: string, name: string) {
  const dbName = nameOf(name, 'name', DB_NAME, 64);
  const s = await manage(deps, actor, serviceId);
  const url = await panel(() => s.client.mysqlSsoUrl(s.orgId, s.websiteId, dbName));
  await auditSite(s, actor, 'hosting.phpmyadmin_opened', { name: dbName });
  return url;
}
