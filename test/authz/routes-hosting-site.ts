import type { Requirement } from './routes.ts';

/** The matrix's entries for web hosting (issue 17), spread into ROUTES by routes.ts. Owned by helper B. */
export const HOSTING_SITE_ROUTES: Record<string, Requirement> = {};
