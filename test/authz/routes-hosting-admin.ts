import type { Requirement } from './routes.ts';

/** The matrix's entries for web hosting (issue 17), spread into ROUTES by routes.ts. Owned by helper E. */
export const HOSTING_ADMIN_ROUTES: Record<string, Requirement> = {};
