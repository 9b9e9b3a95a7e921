import { THEMES } from '../../src/domain/settings/themes.ts';
import type { Call, Done, Requirement } from './routes.ts';

/**
 * The matrix's entries for colour themes (issue 16 item 7), spread into ROUTES by routes.ts:
 * Settings → Appearance, where a signed-in person picks a preset (the platform default is a
 * field of /admin/platform-settings, in routes-platform-settings.ts). test/theme/** tests the
 * presets and how pages are drawn.
 */
const problem = (ok: boolean, what: string) => (ok ? null : what);
const storedTheme = async (c: Call) =>
  (await c.fx.ctx.db.selectFrom('users').select('theme').where('id', '=', c.me!.id).executeTakeFirstOrThrow()).theme;

export const THEME_ROUTES: Record<string, Requirement> = {
  'GET /settings/appearance': {
    auth: 'session',
    done: {
      status: 200,
      shows: ['<title>Appearance · SkyPanel</title>', 'name="theme" value="platform"'],
    } satisfies Done,
  },
  'POST /settings/appearance': {
    auth: 'session',
    setup: async () => ({ theme: THEMES[Math.floor(Math.random() * THEMES.length)]!.id }),
    body: (c) => ({ theme: c.made.theme! }),
    done: (c) => ({
      status: 303,
      location: '/settings/appearance',
      effect: async () => problem((await storedTheme(c)) === c.made.theme, 'the colour theme was not saved'),
    }),
  },
};
