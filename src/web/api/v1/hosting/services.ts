import { OpenAPIHono } from '@hono/zod-openapi';
import type { AppDeps } from '../../../context.ts';

// Owned by helper A (issue 17): see /work/scratch/s5-hosting-contract.md.
export function hostingServiceRoutes(_deps: AppDeps): OpenAPIHono {
  return new OpenAPIHono();
}
