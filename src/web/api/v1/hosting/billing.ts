import { OpenAPIHono } from '@hono/zod-openapi';
import type { AppDeps } from '../../../context.ts';

// Owned by helper D (issue 17): see /work/scratch/s5-hosting-contract.md.
export function hostingBillingRoutes(_deps: AppDeps): OpenAPIHono {
  return new OpenAPIHono();
}
