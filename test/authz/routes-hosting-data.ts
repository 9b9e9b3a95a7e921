import type { Requirement } from './routes.ts';

/** The matrix's entries for web hosting (issue 17), spread into ROUTES by routes.ts. Owned by helper C. */
export const HOSTING_DATA_ROUTES: Record<string, Requirement> = {};
