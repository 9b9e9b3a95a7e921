import type { Config } from 'tailwindcss';

/**
 * Theme extensions for SkyPanel, loaded by `static/css/app.css` through `@config`.
 *
 * Tailwind 4 reads this file with jiti, so TypeScript works. Content sources are declared in
 * app.css with `@source`, so this file only extends the theme. The `brand-*` colours are CSS
 * variables in static/css/themes.css (one set per colour preset, picked by `data-theme` on
 * <html>); the component layer in app.css is written against them and `font-sans`.
 */
export default {
  theme: {
    extend: {
      fontFamily: {
        sans: [
          'Inter',
          'ui-sans-serif',
          'system-ui',
          '-apple-system',
          'Segoe UI',
          'Roboto',
          'Helvetica Neue',
          'Arial',
          'sans-serif',
          'Apple Color Emoji',
          'Segoe UI Emoji',
        ],
        mono: ['JetBrains Mono', 'ui-monospace', 'SFMono-Regular', 'Menlo', 'Consolas', 'monospace'],
      },
    },
  },
} satisfies Config;
