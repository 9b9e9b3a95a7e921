import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import {
  assertMayReadCatalogue,
  currentHour,
  offeredApps,
  offeredImages,
  offeredPlans,
  offeredRegions,
} from '../../../../domain/catalogue/offer.ts';
import type { AppDeps } from '../../../context.ts';
import { caller, secured } from '../bearer-auth.ts';
import { listOf } from '../pagination.ts';
import { errorResponses, json } from '../schemas.ts';
import { App, Image, Plan, presentApp, presentImage, presentPlan, presentRegion, Region, whole } from './schemas.ts';

const READ = 'Any member acting in an organization (any role, API keys included) and platform staff may read it.';
const errors = errorResponses([401, 403, 404, 422, 429], {
  403: 'The caller acts in no organization.',
  404: '`X-Organization-Id` names an organization the caller is not in.',
});

/**
 * What customers may buy, from the catalogue staff set up (read from the database, never the
 * provider): regions, plans with today's prices, images, apps. Whole lists, one page each.
 */
export function catalogueRoutes(deps: AppDeps) {
  const app = new OpenAPIHono();
  const list = <T extends z.ZodType>(path: string, item: T, name: string, summary: string) =>
    createRoute({
      method: 'get',
      path,
      tags: ['catalogue'],
      operationId: `list${name}`,
      summary,
      description: READ,
      ...secured,
      responses: {
        200: { description: 'The whole list, in display order.', ...json(listOf(item).openapi(`${name}List`)) },
        ...errors,
      },
    });

  app.openapi(list('/regions', Region, 'Regions', 'Regions servers can be created in'), async (c) => {
    assertMayReadCatalogue(caller(c));
    return c.json(whole((await offeredRegions(deps.db, { cache: deps.cache })).map(presentRegion)), 200);
  });

  const PlanQuery = z.object({
    region: z.string().max(100).optional().openapi({ description: 'Only plans sold in this region.' }),
  });
  const plans = createRoute({
    ...list('/plans', Plan, 'Plans', 'Plans on sale, with the price in force this hour'),
    request: { query: PlanQuery },
  });
  app.openapi(plans, async (c) => {
    assertMayReadCatalogue(caller(c));
    const { region } = c.req.valid('query');
    const offered = await offeredPlans(deps.db, await currentHour(deps.db), region ? { region } : {});
    return c.json(whole(offered.map(presentPlan)), 200);
  });

  app.openapi(list('/images', Image, 'Images', 'Images a server can be created from'), async (c) => {
    assertMayReadCatalogue(caller(c));
    return c.json(whole((await offeredImages(deps.db)).map(presentImage)), 200);
  });

  app.openapi(
    list('/apps', App, 'Apps', 'Apps (deploy scripts) a server can be created with, and their fields'),
    async (c) => {
      assertMayReadCatalogue(caller(c));
      return c.json(whole((await offeredApps(deps.db)).map(presentApp)), 200);
    },
  );
  return app;
}
