import type { Deps } from '../deps.ts';

// Owned by helper A (issue 17): the purchase saga. See /work/scratch/s5-hosting-contract.md.
export async function resumeSagas(_deps: Deps, _opts: { serviceId?: string } = {}): Promise<Record<string, number>> {
  return {};
}
