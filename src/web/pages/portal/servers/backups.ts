import { Hono } from 'hono';
import { setReverseDns } from '../../../../domain/servers/addresses.ts';
import {
  cancelBackups,
  enableBackups,
  restoreBackup,
  scheduleBackups,
  takeSnapshot,
} from '../../../../domain/servers/backups.ts';
import type { AppDeps } from '../../../context.ts';
import { formData } from '../../../forms.ts';
import type { Renderer } from '../../../render.ts';
import { perform } from './actions.ts';

/**
 * Backups (enable, cancel, schedule, snapshot, restore) and reverse DNS per address, each its
 * own POST under /vps/:id (vps_manage); refusals show the server page again with the message.
 */
export function serverBackupPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();

  app.post('/:id/backups', (c) =>
    perform(deps, view, c, 'backups', {}, async (actor, id) => {
      await enableBackups(deps, actor, id);
      return { notice: 'Backups are on. The add-on is billed from the next hour.' };
    }),
  );

  app.post('/:id/backups/cancellation', (c) =>
    perform(deps, view, c, 'backups', {}, async (actor, id) => {
      await cancelBackups(deps, actor, id);
      return { notice: 'Backups are off and their copies deleted. The add-on stops from the next hour.' };
    }),
  );

  app.post('/:id/backups/schedule', async (c) => {
    const values = await formData(c);
    return perform(deps, view, c, 'schedule', values, async (actor, id) => {
      await scheduleBackups(deps, actor, id, { day: values.day ?? '', window: values.window ?? '' });
      return { notice: 'The backup schedule was saved.' };
    });
  });

  app.post('/:id/backups/snapshots', async (c) => {
    const values = await formData(c);
    return perform(deps, view, c, 'snapshot', values, async (actor, id) => {
      await takeSnapshot(deps, actor, id, { label: values.label ?? '' });
      return { notice: 'A snapshot is being taken. It replaces the previous one.' };
    });
  });

  // A restore is a resource of the server: the backup is named in the form.
  app.post('/:id/restores', async (c) => {
    const values = await formData(c);
    return perform(deps, view, c, 'restore', values, async (actor, id) => {
      await restoreBackup(deps, actor, id, { backupId: values.backup_id ?? '' });
      return { notice: 'The backup is being restored over the server’s disk.' };
    });
  });

  // Reverse DNS of one of the server's addresses, named in the form (empty name: reset).
  app.post('/:id/reverse-dns', async (c) => {
    const values = await formData(c);
    const address = values.address ?? '';
    return perform(deps, view, c, `rdns:${address}`, values, async (actor, id) => {
      const name = (values.name ?? '').trim();
      await setReverseDns(deps, actor, id, address, name || null);
      return { notice: name ? `Reverse DNS of ${address} is now ${name}.` : `Reverse DNS of ${address} was reset.` };
    });
  });

  return app;
}
