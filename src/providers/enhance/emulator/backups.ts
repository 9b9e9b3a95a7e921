import type { Hono } from 'hono';
import { fail, notFound, type Call, routesAt } from './http.ts';
import { nowIso, type EmuJob, type EmuWebsite, type EnhanceEmulatorState } from './state.ts';
import { website } from './websites.ts';

/**
 * Spec §4.7: backups and restores, asynchronous: a job reads `started` until its time is up
 * (`jobMs`, real time; `finishJobs()` ends them at once), then `successful`, or `failed` when
 * armed with `failNextJobs`. One job per website at a time; `GET …/status/backup` answers 404
 * when none runs.
 */

interface EmuBackup {
  id: number;
  startedAt: string;
  finishedAt: string | null;
  description: string | null;
  includeEmails: boolean;
  status: 'started' | 'successful' | 'failed';
  restore: { startedAt: string; finishedAt: string | null; status: 'started' | 'successful' | 'failed' } | null;
}

export function backupRoutes(app: Hono, state: EnhanceEmulatorState): void {
  const r = routesAt(app, state, '/api/orgs/:org/websites/:site');

  r('get', '/backups', (call) => {
    const site = settled(website(state, call));
    return { body: { items: backups(site).map((b) => backupJson(b)) } };
  });

  r('post', '/backups', (call) => {
    const site = settled(website(state, call));
    if (site.extras.job) throw fail(409, 'conflict', 'pendingBackup', 'A backup or restore is already running');
    const b: EmuBackup = {
      id: ++state.seq.backup,
      startedAt: nowIso(),
      finishedAt: null,
      description: typeof call.body.description === 'string' ? call.body.description : null,
      includeEmails: call.query('includeEmails') === 'true',
      status: 'started',
      restore: null,
    };
    site.extras.backups.set(b.id, b as unknown as Record<string, unknown>);
    site.extras.job = job(state, 'backup', b);
    return { status: 201, body: backupJson(b) };
  });

  r('get', '/backups/:id', (call) => ({ body: backupJson(backupOf(state, call)) }));

  r('put', '/backups/:id', (call) => {
    const b = backupOf(state, call);
    const site = website(state, call);
    if (site.extras.job) throw fail(409, 'conflict', 'pendingBackup', 'A backup or restore is already running');
    if (b.status !== 'successful') throw fail(400, 'invalid_input', 'backup', 'The backup is not complete');
    b.restore = { startedAt: nowIso(), finishedAt: null, status: 'started' };
    site.extras.job = job(state, 'restore', b);
    return { status: 200 };
  });

  r('delete', '/backups/:id', (call) => {
    const b = backupOf(state, call);
    const site = website(state, call);
    if (site.extras.job?.backupId === b.id) throw fail(409, 'conflict', 'pendingBackup', 'The backup is in use');
    site.extras.backups.delete(b.id);
    return { status: 204 };
  });

  r('get', '/status/backup', (call) => {
    const site = settled(website(state, call));
    const j = site.extras.job;
    if (!j) throw notFound('backup operation');
    return { body: { id: j.backupId, websiteId: site.id, startedAt: j.startedAt, action: j.action } };
  });

  r('get', '/backups/:id/restore_status', (call) => {
    const b = backupOf(state, call);
    if (!b.restore) throw notFound('restore');
    const s = b.restore.status;
    return {
      body: {
        backupId: b.id,
        startedAt: b.restore.startedAt,
        finishedAt: b.restore.finishedAt,
        homeDirStatus: s,
        mysqlDbsStatus: s,
        emailsStatus: s,
      },
    };
  });
}

function job(state: EnhanceEmulatorState, action: EmuJob['action'], b: EmuBackup): EmuJob {
  const fails = state.failJobs > 0;
  if (fails) state.failJobs -= 1;
  return { action, backupId: b.id, startedAt: nowIso(), dueAt: Date.now() + state.options.jobMs, fails };
}

const backups = (site: EmuWebsite) => [...site.extras.backups.values()] as unknown as EmuBackup[];

/** The website with its job played out if its time is up. */
export function settled(site: EmuWebsite, force = false): EmuWebsite {
  const j = site.extras.job;
  if (!j || (!force && Date.now() < j.dueAt)) return site;
  const b = site.extras.backups.get(j.backupId) as unknown as EmuBackup | undefined;
  const outcome = j.fails ? 'failed' : 'successful';
  if (b && j.action === 'backup') Object.assign(b, { status: outcome, finishedAt: nowIso() });
  if (b?.restore && j.action === 'restore') Object.assign(b.restore, { status: outcome, finishedAt: nowIso() });
  site.extras.job = null;
  return site;
}

function backupOf(state: EnhanceEmulatorState, call: Call): EmuBackup {
  const site = settled(website(state, call));
  const b = site.extras.backups.get(Number(call.param('id')));
  if (!b) throw notFound('backup');
  return b as unknown as EmuBackup;
}

function backupJson(b: EmuBackup) {
  const done = b.status === 'successful';
  return {
    id: b.id,
    startedAt: b.startedAt,
    finishedAt: b.finishedAt,
    snapshotDirName: `snapshot-${b.id}`,
    size: done ? 52_428_800 : null,
    homeDirStatus: b.status,
    filesSize: done ? 41_943_040 : null,
    mysqlDbsStatus: b.status,
    mysqlDbsCount: 0,
    mysqlDbsSize: done ? 10_485_760 : null,
    emailsStatus: b.includeEmails ? b.status : null,
    emailsCount: 0,
    emailsSize: null,
    kind: 'manual',
    description: b.description,
    storageKind: 'enhance',
  };
}
