import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hostedSite, rejection, startWorld, type World } from './helpers.ts';

describe('Enhance client and emulator: backups (asynchronous)', () => {
  let w: World;
  beforeEach(async () => {
    // Jobs never finish on their own here: the test ends them.
    w = await startWorld({ jobMs: 3_600_000 });
  });
  afterEach(async () => {
    await w.emu.close();
  });

  const site = () => hostedSite(w);

  it('starts a backup, reports it in progress, then successful; restores it the same way', async () => {
    const { client, orgId, siteId } = await site();
    expect(await client.backupInProgress(orgId, siteId)).toBeNull();
    const backup = await client.createBackup(orgId, siteId, { description: 'before update' });
    expect(backup).toMatchObject({
      id: expect.any(Number),
      homeDirStatus: 'started',
      finishedAt: null,
      description: 'before update',
    });
    expect(await client.backupInProgress(orgId, siteId)).toMatchObject({
      id: backup.id,
      websiteId: siteId,
      action: 'backup',
    });
    expect(await rejection(client.createBackup(orgId, siteId))).toMatchObject({ status: 409 });
    expect(await rejection(client.restoreBackup(orgId, siteId, backup.id))).toMatchObject({ status: 409 });

    w.emu.finishJobs();
    expect(await client.getBackup(orgId, siteId, backup.id)).toMatchObject({
      homeDirStatus: 'successful',
      finishedAt: expect.any(String),
    });
    expect(await client.backupInProgress(orgId, siteId)).toBeNull();

    await client.restoreBackup(orgId, siteId, backup.id, { restoreFiles: true });
    expect(await client.backupInProgress(orgId, siteId)).toMatchObject({ action: 'restore' });
    expect(await client.restoreStatus(orgId, siteId, backup.id)).toMatchObject({
      homeDirStatus: 'started',
      finishedAt: null,
    });
    w.emu.finishJobs();
    expect(await client.restoreStatus(orgId, siteId, backup.id)).toMatchObject({ homeDirStatus: 'successful' });
    expect((await client.listBackups(orgId, siteId)).map((b) => b.id)).toEqual([backup.id]);
    await client.deleteBackup(orgId, siteId, backup.id);
    expect(await client.listBackups(orgId, siteId)).toEqual([]);
  });

  it('ends an armed job failed, and a failed backup cannot be restored', async () => {
    const { client, orgId, siteId } = await site();
    w.emu.failNextJobs();
    const backup = await client.createBackup(orgId, siteId);
    w.emu.finishJobs();
    expect((await client.getBackup(orgId, siteId, backup.id)).homeDirStatus).toBe('failed');
    expect(await rejection(client.restoreBackup(orgId, siteId, backup.id))).toMatchObject({ status: 400 });
    const next = await client.createBackup(orgId, siteId);
    w.emu.finishJobs();
    expect((await client.getBackup(orgId, siteId, next.id)).homeDirStatus).toBe('successful');
  });

  it('finishes a job on its own once its time is up', async () => {
    await w.emu.close();
    w = await startWorld({ jobMs: 0 });
    const { client, orgId, siteId } = await site();
    const backup = await client.createBackup(orgId, siteId);
    expect(backup.homeDirStatus).toBe('started');
    expect((await client.getBackup(orgId, siteId, backup.id)).homeDirStatus).toBe('successful');
  });
});
