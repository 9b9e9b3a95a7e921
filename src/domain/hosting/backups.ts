import { AppError, NotFoundError, ValidationError } from '../../lib/errors.ts';
import type { EnhanceBackup } from '../../providers/enhance/index.ts';
import type { Actor } from '../access/actor.ts';
import type { HostingDeps } from './connector.ts';
import {
  combined,
  operationsOf,
  panel,
  refreshOperations,
  siteAccess,
  startOperation,
  type OperationRow,
  type Progress,
  type SiteAccess,
} from './operations.ts';

/**
 * A hosting service's backups (issue 17 item 4): the website's backups, a new one taken now,
 * and a restore of a finished one (files, every database and the emails). Both run at the
 * panel asynchronously — one at a time per website — and are recorded as operations polled
 * until they end (operations.ts): no webhooks.
 */

export interface BackupView {
  id: number;
  description: string | null;
  kind: string;
  startedAt: string;
  finishedAt: string | null;
  sizeMb: number | null;
  status: Progress;
}

export interface BackupTab {
  backups: BackupView[];
  operations: OperationRow[];
  /** A backup or restore is running: new ones wait. */
  busy: boolean;
}

function viewOf(b: EnhanceBackup): BackupView {
  return {
    id: b.id,
    description: b.description,
    kind: b.kind,
    startedAt: b.startedAt,
    finishedAt: b.finishedAt,
    sizeMb: b.size === null ? null : Math.round((b.size / (1024 * 1024)) * 10) / 10,
    status: combined([b.homeDirStatus, b.mysqlDbsStatus, b.emailsStatus]),
  };
}

export async function backupTab(deps: HostingDeps, actor: Actor, serviceId: string): Promise<BackupTab> {
  return backupsOf(deps, await siteAccess(deps, actor, serviceId, 'hosting_view'));
}

export async function backupsOf(deps: HostingDeps, s: SiteAccess): Promise<BackupTab> {
  await refreshOperations(deps, s);
  const [backups, operations] = await Promise.all([
    panel(() => s.client.listBackups(s.orgId, s.websiteId)),
    operationsOf(s.db, s.service.id),
  ]);
  const views = backups.map(viewOf).sort((a, b) => b.startedAt.localeCompare(a.startedAt) || b.id - a.id);
  const busy =
    operations.some((o) => o.status === 'running' && o.kind !== 'wordpress_install') ||
    views.some((b) => b.status === 'running');
  return { backups: views, operations, busy };
}

const BUSY = 'A backup or restore of this website is running: wait until it ends.';

export async function createBackup(
  deps: HostingDeps,
  actor: Actor,
  serviceId: string,
  input: { description?: unknown } = {},
): Promise<OperationRow> {
  const description = typeof input.description === 'string' ? input.description.trim() : '';
  if (description.length > 100) throw new ValidationError({ description: 'Use at most 100 characters.' });
  const s = await siteAccess(deps, actor, serviceId, 'hosting_manage');
  const backup = await panel(() =>
    s.client.createBackup(s.orgId, s.websiteId, {
      description: description || undefined,
      includeEmails: true,
    }),
  ).catch((err: unknown) => {
    throw err instanceof AppError && err.status === 409 ? new AppError('hosting_busy', 409, BUSY) : err;
  });
  return startOperation(deps, actor, s.service, {
    kind: 'backup',
    ref: String(backup.id),
    label: description || `Backup ${backup.id}`,
    action: 'hosting.backup_started',
  });
}

/** Restores a finished backup over the website: its files, every database and the emails. */
export async function restoreBackup(
  deps: HostingDeps,
  actor: Actor,
  serviceId: string,
  backupId: string | number,
): Promise<OperationRow> {
  const id = typeof backupId === 'number' ? backupId : /^\d{1,12}$/.test(backupId) ? Number(backupId) : NaN;
  if (!Number.isSafeInteger(id)) throw new NotFoundError('No such backup.');
  const s = await siteAccess(deps, actor, serviceId, 'hosting_manage');
  const backup = (await panel(() => s.client.listBackups(s.orgId, s.websiteId))).find((b) => b.id === id);
  if (!backup) throw new NotFoundError('No such backup.');
  const state = combined([backup.homeDirStatus, backup.mysqlDbsStatus, backup.emailsStatus]);
  if (state !== 'done')
    throw new AppError(
      'hosting_backup_unfinished',
      409,
      state === 'running' ? 'This backup is still being taken.' : 'This backup failed and cannot be restored.',
    );
  const databases = (await panel(() => s.client.listMysqlDbs(s.orgId, s.websiteId))).map((d) => d.name);
  await panel(() =>
    s.client.restoreBackup(s.orgId, s.websiteId, id, {
      restoreFiles: true,
      restoreDatabases: databases,
      restoreAllEmails: true,
    }),
  ).catch((err: unknown) => {
    throw err instanceof AppError && err.status === 409 ? new AppError('hosting_busy', 409, BUSY) : err;
  });
  return startOperation(deps, actor, s.service, {
    kind: 'restore',
    ref: String(id),
    label: backup.description || `Backup ${id}`,
    action: 'hosting.restore_started',
  });
}
