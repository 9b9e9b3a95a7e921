import type { Deps } from '../deps.ts';

// Owned by helper D (issue 17): renewals, hosting dunning, recovery, cancellation. See /work/scratch/s5-hosting-contract.md.
export async function runHostingBilling(
  _deps: Deps,
  _opts: { organizationId?: string } = {},
): Promise<Record<string, number>> {
  return {};
}
