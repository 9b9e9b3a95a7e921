import { Hono } from 'hono';
import type { AppDeps } from '../../../context.ts';
import type { Renderer } from '../../../render.ts';

// Owned by helper D (issue 17): see /work/scratch/s5-hosting-contract.md.
export function billingPages(_deps: AppDeps, _view: Renderer): Hono {
  return new Hono();
}
