import type { Done, Requirement } from './routes.ts';

/**
 * The matrix's entries for platform settings (issue 16 item 6), spread into ROUTES by
 * routes.ts: the maintenance page, the staff screen and the staff API. Other entries write
 * while these run, so no call here turns maintenance on or closes registration: the writes
 * save maintenance off and registration open (test/settings/** tests the switches themselves).
 */

const page = (title: string, ...shows: string[]): Done => ({
  status: 200,
  shows: [`<title>${title} · SkyPanel</title>`, ...shows],
});

export const PLATFORM_SETTINGS_ROUTES: Record<string, Requirement> = {
  // Where an htmx write refused during maintenance lands; with maintenance off it says so.
  'GET /maintenance': { auth: 'public', done: page('No maintenance', 'No maintenance in progress') },
};
