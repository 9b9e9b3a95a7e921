import { Hono } from 'hono';
import type { AppDeps } from '../../../context.ts';
import type { Renderer } from '../../../render.ts';

// Owned by helper C (issue 17): see /work/scratch/s5-hosting-contract.md.
export function dataTabPages(_deps: AppDeps, _view: Renderer): Hono {
  return new Hono();
}
