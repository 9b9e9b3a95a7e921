import { Hono } from 'hono';
import type { AppDeps } from '../../../context.ts';
import type { Renderer } from '../../../render.ts';
import { serverActionPages } from './actions.ts';
import { serverBackupPages } from './backups.ts';
import { serverCreatePages } from './create.ts';
import { serverDeletePages } from './delete.ts';
import { serverDetailPages } from './detail.ts';
import { serverListPages } from './list.ts';
import { serverRebuildPages } from './rebuild.ts';

/**
 * /vps (mounted there by portal/index.ts, a signed-in area): the organization's servers. Every
 * page finds its server through the actor's organization (another's id is 404) and asks the
 * permission the domain asks (vps_view, vps_create, vps_manage, vps_delete); the buttons are
 * shown with the same `can()`. The JSON API (api/v1/vps/) serves the same domain.
 */
export function serverPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();
  app.route('/', serverListPages(deps, view));
  app.route('/', serverCreatePages(deps, view));
  app.route('/', serverDetailPages(deps, view));
  app.route('/', serverActionPages(deps, view));
  app.route('/', serverRebuildPages(deps, view));
  app.route('/', serverBackupPages(deps, view));
  app.route('/', serverDeletePages(deps, view));
  return app;
}
