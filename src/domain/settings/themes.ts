/**
 * Colour presets (issue 16 item 7). A preset swaps the brand palette (buttons, links, focus
 * rings, active tabs and navigation, the sidebar's name, charts) through CSS variables: the
 * stylesheet (static/css/app.css) defines `--color-brand-50` … `--color-brand-950` (and points the
 * few `sky-*` utilities templates use at them) for each `html[data-theme="…"]`, so one attribute
 * on <html> switches every page with no JavaScript beyond the pre-paint script
 * (views/shared/_theme_init.eta). Dark mode is separate and works with every preset.
 *
 * Each preset is one of Tailwind's palettes whose 700 shade carries white text and whose 500
 * shade carries near-black text at WCAG AA (test/theme/presets.test.ts checks it on the built CSS).
 */
export const THEMES = [
  { id: 'sky', label: 'Sky (blue)' },
  { id: 'indigo', label: 'Indigo' },
  { id: 'violet', label: 'Violet' },
  { id: 'emerald', label: 'Emerald (green)' },
  { id: 'teal', label: 'Teal' },
  { id: 'rose', label: 'Rose (red)' },
  { id: 'amber', label: 'Amber (orange)' },
] as const;

export type ThemeId = (typeof THEMES)[number]['id'];

/** The platform default until an admin picks another (the colours SkyPanel always had). */
export const DEFAULT_THEME: ThemeId = 'sky';

const IDS = new Set<string>(THEMES.map((t) => t.id));

export function isTheme(v: unknown): v is ThemeId {
  return typeof v === 'string' && IDS.has(v);
}

/** The preset a page is drawn in: the user's own choice, else the platform default. */
export function themeFor(userTheme: string | null | undefined, platformDefault: string | null | undefined): ThemeId {
  if (isTheme(userTheme)) return userTheme;
  return isTheme(platformDefault) ? platformDefault : DEFAULT_THEME;
}

export const THEME_MESSAGE = `Choose one of the listed colour themes.`;
